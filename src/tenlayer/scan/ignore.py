"""Ignore files: vulnerabilities a team has looked at and accepted, for a while.

Two formats are read.

YAML (a `.yaml`/`.yml` file, or any file that is not the plain format below)::

    vulnerabilities:            # or the list alone, at the top level
      - id: CVE-2024-1234       # the vulnerability id or any of its aliases (required)
        package: openssl        # optional: package name, or an OS package's source name
        purl: pkg:deb/debian/openssl   # optional (`purls:` takes a list)
        expires: 2025-06-30     # optional: from this day (UTC) on the entry no longer applies
        reason: not reachable from the service, see TICKET-12

Trivy's `trivyignore.yaml` keys are accepted as well (`purls`, `paths`, `expired_at`,
`statement`), and its sections for misconfigurations, secrets and licenses are skipped with
a warning, so a team moving between the two tools keeps one file.

Plain (Trivy's `.trivyignore`): one id a line, `#` starts a comment, and an optional
`exp:YYYY-MM-DD` after the id; a comment after the id is kept as the reason.

An entry suppresses a match when the id is the vulnerability's id or one of its aliases
(case-insensitively), and the match's package fits every restriction the entry gives. An
expired entry suppresses nothing and is reported in a warning, whether or not it would have
matched: it is a decision somebody has to take again. Expiry follows Trivy: an entry that
expires on a date stops applying at the start of that date, in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.model import VulnerabilityMatch
from tenlayer.scan.inputs import load_yaml, read_text
from tenlayer.scan.purls import PurlPattern, parse_pattern, pattern_matches

MAX_IGNORE_FILE = 1024 * 1024
"""Ignore files are written by hand: a megabyte is thousands of entries."""

_ENTRY_KEYS = {
    "id": "id",
    "package": "package",
    "purl": "purl",
    "purls": "purls",
    "paths": "paths",
    "expires": "expires",
    "expired_at": "expires",
    "reason": "reason",
    "statement": "reason",
}
_OTHER_TRIVY_SECTIONS = ("misconfigurations", "secrets", "licenses")
_PLAIN_LINE = re.compile(r"^[^\s:#]+(?:\s+exp:\S+)*\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    id: str
    where: str
    """`line 3` or `entry 2`: where in the file, for messages."""
    package: str | None = None
    purls: tuple[PurlPattern, ...] = ()
    paths: tuple[str, ...] = ()
    expires: datetime | None = None
    reason: str = ""

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and _utc(now) >= self.expires

    def matches(self, match: VulnerabilityMatch) -> bool:
        vulnerability = match.vulnerability
        wanted = self.id.casefold()
        if all(i.casefold() != wanted for i in (vulnerability.id, *vulnerability.aliases)):
            return False
        package = match.package
        if self.package is not None and self.package not in (package.name, package.source_name):
            return False
        if self.purls and not any(pattern_matches(p, package) for p in self.purls):
            return False
        found_in = package.found_in.lstrip("/")
        return not self.paths or any(p.lstrip("/") == found_in for p in self.paths)


@dataclass(frozen=True, slots=True)
class IgnoreFile:
    source: str
    entries: tuple[IgnoreEntry, ...]
    warnings: tuple[str, ...] = ()


def load_ignore_file(path: Path) -> IgnoreFile:
    """Read and check an ignore file; BadInput (one line, naming the file) when malformed."""
    text = read_text(path, limit=MAX_IGNORE_FILE, what="ignore file")
    return parse_ignore(text, source=str(path), yaml_format=path.suffix in (".yaml", ".yml"))


def parse_ignore(text: str, *, source: str, yaml_format: bool | None = None) -> IgnoreFile:
    """Parse either format; `yaml_format=None` decides from the content."""
    if yaml_format is None:
        lines = [line.strip() for line in text.splitlines()]
        meaningful = [line for line in lines if line and not line.startswith("#")]
        yaml_format = not all(_PLAIN_LINE.match(line) for line in meaningful)
    if yaml_format:
        return _parse_yaml(text, source)
    return _parse_plain(text, source)


def apply_ignores(
    matches: Iterable[VulnerabilityMatch], ignores: IgnoreFile, *, now: datetime
) -> tuple[list[VulnerabilityMatch], list[str]]:
    """Mark the matches an entry covers as suppressed; warnings for expired entries.

    A match already suppressed (by VEX, or an earlier ignore file) keeps its first reason.
    """
    active = [entry for entry in ignores.entries if not entry.expired(now)]
    warnings = list(ignores.warnings)
    for entry in ignores.entries:
        if entry.expired(now):
            assert entry.expires is not None
            warnings.append(
                f"{ignores.source}: {entry.where}: the entry for {entry.id} expired on "
                f"{_day(entry.expires)} and no longer suppresses it"
            )
    result = []
    for match in matches:
        if not match.suppressed_by:
            covering = next((e for e in active if e.matches(match)), None)
            if covering is not None:
                match = replace(match, suppressed_by=_reason(ignores.source, covering))
        result.append(match)
    return result, warnings


def _reason(source: str, entry: IgnoreEntry) -> str:
    text = f"ignored by {source}"
    if entry.reason:
        text += f": {entry.reason}"
    if entry.expires is not None:
        text += f" (until {_day(entry.expires)})"
    return text


def _parse_plain(text: str, source: str) -> IgnoreFile:
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line, _, comment = raw.partition("#")
        tokens = line.split()
        if not tokens:
            continue
        where = f"line {number}"
        expires = None
        for token in tokens[1:]:
            if not token.startswith("exp:"):
                raise BadInput(f"{source}: {where}: unexpected {token!r} after the id")
            expires = _expiry(token[4:], source, where)
        entries.append(
            IgnoreEntry(id=tokens[0], where=where, expires=expires, reason=comment.strip())
        )
    return IgnoreFile(source=source, entries=tuple(entries))


def _parse_yaml(text: str, source: str) -> IgnoreFile:
    document = load_yaml(text, source=source, what="ignore file")
    warnings = []
    if document is None:
        return IgnoreFile(source=source, entries=())
    if isinstance(document, dict):
        unknown = sorted(
            str(k) for k in document if k not in ("vulnerabilities", *_OTHER_TRIVY_SECTIONS)
        )
        if unknown:
            raise BadInput(
                f"{source}: unknown top-level key {unknown[0]!r} (expected 'vulnerabilities')"
            )
        for section in _OTHER_TRIVY_SECTIONS:
            if document.get(section):
                warnings.append(
                    f"{source}: '{section}' entries are not used by a vulnerability scan"
                )
        items = document.get("vulnerabilities") or []
    else:
        items = document
    if not isinstance(items, list):
        raise BadInput(f"{source}: expected a list of entries under 'vulnerabilities'")
    entries = tuple(_entry(item, source, f"entry {n}") for n, item in enumerate(items, start=1))
    return IgnoreFile(source=source, entries=entries, warnings=tuple(warnings))


def _entry(item: Any, source: str, where: str) -> IgnoreEntry:
    if isinstance(item, str):  # a bare id in the list
        item = {"id": item}
    if not isinstance(item, dict):
        raise BadInput(f"{source}: {where}: expected a mapping with an 'id'")
    fields: dict[str, Any] = {}
    for key, value in item.items():
        name = _ENTRY_KEYS.get(str(key))
        if name is None:
            allowed = ", ".join(sorted(_ENTRY_KEYS))
            raise BadInput(f"{source}: {where}: unknown key {key!r} (allowed: {allowed})")
        if name in fields:
            raise BadInput(f"{source}: {where}: {key!r} given twice (or with its synonym)")
        fields[name] = value
    identifier = _text(fields.get("id"), source, where, "id")
    if not identifier:
        raise BadInput(f"{source}: {where}: 'id' is missing")
    purl_texts = _texts(fields.get("purls"), source, where, "purls")
    if "purl" in fields:
        purl_texts = (_text(fields["purl"], source, where, "purl"), *purl_texts)
    purls = []
    for text in purl_texts:
        try:
            purls.append(parse_pattern(text))
        except ValueError as error:
            raise BadInput(f"{source}: {where}: {error}") from None
    expires = fields.get("expires")
    return IgnoreEntry(
        id=identifier,
        where=f"{where} ({identifier})",
        package=_text(fields.get("package"), source, where, "package") or None,
        purls=tuple(purls),
        paths=_texts(fields.get("paths"), source, where, "paths"),
        expires=None if expires is None else _expiry(expires, source, where),
        reason=_text(fields.get("reason"), source, where, "reason"),
    )


def _text(value: Any, source: str, where: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{source}: {where}: {key!r} must be a string")
    return value.strip()


def _texts(value: Any, source: str, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{source}: {where}: {key!r} must be a list of strings")
    return tuple(v.strip() for v in value)


def _expiry(value: Any, source: str, where: str) -> datetime:
    """A date (the start of that day, UTC) or a timestamp (without a zone: UTC)."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise BadInput(f"{source}: {where}: expiry {value!r} is not a date (YYYY-MM-DD)")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(moment: datetime) -> str:
    if moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")
