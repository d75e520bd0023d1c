"""Debian's security tracker (`https://security-tracker.debian.org/tracker/data/json`).

The JSON is `source package -> CVE -> {description, scope, debianbug, releases}` and each
release says `{status, fixed_version, urgency, nodsa, nodsa_reason, repositories}`. One
advisory per CVE, `DEBIAN-CVE-…` as OSV.dev names them (the CVE is an alias); one
`Affected` per (source package, release), in ecosystem `Debian:<number>`.

What a release entry means, from the tracker's documentation
(https://security-team.debian.org/security_tracker.html):

- `resolved` with `fixed_version` "0": that release never had the flaw. No entry.
- `resolved` with a version: fixed there: `introduced 0` / `fixed <version>`, FIXED.
- `open` with urgency `end-of-life`: the release no longer supports the package, so no fix
  will come: WONT_FIX.
- `open` marked `<ignored>` (`nodsa_reason: ignored`): the team decided not to fix it in
  that release: WONT_FIX.
- `open` marked `<no-dsa>` without a reason: no security update will be issued (a stable
  point release may still carry a fix, at the maintainer's choice): WONT_FIX, as Grype
  reads it and as tenlayer's `FixStatus` documents.
- `open` marked `<postponed>`: minor, the fix is planned for a later update: NOT_FIXED.
- any other `open`: NOT_FIXED.
- `undetermined`: nobody knows yet whether the release is affected. No entry (Grype and
  Trivy skip these too); it reappears once the tracker decides.

Urgency (`low`, `medium`, `high`, `unimportant`; the `*`/`**` markers the tracker adds to
some urgencies are dropped) is kept per entry as a Debian rating; `not yet assigned` and
`end-of-life` are not ratings. The advisory carries the highest.

The tracker has no publication or modification date per CVE: `published` stays empty (the
health grade falls back to other sources for the date) and `modified` is the JSON file's
modification time, when this copy of the tracker was taken.

DSA/DLA ids come from the tracker's `DSA/list` and `DLA/list` when they lie beside the JSON
(or are passed in). They go in `related`, not `aliases`: one DSA fixes several CVEs, and
merging by alias would fold those distinct CVEs into one vulnerability.

Temporary tracker ids (`TEMP-…`) are skipped: they name issues without a CVE, and nothing
else (scanners, VEX documents, ignore files) can refer to them. `sid` is skipped: unstable
has no release number and no image reports one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, but untyped
from pathlib import Path
from typing import Any

from tenlayer.model import FixStatus
from tenlayer.vulndb.feeds._common import (
    FeedItem,
    distro_id,
    file_time,
    files_under,
    fixed_affected,
    gathering,
    head,
    malformed,
    text,
    unfixed_affected,
)
from tenlayer.vulndb.records import Advisory, Affected, MalformedRecord, SeverityScore

RELEASES = {
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}
"""Codename -> release number. Codenames not listed (sid, experimental) are skipped."""

SOURCE = "Debian"
_URGENCY_RANK = {"unimportant": 0, "low": 1, "medium": 2, "high": 3}

_TRACKER_HEAD = re.compile(r'^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(?:CVE|TEMP)-[^"]*"\s*:\s*\{')
_EMPTY_OBJECT = re.compile(r"^\s*\{\s*\}\s*$")
_LIST_HEAD = re.compile(r"^\[[^\]\n]+\]\s+D[SL]A-\d+")
_LIST_ENTRY = re.compile(r"^\[(?P<date>[^\]]+)\]\s+(?P<id>D[SL]A-(?P<number>\d+)(?:-\d+)?)\b")
_LIST_CVES = re.compile(r"^\s+\{(?P<ids>[^}]*)\}")
_WS = re.compile(r"[ \t\n\r]*")


def is_tracker_json(start: str) -> bool:
    return bool(_TRACKER_HEAD.match(start))


def is_advisory_list(start: str) -> bool:
    """The tracker's `data/DSA/list` or `data/DLA/list`."""
    return bool(_LIST_HEAD.match(start))


