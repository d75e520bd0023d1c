"""One OSV record (https://ossf.github.io/osv-schema/) -> `records.Advisory`.

Strict about what matching depends on (id, modified, packages, ranges, events, versions: a
wrong type there raises `MalformedRecord` naming the field), forgiving about what real feeds
do that the schema does not quite allow: numbers where strings belong (YAML), an event object
carrying two events, references without a url, absent optional lists, `null` for an empty
list. Unknown fields are ignored, as the schema asks.

Severity comes from three places: `severity[]` (CVSS vectors, Ubuntu's priority), the same
per affected package, and the rating words feeds put elsewhere (GHSA's
`database_specific.severity: HIGH`, Debian's `ecosystem_specific.urgency`), which become
`SeverityScore(type="rating", ...)` with the rater as `source`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tenlayer.vulndb.names import ecosystem_base
from tenlayer.vulndb.records import (
    Advisory,
    Affected,
    AffectedRange,
    Event,
    EventKind,
    MalformedRecord,
    RangeType,
    SeverityScore,
)

_EVENT_KINDS = {kind.value: kind for kind in EventKind}
_RANGE_TYPES = {kind.value: kind for kind in RangeType}
MAX_ID_LENGTH = 256

# Who publishes records with an id prefix: the `source` of their ratings and vectors.
_PUBLISHERS = {
    "GHSA": "GHSA",
    "PYSEC": "PyPA",
    "GO": "Go",
    "RUSTSEC": "RustSec",
    "CVE": "NVD",
    "DSA": "Debian",
    "DLA": "Debian",
    "DTSA": "Debian",
    "DEBIAN": "Debian",
    "USN": "Ubuntu",
    "LSN": "Ubuntu",
    "UBUNTU": "Ubuntu",
    "ALPINE": "Alpine",
    "RHSA": "Red Hat",
    "RHBA": "Red Hat",
    "RHEA": "Red Hat",
    "RLSA": "Rocky Linux",
    "RXSA": "Rocky Linux",
    "ALSA": "AlmaLinux",
    "ALBA": "AlmaLinux",
    "ALEA": "AlmaLinux",
    "CGA": "Chainguard",
    "MAL": "OpenSSF",
    "OSV": "OSS-Fuzz",
}
_DISTRIBUTIONS = frozenset(
    ("Debian", "Ubuntu", "Alpine", "Red Hat", "Rocky Linux", "AlmaLinux", "Wolfi", "Chainguard")
)


def parse_record(data: object, source: str = "") -> Advisory:
    """Turn one decoded OSV document into an Advisory; `source` names it in messages."""
    if not isinstance(data, Mapping):
        raise MalformedRecord(f"not an OSV record (a {_kind(data)}, expected an object)")
    record_id = data.get("id")
    if not isinstance(record_id, str) or not record_id.strip():
        if record_id is None and "affected" not in data and "modified" not in data:
            raise MalformedRecord(
                "not an OSV record (no id, affected or modified) nor a feed tenlayer reads"
            )
        raise MalformedRecord("missing id" if record_id is None else "id is not a string")
    record_id = record_id.strip()
    if len(record_id) > MAX_ID_LENGTH or any(c.isspace() for c in record_id):
        raise MalformedRecord(f"id {record_id[:60]!r}: not an identifier")
    where = record_id
    try:
        publisher = publisher_of(record_id, data)
        modified = _timestamp(data.get("modified"), "modified", required=True)
        affected = tuple(_affected_list(data.get("affected"), publisher))
        return Advisory(
            id=record_id,
            modified=modified,
            published=_timestamp(data.get("published"), "published"),
            withdrawn=_timestamp(data.get("withdrawn"), "withdrawn"),
            aliases=_strings(data.get("aliases"), "aliases", exclude=record_id),
            related=_strings(data.get("related"), "related", exclude=record_id),
            summary=_text(data.get("summary"), "summary"),
            details=_text(data.get("details"), "details"),
            severity=_severity_list(data.get("severity"), "severity", publisher)
            + _ratings(data.get("database_specific"), publisher, ("severity",)),
            affected=affected,
            references=_references(data.get("references")),
            source=source,
            extra=_extra(data),
        )
    except MalformedRecord as error:
        raise MalformedRecord(f"{where}: {error}") from None


def publisher_of(record_id: str, data: Mapping[str, Any]) -> str:
    """Who rated the record: the distribution its packages belong to, else its id prefix."""
    affected = data.get("affected")
    if isinstance(affected, list):
        for entry in affected:
            package = entry.get("package") if isinstance(entry, Mapping) else None
            ecosystem = package.get("ecosystem") if isinstance(package, Mapping) else None
            if isinstance(ecosystem, str) and ecosystem_base(ecosystem) in _DISTRIBUTIONS:
                return ecosystem_base(ecosystem)
    prefix = record_id.partition("-")[0].upper()
    return _PUBLISHERS.get(prefix, prefix)


def _kind(value: object) -> str:
    return {dict: "object", list: "list", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _timestamp(value: object, name: str, *, required: bool = False) -> str:
    """RFC 3339 time as the record writes it, checked; datetimes (YAML) written back."""
    if value is None or value == "":
        if required:
            raise MalformedRecord(f"missing {name}")
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat().replace("+00:00", "Z")
    if not isinstance(value, str):
        raise MalformedRecord(f"{name} is a {_kind(value)}, expected an RFC 3339 time")
    try:
        sort_key(value)
    except ValueError:
        raise MalformedRecord(f"{name} {value[:40]!r} is not an RFC 3339 time") from None
    return value


def sort_key(timestamp: str) -> str:
    """A string that orders RFC 3339 times correctly whatever their offset or precision."""
    parsed = datetime.fromisoformat(timestamp.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset: keep the wall-clock time
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.%f").rjust(26, "0")


def _text(value: object, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedRecord(f"{name} is a {_kind(value)}, expected a string")
    return value


def _list(value: object, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedRecord(f"{name} is a {_kind(value)}, expected a list")
    return value


def _strings(value: object, name: str, *, exclude: str = "") -> tuple[str, ...]:
    items: list[str] = []
    for index, item in enumerate(_list(value, name)):
        if not isinstance(item, str):
            raise MalformedRecord(f"{name}[{index}] is a {_kind(item)}, expected a string")
        item = item.strip()
        if item and item != exclude and item not in items:
            items.append(item)
    return tuple(items)


def _version(value: object, name: str) -> str:
    """A version string. Integers are taken (YAML writes `introduced: 0`); floats are not:
    `1.10` read as a number has already lost what it was."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise MalformedRecord(f"{name} is a {_kind(value)}, expected a version string")


