"""The vulnerability database: one SQLite file, built whole and swapped in atomically.

Schema (version `SCHEMA_VERSION`, also in `PRAGMA user_version`; `PRAGMA application_id`
marks the file as tenlayer's)::

    meta(key PRIMARY KEY, value)                    JSON values: build time, sources, counts
    ecosystem(id PRIMARY KEY, name UNIQUE)          canonical ecosystems (`Debian:12`, `PyPI`)
    advisory(id PRIMARY KEY, record_id UNIQUE, modified, published, withdrawn, record)
    alias(alias, advisory)                          WITHOUT ROWID, PRIMARY KEY (alias, advisory)
    affected(ecosystem, name, advisory, seq, withdrawn, entry)
                                                    WITHOUT ROWID, PRIMARY KEY in that order;
                                                    index affected_by_advisory (advisory)

The matcher asks "which advisories affect package NAME in ECOSYSTEM", so `affected` is a
clustered B-tree on (ecosystem id, normalised name): one lookup is one range scan of
adjacent rows, each carrying its own ranges and versions (`entry`, compact JSON), joined by
primary key to the advisory's other fields (`record`, JSON without `affected`), which are
decoded once per advisory and cached. Withdrawn advisories are kept (with their flag on
every row) and filtered out by the query. `affected_many` asks for up to 500 names per
query. Measured with bench/db_import.py.

A database is never changed in place: `build_database` and `import_database` write a new
file beside the target, fsync it and rename it over the old one, so readers keep the file
they opened and a killed update leaves the previous database as it was. That also lets
readers open the file `immutable` (no locking at all).
"""

from __future__ import annotations

import fcntl
import gc
import io
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import orjson

from tenlayer import __version__
from tenlayer.errors import BadInput, EnvironmentProblem
from tenlayer.model import FixStatus
from tenlayer.vulndb.names import canonical_ecosystem, ecosystem_base, normalize_name
from tenlayer.vulndb.osv import sort_key
from tenlayer.vulndb.records import (
    Advisory,
    Affected,
    AffectedRange,
    Event,
    EventKind,
    RangeType,
    SeverityScore,
)
from tenlayer.vulndb.versions.leading import leading_number

SCHEMA_VERSION = 4
"""4: `affected.simple_type`/`simple_fixed`/`simple_lead` (the commonest entry, one range
`introduced 0` … `fixed X`, in columns of its own, with X's leading number)."""
APPLICATION_ID = 0x544C5644  # "TLVD"
SQLITE_MAGIC = b"SQLite format 3\x00"
DATABASE_NAME = "vulndb.sqlite"
DEFAULT_MAX_AGE = timedelta(days=7)
_BATCH = 4096
_ADVISORY_CACHE = 50_000  # decoded advisories kept per open database (~100 MB at most)
_QUERY_CHUNK = 500  # names per IN (...) query: well under SQLite's parameter limit
_SELECT = (
    "SELECT f.advisory, f.entry, a.record, f.name FROM affected f "
    "JOIN advisory a ON a.id = f.advisory WHERE f.ecosystem = ? AND f.withdrawn = 0 AND "
)
_BY_NAME = _SELECT + "f.name = ?"
_CANDIDATES = (  # a simple row's entry is left in the file: it is read only if it matches
    "SELECT f.name, f.advisory, f.seq, CASE WHEN f.simple_fixed IS NULL THEN f.entry END, "
    "f.simple_type, f.simple_fixed FROM wanted w JOIN affected f "
    "ON f.ecosystem = ? AND f.name = w.name "
    # A simple row fixed in a release whose leading number is below the installed one's
    # cannot affect it (see match.leading_order): it never leaves SQLite.
    "WHERE f.withdrawn = 0 "
    "AND (w.lead IS NULL OR f.simple_lead IS NULL OR f.simple_lead >= w.lead)"
)
_MAX_LEAD = (1 << 63) - 1
_AffectedRow = tuple[int, str, int, int, int, bytes, str | None, str | None, int | None]
_ENTRY = "SELECT entry FROM affected WHERE advisory = ? AND seq = ?"
_RECORD = "SELECT record FROM advisory WHERE id = ?"


_ENTRY_FIELDS = 7
_DECODE_ERRORS = (orjson.JSONDecodeError, ValueError, TypeError, KeyError, IndexError)
"""What decoding a damaged record can raise (JSONDecodeError is a ValueError)."""

Row = tuple[str, int, int, bytes | None, str | None, str | None]
"""An `affected` row as the matcher reads it: (name, advisory key, seq, entry, simple type,
simple fixed). The last two are set for the commonest entry, one range `introduced 0` …
`fixed FIXED`, so that most rows are judged by one version comparison, without decoding
anything; such a row comes without its entry (`entry_of` reads it)."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE ecosystem (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE advisory (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    modified TEXT NOT NULL,
    published TEXT NOT NULL,
    withdrawn INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE alias (
    alias TEXT NOT NULL,
    advisory INTEGER NOT NULL,
    PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE TABLE affected (
    ecosystem INTEGER NOT NULL,
    name TEXT NOT NULL,
    advisory INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    entry BLOB NOT NULL,
    simple_type TEXT,
    simple_fixed TEXT,
    simple_lead INTEGER,
    PRIMARY KEY (ecosystem, name, advisory, seq)
) WITHOUT ROWID;
"""
_INDEXES = "CREATE INDEX affected_by_advisory ON affected (advisory)"
"""For `advisory(id)`; made once the rows are in (faster than kept up during the build)."""