def iter_debian(path: Path, *, advisory_lists: Sequence[Path] | None = None) -> Iterator[FeedItem]:
    """Advisories from a tracker JSON file, or from every one found under a directory.

    `advisory_lists` are DSA/DLA list files; by default those found beside the JSON (a
    `DSA` or `DLA` file, or `DSA/list`, `DLA/list`) or, for a directory, anywhere under it.
    """
    trackers, lists = _find_files(path)
    if advisory_lists is not None:
        lists = list(advisory_lists)
    related: dict[str, list[str]] = {}
    for advisory_list in lists:
        try:
            content = advisory_list.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            yield malformed(advisory_list, f"cannot be read: {error.strerror or error}")
            continue
        for cve, ids in parse_advisory_list(content).items():
            known = related.setdefault(cve, [])
            known.extend(i for i in ids if i not in known)
    for tracker in trackers:
        yield from _read_tracker(tracker, related)


def _find_files(path: Path) -> tuple[list[Path], list[Path]]:
    trackers: list[Path] = []
    lists: list[Path] = []
    if path.is_file():
        trackers.append(path)
        for name in ("DSA", "DLA", "DSA/list", "DLA/list"):
            candidate = path.parent / name
            if candidate.is_file():
                lists.append(candidate)
        return trackers, lists
    for file in files_under(path):
        start = head(file, 512)
        if is_tracker_json(start):
            trackers.append(file)
        elif is_advisory_list(start):
            lists.append(file)
    return trackers, lists


def parse_advisory_list(content: str) -> dict[str, list[str]]:
    """`{CVE: [DSA ids]}` from a DSA or DLA list.

    An update without its own CVE line (`DSA-2808-2 openjpeg - regression update`) takes
    the CVEs of the other updates with the same number.
    """
    cves_of: dict[str, list[str]] = {}
    number_of: dict[str, str] = {}
    current: str | None = None
    for line in content.splitlines():
        entry = _LIST_ENTRY.match(line)
        if entry:
            current = entry.group("id")
            number_of[current] = entry.group("number")
            cves_of.setdefault(current, [])
            continue
        listed = _LIST_CVES.match(line)
        if listed and current is not None:
            cves_of[current].extend(t for t in listed.group("ids").split() if t.startswith("CVE-"))
    by_number: dict[str, list[str]] = {}
    for advisory, cves in cves_of.items():
        by_number.setdefault(number_of[advisory], []).extend(cves)
    related: dict[str, list[str]] = {}
    for advisory, cves in cves_of.items():
        for cve in cves or by_number.get(number_of[advisory], []):
            ids = related.setdefault(cve, [])
            if advisory not in ids:
                ids.append(advisory)
    return related


@dataclass
class _Cve:
    """What the tracker says of one CVE, gathered over every source package."""

    details: str = ""
    bug: str = ""
    affected: list[Affected] = field(default_factory=list)


def _read_tracker(path: Path, related: dict[str, list[str]]) -> Iterator[FeedItem]:
    try:
        document = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        yield malformed(path, f"cannot be read: {error}")
        return
    modified = file_time(path)
    cves: dict[str, _Cve] = {}
    problems: list[MalformedRecord] = []
    with gathering():
        try:
            for package, issues in _members(document):
                if not isinstance(issues, dict):
                    problems.append(malformed(path, f"{package}: expected an object of CVEs"))
                    continue
                for cve_id, issue in issues.items():
                    if cve_id.startswith("CVE-"):
                        _gather(path, package, cve_id, issue, cves, problems)
        except MalformedRecord as error:
            problems.append(malformed(path, str(error)))
        advisories = [
            _advisory(path, modified, cve_id, cve, related.get(cve_id, []))
            for cve_id, cve in cves.items()
            if cve.affected
        ]
    cves.clear()
    yield from problems
    yield from advisories


def _gather(
    path: Path,
    package: str,
    cve_id: str,
    issue: Any,
    cves: dict[str, _Cve],
    problems: list[MalformedRecord],
) -> None:
    try:
        entries = _entries(package, issue)
    except MalformedRecord as error:
        problems.append(malformed(path, f"{package} {cve_id}: {error}"))
        return
    cve = cves.setdefault(cve_id, _Cve())
    cve.details = cve.details or text(issue.get("description"))
    bug = issue.get("debianbug")
    cve.bug = cve.bug or (str(bug) if isinstance(bug, int | str) and bug else "")
    cve.affected.extend(entries)