def _severity_list(value: object, name: str, publisher: str) -> tuple[SeverityScore, ...]:
    scores: list[SeverityScore] = []
    for index, entry in enumerate(_list(value, name)):
        if not isinstance(entry, Mapping):
            raise MalformedRecord(f"{name}[{index}] is a {_kind(entry)}, expected an object")
        kind, score = entry.get("type"), entry.get("score")
        if not isinstance(kind, str) or not kind:
            raise MalformedRecord(f"{name}[{index}].type missing or not a string")
        if isinstance(score, int | float) and not isinstance(score, bool):
            score = str(score)
        if not isinstance(score, str):
            raise MalformedRecord(f"{name}[{index}].score missing or not a string")
        source = "Ubuntu" if kind == "Ubuntu" else publisher
        item = SeverityScore(type=kind, score=score.strip(), source=source)
        if item.score and item not in scores:
            scores.append(item)
    return tuple(scores)


def _ratings(
    specific: object, publisher: str, keys: tuple[str, ...]
) -> tuple[SeverityScore, ...]:
    """Rating words a feed puts in `database_specific` / `ecosystem_specific`."""
    if not isinstance(specific, Mapping):
        return ()
    found: list[SeverityScore] = []
    for key in keys:
        word = specific.get(key)
        if isinstance(word, str) and word.strip():
            rating = SeverityScore(type="rating", score=word.strip(), source=publisher)
            if rating not in found:
                found.append(rating)
    return tuple(found)


def _references(value: object) -> tuple[str, ...]:
    urls: list[str] = []
    for index, entry in enumerate(_list(value, "references")):
        if isinstance(entry, str):  # a bare url: not the schema, but unambiguous
            url: object = entry
        elif isinstance(entry, Mapping):
            url = entry.get("url")
        else:
            raise MalformedRecord(f"references[{index}] is a {_kind(entry)}, expected an object")
        if isinstance(url, str) and url.strip() and url.strip() not in urls:
            urls.append(url.strip())
    return tuple(urls)


def _extra(data: Mapping[str, Any]) -> dict[str, str]:
    extra: dict[str, str] = {}
    upstream = data.get("upstream")  # schema 1.7: the records this one derives from
    if isinstance(upstream, list):
        ids = [item for item in upstream if isinstance(item, str) and item]
        if ids:
            extra["upstream"] = " ".join(ids)
    return extra


def _affected_list(value: object, publisher: str) -> list[Affected]:
    entries: list[Affected] = []
    for index, entry in enumerate(_list(value, "affected")):
        name = f"affected[{index}]"
        if not isinstance(entry, Mapping):
            raise MalformedRecord(f"{name} is a {_kind(entry)}, expected an object")
        parsed = _affected(entry, name, publisher)
        if parsed is not None:
            entries.append(parsed)
    return entries


