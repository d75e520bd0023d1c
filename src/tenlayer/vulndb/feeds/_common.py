"""What every distribution feed reader shares: ranges, ids, problem reporting, file walks."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tenlayer.model import FixStatus
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

FeedItem = Advisory | MalformedRecord
"""What a feed reader yields: an advisory, or a record it skipped (counted by the importer,
which goes on with the next one). Nothing a feed contains makes a reader raise."""

_FROM_FIRST = Event(EventKind.INTRODUCED, "0")
_OPEN = (AffectedRange(RangeType.ECOSYSTEM, (_FROM_FIRST,)),)

VULN_ID = re.compile(r"^[A-Z][A-Z0-9]*-[A-Za-z0-9][\w.:-]*$")
"""An advisory id as feeds write them (CVE-…, GHSA-…, XSA-…); free text is not one."""


def fixed_affected(
    ecosystem: str,
    name: str,
    fixed: str,
    *,
    introduced: str = "0",
    severity: tuple[SeverityScore, ...] = (),
) -> Affected:
    """Affected from `introduced` (every version, by default) until `fixed`."""
    start = _FROM_FIRST if introduced == "0" else Event(EventKind.INTRODUCED, introduced)
    events = (start, Event(EventKind.FIXED, fixed))
    return Affected(
        ecosystem=ecosystem,
        name=name,
        ranges=(AffectedRange(RangeType.ECOSYSTEM, events),),
        state=FixStatus.FIXED,
        severity=severity,
    )


def unfixed_affected(
    ecosystem: str,
    name: str,
    state: FixStatus,
    *,
    severity: tuple[SeverityScore, ...] = (),
) -> Affected:
    """Every version affected and no fix: `introduced 0` alone, as OSV writes it."""
    return Affected(ecosystem=ecosystem, name=name, ranges=_OPEN, state=state, severity=severity)


def distro_id(prefix: str, vuln_id: str) -> str:
    """`DEBIAN-CVE-2024-1234`: a distribution's record about one vulnerability.

    The CVE goes in `aliases`. Several feeds speak of the same CVE (Debian, Alpine, Red
    Hat, NVD-derived records), each with its own facts; keyed by the bare CVE they would
    overwrite one another in a store keyed by id. OSV.dev names these records the same
    way (`DEBIAN-CVE-…`, `ALPINE-CVE-…`, `UBUNTU-CVE-…`).
    """
    return f"{prefix}-{vuln_id}"


@contextmanager
def gathering() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader builds its records in memory.

    Readers that gather a whole feed before yielding (Debian's tracker: ~10^5 advisories,
    ~10^6 entries) create no reference cycles, but every few thousand allocations the
    collector walks the growing heap again: two thirds of the time on the real tracker's
    size. It is switched back on (if it was on) before anything is yielded.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def malformed(where: Path | str, what: str) -> MalformedRecord:
    """A skipped record, named: readers yield these among their advisories."""
    return MalformedRecord(f"{where}: {what}")


def files_under(path: Path) -> Iterator[Path]:
    """`path` itself, or every regular file below it in a stable order (hidden ones skipped)."""
    if path.is_file():
        yield path
        return
    for child in sorted(path.rglob("*")):
        hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
        if not hidden and child.is_file():
            yield child


def file_time(path: Path) -> str:
    """The file's modification time (RFC 3339, UTC): when this copy of the feed was written.

    Feeds without dates per record (Debian's tracker, secdb, Red Hat's security data API)
    use it as the records' `modified`: the store needs one to decide between two copies of
    a record, and the facts are as of that copy.
    """
    from datetime import UTC, datetime

    try:
        stamp = path.stat().st_mtime
    except OSError:
        stamp = 0.0
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def head(path: Path, size: int = 4096) -> str:
    """The start of a file, for sniffing its format ("" when unreadable)."""
    try:
        with path.open("rb") as stream:
            return stream.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


def load_json(path: Path) -> Any:
    """The file's JSON; MalformedRecord naming the file when it is not JSON."""
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except OSError as error:
        raise MalformedRecord(f"{path}: cannot be read: {error.strerror or error}") from None
    except orjson.JSONDecodeError as error:
        raise MalformedRecord(f"{path}: not valid JSON: {error}") from None


def text(value: Any) -> str:
    """A field that should be a string, or "" (feeds write null and [] for nothing)."""
    return value.strip() if isinstance(value, str) else ""


def vuln_ids(values: Any) -> tuple[list[str], list[str]]:
    """Split a feed's list of ids into real ids and the leftovers that are not ids."""
    good: list[str] = []
    bad: list[str] = []
    if values is None:
        return good, bad
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return good, [repr(values)]
    for value in values:
        if not isinstance(value, str):
            bad.append(repr(value))
            continue
        for token in value.split():
            (good if VULN_ID.match(token) else bad).append(token)
    return good, bad