def _members(document: str) -> Iterator[tuple[str, Any]]:
    """The top-level object's members one at a time, so the whole file is never one dict.

    The tracker's JSON is large (tens of MB); parsed at once it takes several times that
    in memory, while one source package at a time is small.
    """
    decoder = json.JSONDecoder()
    pos = _skip(document, 0)
    if document[pos : pos + 1] != "{":
        raise MalformedRecord("not a JSON object")
    pos = _skip(document, pos + 1)
    if document[pos : pos + 1] == "}":
        return
    try:
        while True:
            if document[pos : pos + 1] != '"':
                raise MalformedRecord(f"expected a package name at offset {pos}")
            key, pos = scanstring(document, pos + 1)
            pos = _skip(document, pos)
            if document[pos : pos + 1] != ":":
                raise MalformedRecord(f"expected ':' at offset {pos}")
            value, pos = decoder.raw_decode(document, _skip(document, pos + 1))
            yield key, value
            pos = _skip(document, pos)
            if document[pos : pos + 1] == ",":
                pos = _skip(document, pos + 1)
            elif document[pos : pos + 1] == "}":
                break
            else:
                raise MalformedRecord(f"expected ',' or '}}' at offset {pos}")
    except json.JSONDecodeError as error:
        raise MalformedRecord(f"not valid JSON: {error}") from None
    if _skip(document, pos + 1) != len(document):
        raise MalformedRecord(f"unexpected data after the object at offset {pos + 1}")


def _skip(document: str, pos: int) -> int:
    match = _WS.match(document, pos)
    return match.end() if match else pos


def _entries(package: str, issue: Any) -> list[Affected]:
    """One Affected per release the CVE touches in this source package."""
    if not isinstance(issue, dict):
        raise MalformedRecord("expected an object")
    releases = issue.get("releases")
    if releases in (None, [], {}):
        return []  # the tracker writes `[]` for a CVE it has no release data for
    if not isinstance(releases, dict):
        raise MalformedRecord("'releases' is not an object")
    entries: list[Affected] = []
    for codename, release in releases.items():
        number = RELEASES.get(codename)
        if number is None:
            continue
        if not isinstance(release, dict):
            raise MalformedRecord(f"{codename}: expected an object")
        entry = release_entry(f"Debian:{number}", package, release)
        if entry is not None:
            entries.append(entry)
    return entries


def release_entry(ecosystem: str, package: str, release: dict[str, Any]) -> Affected | None:
    """What one release entry of the tracker says, or None when it says nothing affected."""
    status = release.get("status")
    urgency = text(release.get("urgency")).rstrip("*").lower()
    severity = (SeverityScore("rating", urgency, SOURCE),) if urgency in _URGENCY_RANK else ()
    if status == "resolved":
        fixed = release.get("fixed_version")
        if not isinstance(fixed, str) or not fixed.strip():
            raise MalformedRecord(f"{ecosystem}: resolved without a fixed_version")
        if fixed.strip() == "0":
            return None
        return fixed_affected(ecosystem, package, fixed.strip(), severity=severity)
    if status == "open":
        return unfixed_affected(ecosystem, package, open_state(release), severity=severity)
    if status == "undetermined":
        return None
    raise MalformedRecord(f"{ecosystem}: unknown status {status!r}")


def open_state(release: dict[str, Any]) -> FixStatus:
    """NOT_FIXED or WONT_FIX for an `open` entry (see the module's docstring)."""
    reason = text(release.get("nodsa_reason")).lower()
    if text(release.get("urgency")).rstrip("*").lower() == "end-of-life":
        return FixStatus.WONT_FIX
    if reason == "postponed":
        return FixStatus.NOT_FIXED
    if reason == "ignored" or text(release.get("nodsa")):
        return FixStatus.WONT_FIX
    return FixStatus.NOT_FIXED


def _advisory(path: Path, modified: str, cve_id: str, cve: _Cve, related: list[str]) -> Advisory:
    ratings = [s for a in cve.affected for s in a.severity]
    worst = max(ratings, key=lambda s: _URGENCY_RANK[s.score], default=None)
    references = [f"https://security-tracker.debian.org/tracker/{cve_id}"]
    if cve.bug:
        references.append(f"https://bugs.debian.org/{cve.bug}")
    return Advisory(
        id=distro_id("DEBIAN", cve_id),
        modified=modified,
        aliases=(cve_id,),
        related=tuple(related),
        details=cve.details,
        severity=(worst,) if worst else (),
        affected=tuple(sorted(cve.affected, key=lambda a: (a.name, _release_key(a.ecosystem)))),
        references=tuple(references),
        source=str(path),
    )


def _release_key(ecosystem: str) -> int:
    return int(ecosystem.partition(":")[2])