def _affected(entry: Mapping[str, Any], name: str, publisher: str) -> Affected | None:
    package = entry.get("package")
    ranges = tuple(
        _range(item, f"{name}.ranges[{i}]")
        for i, item in enumerate(_list(entry.get("ranges"), f"{name}.ranges"))
    )
    if package is None:
        # Upstream-only entries (a GIT range on a repository, no package): nothing to match
        # an installed package against.
        return None
    if not isinstance(package, Mapping):
        raise MalformedRecord(f"{name}.package is a {_kind(package)}, expected an object")
    ecosystem, package_name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not ecosystem.strip():
        raise MalformedRecord(f"{name}.package.ecosystem missing or not a string")
    if not isinstance(package_name, str) or not package_name.strip():
        raise MalformedRecord(f"{name}.package.name missing or not a string")
    versions = tuple(
        dict.fromkeys(
            _version(item, f"{name}.versions[{i}]")
            for i, item in enumerate(_list(entry.get("versions"), f"{name}.versions"))
        )
    )
    ecosystem_specific = entry.get("ecosystem_specific")
    database_specific = entry.get("database_specific")
    rater = ecosystem_base(ecosystem) if ecosystem_base(ecosystem) in _DISTRIBUTIONS else publisher
    severity = (
        _severity_list(entry.get("severity"), f"{name}.severity", publisher)
        + _ratings(ecosystem_specific, rater, ("severity", "urgency"))
        + _ratings(database_specific, rater, ("severity",))
        + _ubuntu_priority(database_specific)
    )
    return Affected(
        ecosystem=ecosystem.strip(),
        name=package_name.strip(),
        ranges=ranges,
        versions=tuple(v for v in versions if v),
        severity=tuple(dict.fromkeys(severity)),
        symbols=_symbols(ecosystem_specific),
    )


def _range(value: object, name: str) -> AffectedRange:
    if not isinstance(value, Mapping):
        raise MalformedRecord(f"{name} is a {_kind(value)}, expected an object")
    kind = value.get("type")
    range_type = _RANGE_TYPES.get(kind.upper()) if isinstance(kind, str) else None
    if range_type is None:
        raise MalformedRecord(f"{name}.type {kind!r} is not ECOSYSTEM, SEMVER or GIT")
    repo = value.get("repo")
    if repo is not None and not isinstance(repo, str):
        raise MalformedRecord(f"{name}.repo is a {_kind(repo)}, expected a string")
    events: list[Event] = []
    for index, item in enumerate(_list(value.get("events"), f"{name}.events")):
        where = f"{name}.events[{index}]"
        if not isinstance(item, Mapping):
            raise MalformedRecord(f"{where} is a {_kind(item)}, expected an object")
        known = [(key, version) for key, version in item.items() if key in _EVENT_KINDS]
        if not known:
            raise MalformedRecord(f"{where} has none of introduced, fixed, last_affected, limit")
        for key, version in known:  # more than one event in one object: keep them in order
            events.append(Event(_EVENT_KINDS[key], _version(version, f"{where}.{key}")))
    return AffectedRange(type=range_type, events=tuple(events), repo=repo or "")


def _symbols(specific: object) -> tuple[str, ...]:
    """Affected functions. Go: `imports[].path` + `.symbols[]` joined as Go's symbol tables
    write them (`net/http.Client.Do`), or the bare import path when every symbol of the
    package is affected. RustSec: `affects.functions[]` (`openssl::ssl::SslStream::new`)."""
    if not isinstance(specific, Mapping):
        return ()
    found: list[str] = []
    imports = specific.get("imports")
    if isinstance(imports, list):
        for item in imports:
            if not isinstance(item, Mapping):
                continue
            path = item.get("path")
            symbols = item.get("symbols")
            if not isinstance(path, str) or not path:
                continue
            if isinstance(symbols, list) and symbols:
                found.extend(f"{path}.{s}" for s in symbols if isinstance(s, str) and s)
            else:
                found.append(path)
    affects = specific.get("affects")
    if isinstance(affects, Mapping):
        functions = affects.get("functions")
        if isinstance(functions, list):
            found.extend(f for f in functions if isinstance(f, str) and f)
    return tuple(dict.fromkeys(found))


def _ubuntu_priority(specific: object) -> tuple[SeverityScore, ...]:
    """Ubuntu USNs rate each CVE they fix in `database_specific.cves_map`; the package's
    rating is the highest of them."""
    if not isinstance(specific, Mapping):
        return ()
    cves_map = specific.get("cves_map")
    cves = cves_map.get("cves") if isinstance(cves_map, Mapping) else None
    if not isinstance(cves, list):
        return ()
    order = ("negligible", "low", "medium", "high", "critical")
    best = ""
    for cve in cves:
        scores = cve.get("severity") if isinstance(cve, Mapping) else None
        for score in scores if isinstance(scores, list) else ():
            if isinstance(score, Mapping) and score.get("type") == "Ubuntu":
                word = str(score.get("score", "")).strip().lower()
                if word in order and (not best or order.index(word) > order.index(best)):
                    best = word
    return (SeverityScore(type="Ubuntu", score=best, source="Ubuntu"),) if best else ()