def missing_message(path: Path) -> str:
    return (
        f"no vulnerability database at {path}; run `tenlayer db update` "
        "(or `tenlayer db import FILE`)"
    )


def rebuild_hint() -> str:
    return "run `tenlayer db update` (or `tenlayer db import FILE`) to rebuild it"


def cache_dir() -> Path:
    """`$TENLAYER_CACHE_DIR`, else `$XDG_CACHE_HOME/tenlayer`, else `~/.cache/tenlayer`."""
    explicit = os.environ.get("TENLAYER_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "tenlayer"
    return Path.home() / ".cache" / "tenlayer"


def default_path() -> Path:
    return cache_dir() / DATABASE_NAME


# --- records <-> rows ------------------------------------------------------------------


def _encode_record(advisory: Advisory) -> bytes:
    return orjson.dumps(
        [
            advisory.id,
            advisory.modified,
            advisory.published,
            advisory.withdrawn,
            advisory.aliases,
            advisory.related,
            advisory.summary,
            advisory.details,
            [[s.type, s.score, s.source] for s in advisory.severity],
            advisory.references,
            advisory.source,
            advisory.extra,
        ]
    )


def _decode_record(blob: bytes) -> Advisory:
    (ident, modified, published, withdrawn, aliases, related, summary, details, severity,
     references, source, extra) = orjson.loads(blob)  # fmt: skip
    return Advisory(
        id=ident,
        modified=modified,
        published=published,
        withdrawn=withdrawn,
        aliases=tuple(aliases),
        related=tuple(related),
        summary=summary,
        details=details,
        severity=tuple(SeverityScore(*s) for s in severity),
        references=tuple(references),
        source=source,
        extra=extra,
    )


def _encode_entry(affected: Affected) -> bytes:
    return orjson.dumps(
        [
            affected.ecosystem,
            affected.name,
            [
                [r.type.value, r.repo, [[e.kind.value, e.version] for e in r.events]]
                for r in affected.ranges
            ],
            affected.versions,
            affected.state.value if affected.state is not None else None,
            [[s.type, s.score, s.source] for s in affected.severity],
            affected.symbols,
        ]
    )


def _simple(affected: Affected) -> tuple[str | None, str | None, int | None]:
    """(range type, fixed version) for the commonest entry, every version before FIXED
    affected (one ECOSYSTEM or SEMVER range `introduced 0` then `fixed`, no version list, no
    state): the matcher then compares one version without decoding the entry."""
    none = (None, None, None)
    if affected.versions or affected.state is not None or len(affected.ranges) != 1:
        return none
    [only] = affected.ranges
    if only.type is RangeType.GIT or len(only.events) != 2:
        return none
    first, second = only.events
    if first.kind is not EventKind.INTRODUCED or first.version != "0":
        return none
    if second.kind is not EventKind.FIXED:
        return none
    lead = leading_number(second.version)
    if lead is not None and lead > _MAX_LEAD:
        lead = None  # SQLite integers are 64-bit
    return only.type.value, second.version, lead


_KINDS = {kind.value: kind for kind in EventKind}
_TYPES = {kind.value: kind for kind in RangeType}
_STATES = {state.value: state for state in FixStatus}


_EVENTS: dict[tuple[str, str], Event] = {}
"""Events interned: the same (`introduced`, `0`) recurs in most entries."""


def _event(kind: str, version: str) -> Event:
    try:
        return _EVENTS[kind, version]
    except KeyError:
        event = Event(_KINDS[kind], version)
        if len(_EVENTS) < 1 << 16:
            _EVENTS[kind, version] = event
        return event


def _decode_entry(blob: bytes) -> Affected:
    ecosystem, name, ranges, versions, state, severity, symbols = orjson.loads(blob)
    return Affected(
        ecosystem=ecosystem,
        name=name,
        ranges=tuple(
            [
                AffectedRange(_TYPES[kind], tuple([_event(k, v) for k, v in events]), repo)
                for kind, repo, events in ranges
            ]
        ),
        versions=tuple(versions),
        state=_STATES[state] if state is not None else None,
        severity=tuple(SeverityScore(*s) for s in severity),
        symbols=tuple(symbols),
    )


# --- metadata --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What `tenlayer db status` shows, read from the `meta` table."""

    path: Path
    schema_version: int
    built: datetime
    tenlayer_version: str
    advisories: int
    withdrawn: int
    malformed: int
    duplicates: int
    sources: tuple[Mapping[str, Any], ...]
    ecosystems: Mapping[str, int] = field(default_factory=dict)
    """Canonical ecosystem -> advisories (not withdrawn) with an entry in it."""
    families: Mapping[str, int] = field(default_factory=dict)
    """Ecosystem family (`Debian` for every `Debian:*` release) -> advisories in it."""
    size: int = 0

    def by_base(self) -> dict[str, int]:
        """Advisories per ecosystem family, sorted by name."""
        return dict(sorted(self.families.items(), key=lambda item: item[0].lower()))

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.built

    def staleness(self, max_age: timedelta, now: datetime | None = None) -> str | None:
        """A warning when the database is older than `max_age`, else None."""
        age = self.age(now)
        if age <= max_age:
            return None
        return (
            f"vulnerability database {self.path} is {describe_age(age)} old (built "
            f"{self.built:%Y-%m-%d %H:%M} UTC, limit {describe_age(max_age)}); "
            "run `tenlayer db update`"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "schema_version": self.schema_version,
            "built": self.built.isoformat().replace("+00:00", "Z"),
            "tenlayer_version": self.tenlayer_version,
            "advisories": self.advisories,
            "withdrawn": self.withdrawn,
            "malformed": self.malformed,
            "duplicates": self.duplicates,
            "sources": [dict(s) for s in self.sources],
            "ecosystems": dict(self.ecosystems),
            "families": dict(self.families),
            "size": self.size,
        }


def describe_age(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds >= 86400:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds >= 3600:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


# --- reading ---------------------------------------------------------------------------


class VulnDatabase:
    """A read-only vulnerability database; implements `index.AdvisoryIndex`.

    Opening checks that the file is a complete tenlayer database of this schema version
    (cheap: its header, `application_id`, `user_version`, size against its page count and
    the `meta` table); `verify()` adds SQLite's full integrity check. Any problem is an
    `EnvironmentProblem` on one line that says how to rebuild.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = _open_checked(path)
        self._advisories: dict[int, Advisory] = {}
        self._entries: dict[tuple[int, int], bytes] = {}
        self._asked: dict[str, int | None] = {}
        try:
            self.info = _read_info(self._connection, path)
            self._ecosystem_ids = {
                name: ident
                for ident, name in self._connection.execute("SELECT id, name FROM ecosystem")
            }
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise _corrupt(path, error) from None

    def __enter__(self) -> VulnDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def ecosystems(self) -> frozenset[str]:
        return frozenset(self._ecosystem_ids)

    def age(self, now: datetime | None = None) -> timedelta:
        """Time since the database was built (from the data, not the file's mtime)."""
        return self.info.age(now)

    def staleness(
        self, max_age: timedelta = DEFAULT_MAX_AGE, now: datetime | None = None
    ) -> str | None:
        """The warning to show when the database is older than `max_age`, else None."""
        return self.info.staleness(max_age, now)

    def _ecosystem_id(self, ecosystem: str) -> int | None:
        try:
            return self._asked[ecosystem]
        except KeyError:
            found = self._ecosystem_ids.get(canonical_ecosystem(ecosystem))
            self._asked[ecosystem] = found
            return found

    def affected(self, ecosystem: str, name: str) -> list[tuple[Advisory, Affected]]:
        ecosystem_id = self._ecosystem_id(ecosystem)
        if ecosystem_id is None:
            return []
        try:
            rows = self._connection.execute(
                _BY_NAME, (ecosystem_id, normalize_name(ecosystem, name))
            ).fetchall()
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None
        return self._pairs(rows) if rows else []

    def affected_many(
        self, ecosystem: str, names: Iterable[str]
    ) -> dict[str, list[tuple[Advisory, Affected]]]:
        """`affected` for many packages of one ecosystem in few queries: every name given is
        a key of the result (with an empty list when nothing affects it)."""
        result: dict[str, list[tuple[Advisory, Affected]]] = {}
        wanted: dict[str, list[str]] = {}
        for name in names:
            result[name] = []
            wanted.setdefault(normalize_name(ecosystem, name), []).append(name)
        ecosystem_id = self._ecosystem_id(ecosystem)
        if ecosystem_id is None or not wanted:
            return result
        keys = list(wanted)
        try:
            rows: list[tuple[int, bytes, bytes, str]] = []
            for start in range(0, len(keys), _QUERY_CHUNK):
                chunk = keys[start : start + _QUERY_CHUNK]
                query = _SELECT + f"f.name IN ({','.join('?' * len(chunk))})"
                rows.extend(self._connection.execute(query, (ecosystem_id, *chunk)))
            if rows:
                for row, pair in zip(rows, self._pairs(rows), strict=True):
                    key = row[3]
                    for name in wanted[key]:
                        result[name].append(pair)
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None
        return result

    def candidates_many(
        self, ecosystem: str, names: Iterable[str], leads: Mapping[str, int | None] | None = None
    ) -> dict[str, list[Row]]:
        """Like `affected_many`, but each entry as a `Row` to decode only when it matters
        (`raw_entry`, `entry_of`, `advisory_by_key`).

        `leads` gives, per name, the smallest leading number of the versions to be judged
        (None when a version has none, or its scheme does not order by it): simple rows
        fixed below it are left out, as they cannot affect those versions.
        """
        result: dict[str, list[Row]] = {}
        wanted: dict[str, list[str]] = {}
        lead_of: dict[str, int | None] = {}
        for name in names:
            result[name] = []
            key = normalize_name(ecosystem, name)
            wanted.setdefault(key, []).append(name)
            lead = None if leads is None else leads.get(name)
            if lead is not None and lead > _MAX_LEAD:
                lead = None
            if key not in lead_of:
                lead_of[key] = lead
            elif lead is None or lead_of[key] is None:
                lead_of[key] = None
            else:
                lead_of[key] = min(lead, lead_of[key])  # type: ignore[type-var]
        ecosystem_id = self._ecosystem_id(ecosystem)
        if ecosystem_id is None or not wanted:
            return result
        keys = list(wanted)
        try:
            for start in range(0, len(keys), _QUERY_CHUNK):
                chunk = keys[start : start + _QUERY_CHUNK]
                values = ",".join("(?, ?)" * 1 for _ in chunk)
                query = f"WITH wanted(name, lead) AS (VALUES {values}) " + _CANDIDATES
                parameters: list[Any] = []
                for key in chunk:
                    parameters += (key, lead_of[key])
                for row in self._connection.execute(query, (*parameters, ecosystem_id)):
                    for name in wanted[row[0]]:
                        result[name].append(row)
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None
        return result

    def prefetch(self, rows: Iterable[Row]) -> None:
        """Read the advisory records and the left-out entries of these rows in batches."""
        rows = list(rows)
        keys = sorted({row[1] for row in rows if row[1] not in self._advisories})
        pairs = sorted({(row[1], row[2]) for row in rows if row[3] is None} - self._entries.keys())
        try:
            for start in range(0, len(keys), _QUERY_CHUNK):
                ids = keys[start : start + _QUERY_CHUNK]
                query = f"SELECT id, record FROM advisory WHERE id IN ({','.join('?' * len(ids))})"
                for key, record in self._connection.execute(query, ids):
                    self._advisories[key] = self._decode_record(record)
            for start in range(0, len(pairs), _QUERY_CHUNK):
                batch = pairs[start : start + _QUERY_CHUNK]
                query = (
                    "WITH wanted(advisory, seq) AS (VALUES "
                    + ",".join("(?, ?)" for _ in batch)
                    + ") SELECT f.advisory, f.seq, f.entry FROM wanted w JOIN affected f "
                    "ON f.advisory = w.advisory AND f.seq = w.seq"
                )
                flat = [value for pair in batch for value in pair]
                for advisory, seq, entry in self._connection.execute(query, flat):
                    self._entries[advisory, seq] = entry
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None

    def scores_of(self, row: Row) -> tuple[SeverityScore, ...]:
        """A row's per-package severity scores, the entry read as plain lists only."""
        raw = self.raw_entry(self._entry_bytes(row))
        try:
            return tuple(SeverityScore(*score) for score in raw[5])
        except _DECODE_ERRORS as error:
            raise self._damaged(error) from None

    def entry_of(self, row: Row) -> Affected:
        """The decoded entry of a row, read from the file when the row came without it."""
        return self.entry(self._entry_bytes(row))

    def _entry_bytes(self, row: Row) -> bytes:
        entry = row[3]
        if entry is None:
            entry = self._entries.get((row[1], row[2]))
        if entry is None:
            try:
                found = self._connection.execute(_ENTRY, (row[1], row[2])).fetchone()
            except sqlite3.DatabaseError as error:
                raise _corrupt(self.path, error) from None
            if found is None:
                raise self._damaged(LookupError(f"entry {row[2]} of advisory {row[1]} is gone"))
            entry = found[0]
        return bytes(entry)

    def raw_entry(self, entry: bytes) -> list[Any]:
        """`[ecosystem, name, ranges, versions, state, severity, symbols]` as plain lists,
        ranges as `[type, repo, [[kind, version], …]]`."""
        try:
            value = orjson.loads(entry)
        except orjson.JSONDecodeError as error:
            raise self._damaged(error) from None
        if not isinstance(value, list) or len(value) != _ENTRY_FIELDS:
            raise self._damaged(ValueError("an affected entry has the wrong shape"))
        return value

    def entry(self, entry: bytes) -> Affected:
        try:
            return _decode_entry(entry)
        except _DECODE_ERRORS as error:
            raise self._damaged(error) from None

    def _damaged(self, error: BaseException) -> EnvironmentProblem:
        return EnvironmentProblem(
            f"vulnerability database {self.path} holds a damaged record ({error}); "
            + rebuild_hint()
        )

    def advisory_by_key(self, key: int) -> Advisory:
        """An advisory (without its `affected` list) by the key a `Row` carries."""
        return self._advisory_by_key(key)

    def _advisory_by_key(self, key: int) -> Advisory:
        advisory = self._advisories.get(key)
        if advisory is None:
            try:
                row = self._connection.execute(_RECORD, (key,)).fetchone()
            except sqlite3.DatabaseError as error:
                raise _corrupt(self.path, error) from None
            if row is None:
                raise _corrupt(self.path, LookupError(f"advisory row {key} is missing"))
            if len(self._advisories) > _ADVISORY_CACHE:
                self._advisories.clear()
            try:
                advisory = self._advisories[key] = _decode_record(row[0])
            except _DECODE_ERRORS as error:
                raise self._damaged(error) from None
        return advisory

    def _pairs(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Advisory, Affected]]:
        """(advisory id, entry, record, …) rows -> (Advisory, Affected); each advisory is
        decoded once per database object (many packages share one)."""
        advisories = self._advisories
        if len(advisories) > _ADVISORY_CACHE:
            advisories.clear()
        pairs = []
        # Decoding makes many small objects and no cycles: the cyclic garbage collector,
        # which would otherwise run every few hundred of them over everything alive (the
        # cache included), is paused meanwhile. Lookups are ~1.6x as fast (measured).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for ident, entry, record, *_ in rows:
                advisory = advisories.get(ident)
                if advisory is None:
                    advisory = advisories[ident] = self._decode_record(record)
                pairs.append((advisory, self.entry(entry)))
        finally:
            if collecting:
                gc.enable()
        return pairs

    def advisory(self, record_id: str) -> Advisory | None:
        """One advisory with its `affected` list, by its id (withdrawn ones too)."""
        try:
            row = self._connection.execute(
                "SELECT id, record FROM advisory WHERE record_id = ?", (record_id,)
            ).fetchone()
            if row is None:
                return None
            entries = [
                _decode_entry(entry)
                for (entry,) in self._connection.execute(
                    "SELECT entry FROM affected WHERE advisory = ? ORDER BY seq", (row[0],)
                )
            ]
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None
        return replace(_decode_record(row[1]), affected=tuple(entries))

    def ids_for_alias(self, alias: str) -> list[str]:
        """Ids of the advisories that list `alias` (a CVE, a GHSA, …) among their aliases."""
        try:
            return [
                record_id
                for (record_id,) in self._connection.execute(
                    "SELECT a.record_id FROM alias JOIN advisory a ON a.id = alias.advisory "
                    "WHERE alias.alias = ? ORDER BY a.record_id",
                    (alias,),
                )
            ]
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None

    def _decode_record(self, blob: bytes) -> Advisory:
        try:
            return _decode_record(blob)
        except _DECODE_ERRORS as error:
            raise self._damaged(error) from None

    def verify(self) -> None:
        """SQLite's full integrity check and a decode of every record (seconds on a large
        database): raises when anything is damaged."""
        try:
            problems = [row[0] for row in self._connection.execute("PRAGMA integrity_check")]
            if problems == ["ok"]:
                for (record,) in self._connection.execute("SELECT record FROM advisory"):
                    self._decode_record(record)
                for (entry,) in self._connection.execute("SELECT entry FROM affected"):
                    self.entry(entry)
        except sqlite3.DatabaseError as error:
            raise _corrupt(self.path, error) from None
        if problems != ["ok"]:
            raise EnvironmentProblem(
                f"vulnerability database {self.path} is damaged ({problems[0]}); "
                + rebuild_hint()
            )


def open_database(path: Path | None = None) -> VulnDatabase:
    """The database at `path` (default: `default_path()`), checked."""
    return VulnDatabase(path or default_path())


def _corrupt(path: Path, error: BaseException) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"vulnerability database {path} is damaged or not a tenlayer database ({error}); "
        + rebuild_hint()
    )


def _open_checked(path: Path) -> sqlite3.Connection:
    try:
        with path.open("rb") as stream:
            header = stream.read(100)
    except FileNotFoundError:
        raise EnvironmentProblem(missing_message(path)) from None
    except IsADirectoryError:
        raise EnvironmentProblem(
            f"vulnerability database {path} is a directory, not a file"
        ) from None
    except OSError as error:
        raise EnvironmentProblem(f"cannot read {path} ({error.strerror})") from None
    if not header.startswith(SQLITE_MAGIC) or len(header) < 100:
        raise EnvironmentProblem(
            f"{path} is not a tenlayer vulnerability database (not SQLite); {rebuild_hint()}"
        )
    uri = f"file:{pathname2url(str(path.absolute()))}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as error:
        raise _corrupt(path, error) from None
    try:
        _check_header(connection, path, header)
        # Pages read straight from the page cache (no read() per page), and more of them
        # kept: about a tenth faster lookups on a distribution-sized database (measured).
        connection.execute("PRAGMA mmap_size = 1073741824")
        connection.execute("PRAGMA cache_size = -65536")
    except BaseException:
        connection.close()
        raise
    return connection


def _check_header(connection: sqlite3.Connection, path: Path, header: bytes) -> None:
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        page_count = connection.execute("PRAGMA page_count").fetchone()[0]
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise _corrupt(path, error) from None
    if application_id != APPLICATION_ID:
        raise EnvironmentProblem(
            f"{path} is an SQLite file but not a tenlayer vulnerability database; "
            + rebuild_hint()
        )
    if version != SCHEMA_VERSION:
        raise EnvironmentProblem(
            f"vulnerability database {path} has schema version {version}, this tenlayer "
            f"reads version {SCHEMA_VERSION}; {rebuild_hint()}"
        )
    size = path.stat().st_size
    if size != page_count * page_size:
        raise EnvironmentProblem(
            f"vulnerability database {path} is damaged ({size} bytes, its header says "
            f"{page_count * page_size}); {rebuild_hint()}"
        )


def _read_info(connection: sqlite3.Connection, path: Path) -> DatabaseInfo:
    meta = {key: orjson.loads(value) for key, value in connection.execute("SELECT * FROM meta")}
    if meta.get("complete") is not True:
        raise EnvironmentProblem(
            f"vulnerability database {path} is incomplete (an interrupted build); "
            + rebuild_hint()
        )
    try:
        return DatabaseInfo(
            path=path,
            schema_version=int(meta["schema_version"]),
            built=datetime.fromisoformat(meta["built"]),
            tenlayer_version=str(meta["tenlayer_version"]),
            advisories=int(meta["advisories"]),
            withdrawn=int(meta["withdrawn"]),
            malformed=int(meta["malformed"]),
            duplicates=int(meta["duplicates"]),
            sources=tuple(meta["sources"]),
            ecosystems=dict(meta["ecosystems"]),
            families=dict(meta.get("families") or _sum_families(meta["ecosystems"])),
            size=path.stat().st_size,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise EnvironmentProblem(
            f"vulnerability database {path} has damaged metadata ({error!r}); "
            + rebuild_hint()
        ) from None


def _sum_families(ecosystems: Mapping[str, int]) -> dict[str, int]:
    """Per-family counts for a database that predates them (an upper bound: an advisory
    with entries in two releases counts twice)."""
    totals: dict[str, int] = {}
    for name, count in ecosystems.items():
        totals[ecosystem_base(name)] = totals.get(ecosystem_base(name), 0) + count
    return totals


# --- writing ---------------------------------------------------------------------------


@contextmanager
def update_lock(path: Path) -> Iterator[None]:
    """One writer at a time per database; leftovers of killed writers are removed."""
    if path.is_dir():
        raise BadInput(f"--db {path}: is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(path.parent / f".{path.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise EnvironmentProblem(f"cannot write in {path.parent} ({error.strerror})") from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EnvironmentProblem(
                f"another tenlayer is updating {path}; try again when it is done"
            ) from None
        for leftover in (
            *path.parent.glob(f".{path.name}.*.tmp"),
            *path.parent.glob(".download-*.zip"),
        ):
            with suppress(OSError):
                leftover.unlink()
        yield
    finally:
        os.close(lock)


@contextmanager
def _replacement(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, renamed over it (after fsync) if the block succeeds."""
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise EnvironmentProblem(f"cannot write in {path.parent} ({error.strerror})") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        try:
            with temporary.open("rb+") as stream:
                os.fchmod(stream.fileno(), _mode_for(path))
                os.fsync(stream.fileno())
            temporary.replace(path)
            _fsync_directory(path.parent)
        except OSError as error:
            raise EnvironmentProblem(f"cannot write {path} ({error.strerror or error})") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


SourcesMeta = Sequence[Mapping[str, Any]] | Callable[[], Sequence[Mapping[str, Any]]]


def build_database(
    advisories: Iterable[Advisory],
    path: Path,
    sources_meta: SourcesMeta = (),
    *,
    allow_empty: bool = False,
) -> DatabaseInfo:
    """Write every advisory into a new database and put it at `path` atomically.

    When one id comes more than once (OSV's per-ecosystem zips repeat a record that affects
    several ecosystems) the most recently modified copy is kept. `sources_meta` (each with
    `location`, `kind`, `records`, `malformed`) is read after `advisories` is exhausted, so
    a callable can report counts the iteration filled in. No advisory at all is refused
    (BadInput: the previous database stays) unless `allow_empty`.
    """
    with update_lock(path), _replacement(path) as temporary:
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            _write(connection, advisories, sources_meta, allow_empty=allow_empty)
        except sqlite3.Error as error:  # a full disk, most likely
            raise EnvironmentProblem(f"cannot write {path} ({error})") from None
        finally:
            connection.close()
    with VulnDatabase(path) as database:
        return database.info


def _write(
    connection: sqlite3.Connection,
    advisories: Iterable[Advisory],
    sources_meta: SourcesMeta,
    *,
    allow_empty: bool,
) -> None:
    connection.execute("PRAGMA journal_mode = OFF")  # the whole file is discarded on failure
    connection.execute("PRAGMA synchronous = OFF")  # fsynced once, before the rename
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.executescript(_SCHEMA)
    connection.execute("BEGIN")
    ecosystem_ids: dict[str, int] = {}
    replaced: list[int] = []
    duplicates = 0
    affected_rows: list[_AffectedRow] = []
    alias_rows: list[tuple[str, int]] = []
    insert = (
        "INSERT INTO advisory (id, record_id, modified, published, withdrawn, record) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING"
    )
    ident = 0  # ours, never reused: rows of a replaced copy are deleted by its id at the end
    for advisory in advisories:
        ident += 1
        modified = sort_key(advisory.modified)
        withdrawn = 1 if advisory.withdrawn else 0
        row = (ident, advisory.id, modified, advisory.published, withdrawn,
               _encode_record(advisory))  # fmt: skip
        if connection.execute(insert, row).rowcount == 0:
            duplicates += 1
            old_id, old_modified = connection.execute(
                "SELECT id, modified FROM advisory WHERE record_id = ?", (advisory.id,)
            ).fetchone()
            if modified <= old_modified:
                continue
            replaced.append(old_id)
            connection.execute("DELETE FROM advisory WHERE id = ?", (old_id,))
            connection.execute(insert, row)
        alias_rows.extend((alias, ident) for alias in advisory.aliases)
        for seq, affected in enumerate(advisory.affected):
            ecosystem = canonical_ecosystem(affected.ecosystem)
            ecosystem_id = ecosystem_ids.get(ecosystem)
            if ecosystem_id is None:
                ecosystem_id = ecosystem_ids[ecosystem] = len(ecosystem_ids) + 1
            name = normalize_name(affected.ecosystem, affected.name)
            affected_rows.append(
                (ecosystem_id, name, ident, seq, withdrawn, _encode_entry(affected),
                 *_simple(affected))
            )
        if len(affected_rows) >= _BATCH:
            _flush(connection, affected_rows, alias_rows)
    _flush(connection, affected_rows, alias_rows)
    if not allow_empty and connection.execute("SELECT 1 FROM advisory LIMIT 1").fetchone() is None:
        raise BadInput("the sources hold no readable advisory; the database was not changed")
    connection.execute(_INDEXES)
    connection.executemany(
        "INSERT INTO ecosystem (id, name) VALUES (?, ?)",
        ((ident, name) for name, ident in ecosystem_ids.items()),
    )
    if replaced:  # the older copies of records that came twice
        connection.execute("CREATE TEMP TABLE replaced (id INTEGER PRIMARY KEY)")
        connection.executemany("INSERT INTO replaced VALUES (?)", ((i,) for i in replaced))
        connection.execute("DELETE FROM affected WHERE advisory IN (SELECT id FROM replaced)")
        connection.execute("DELETE FROM alias WHERE advisory IN (SELECT id FROM replaced)")
        connection.execute(
            "DELETE FROM ecosystem WHERE id NOT IN (SELECT DISTINCT ecosystem FROM affected)"
        )
    _write_meta(connection, sources_meta, duplicates)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _flush(
    connection: sqlite3.Connection,
    affected_rows: list[_AffectedRow],
    alias_rows: list[tuple[str, int]],
) -> None:
    affected_rows.sort()  # B-tree inserts in key order
    connection.executemany(
        "INSERT INTO affected VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", affected_rows
    )
    connection.executemany("INSERT OR IGNORE INTO alias VALUES (?, ?)", alias_rows)
    affected_rows.clear()
    alias_rows.clear()


def _write_meta(
    connection: sqlite3.Connection, sources_meta: SourcesMeta, duplicates: int
) -> None:
    sources = [dict(s) for s in (sources_meta() if callable(sources_meta) else sources_meta)]
    ecosystems = dict(
        connection.execute(
            "SELECT e.name, COUNT(DISTINCT a.advisory) FROM affected a "
            "JOIN ecosystem e ON e.id = a.ecosystem WHERE a.withdrawn = 0 "
            "GROUP BY e.name ORDER BY e.name"
        ).fetchall()
    )
    connection.execute("CREATE TEMP TABLE family (id INTEGER PRIMARY KEY, base TEXT)")
    names = connection.execute("SELECT id, name FROM ecosystem").fetchall()
    connection.executemany(
        "INSERT INTO family VALUES (?, ?)", ((i, ecosystem_base(name)) for i, name in names)
    )
    families = dict(
        connection.execute(
            "SELECT f.base, COUNT(DISTINCT a.advisory) FROM affected a "
            "JOIN family f ON f.id = a.ecosystem WHERE a.withdrawn = 0 "
            "GROUP BY f.base ORDER BY f.base"
        ).fetchall()
    )
    total, withdrawn = connection.execute(
        "SELECT COUNT(*), COALESCE(SUM(withdrawn), 0) FROM advisory"
    ).fetchone()
    meta = {
        "schema_version": SCHEMA_VERSION,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "tenlayer_version": __version__,
        "advisories": total,
        "withdrawn": withdrawn,
        "malformed": sum(int(s.get("malformed", 0)) for s in sources),
        "duplicates": duplicates,
        "sources": sources,
        "ecosystems": ecosystems,
        "families": families,
        "complete": True,
    }
    connection.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        ((key, orjson.dumps(value).decode()) for key, value in meta.items()),
    )


# --- export and import -----------------------------------------------------------------

EXPORT_NAME = "tenlayer-vulndb.sqlite"
"""The file name recorded in an export's gzip header."""
MAX_IMPORT_BYTES = 64 * 1024**3


def export_database(path: Path, output: Path | None) -> DatabaseInfo:
    """Write the database at `path`, gzip-compressed, to `output` (None: stdout).

    The export is the SQLite file itself, so it describes itself: `db import` checks its
    schema version, metadata and integrity before it replaces anything.
    """
    import shutil
    import sys

    database = VulnDatabase(path)
    info = database.info
    try:
        with path.open("rb") as source:
            if output is None:
                with _gzip_file(
                    filename=EXPORT_NAME, mode="wb", fileobj=sys.stdout.buffer, mtime=0
                ) as target:
                    shutil.copyfileobj(source, target, 1 << 20)
                sys.stdout.buffer.flush()
                return info
            output.parent.mkdir(parents=True, exist_ok=True)
            with (
                _replacement(output) as temporary,
                temporary.open("wb") as raw,
                _gzip_file(filename=EXPORT_NAME, mode="wb", fileobj=raw, mtime=0) as gz,
            ):
                shutil.copyfileobj(source, gz, 1 << 20)
    except OSError as error:
        raise EnvironmentProblem(
            f"cannot export to {output or 'stdout'} ({error.strerror or error})"
        ) from None
    finally:
        database.close()
    return info


def import_database(
    export: Path | None, path: Path, *, max_bytes: int = MAX_IMPORT_BYTES
) -> DatabaseInfo:
    """Check an export completely, then put it at `path` atomically.

    A file that is not a complete tenlayer database of this schema version (damaged,
    truncated, foreign, an older schema) raises BadInput and changes nothing.
    """
    import sys

    name = str(export) if export is not None else "stdin"
    try:
        stream = sys.stdin.buffer if export is None else export.open("rb")
    except OSError as error:
        raise BadInput(f"{name}: cannot read ({error.strerror})") from None
    with stream, update_lock(path), _replacement(path) as temporary:
        _unpack(stream, temporary, name, max_bytes)
        try:
            with VulnDatabase(temporary) as candidate:
                candidate.verify()
                candidate.affected_many("PyPI", ("tenlayer-import-check",))
        except EnvironmentProblem as problem:
            reason = str(problem).replace(str(temporary), "it").split("; run `")[0]
            raise BadInput(
                f"{name}: not a usable tenlayer vulnerability database export ({reason}); "
                "nothing was changed"
            ) from None
    with VulnDatabase(path) as database:
        return database.info


def _gzip_file(**arguments: Any) -> Any:
    """isal's GzipFile (gzip's, about four times faster); it has no type hints."""
    from isal import igzip

    return igzip.GzipFile(**arguments)  # type: ignore[no-untyped-call]


class _Prefixed(io.RawIOBase):
    """A stream with the bytes already read from its start put back in front."""

    def __init__(self, head: bytes, rest: Any) -> None:
        super().__init__()
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _unpack(stream: Any, temporary: Path, name: str, max_bytes: int) -> None:
    """Copy a gzip-compressed (or plain) SQLite file, refusing more than `max_bytes`."""
    import gzip
    import zlib

    from isal import igzip_lib

    isal_error: type[BaseException] = getattr(igzip_lib, "IsalError")  # noqa: B009 - its stub is wrong
    errors = (gzip.BadGzipFile, EOFError, zlib.error, isal_error)
    unchanged = "nothing was changed"
    try:
        head = stream.read(2)
        source: Any = io.BufferedReader(_Prefixed(head, stream), 1 << 20)
        if head == b"\x1f\x8b":
            source = _gzip_file(fileobj=source, mode="rb")
        written = 0
        with temporary.open("wb") as target:
            while chunk := source.read(1 << 20):
                if written == 0 and not chunk.startswith(SQLITE_MAGIC):
                    raise BadInput(
                        f"{name}: not a tenlayer vulnerability database export "
                        f"(neither a gzip-compressed nor a plain SQLite file); {unchanged}"
                    )
                written += len(chunk)
                if written > max_bytes:
                    raise BadInput(f"{name}: expands beyond {max_bytes} bytes; {unchanged}")
                target.write(chunk)
        if written == 0:
            raise BadInput(f"{name}: empty; {unchanged}")
    except errors as error:
        raise BadInput(f"{name}: damaged export ({error}); {unchanged}") from None
    except OSError as error:
        raise EnvironmentProblem(f"cannot import {name} ({error.strerror or error})") from None
