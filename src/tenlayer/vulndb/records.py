"""Advisories as tenlayer stores them: the OSV schema, normalised, whatever the feed.

Every source (OSV records in JSON or YAML, OSV's all.zip files, the distributions' own
feeds) is turned into these records before it reaches the database, and the matcher reads
only these. Field meanings follow https://ossf.github.io/osv-schema/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tenlayer.model import FixStatus


class RangeType(StrEnum):
    ECOSYSTEM = "ECOSYSTEM"
    SEMVER = "SEMVER"
    GIT = "GIT"


class EventKind(StrEnum):
    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    version: str
    """"0" for `introduced: 0` (every version from the first)."""


@dataclass(frozen=True, slots=True)
class AffectedRange:
    type: RangeType
    events: tuple[Event, ...]
    repo: str = ""


@dataclass(frozen=True, slots=True)
class SeverityScore:
    """One entry of OSV `severity`: a CVSS vector, or a distribution's own rating."""

    type: str
    """CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, or `rating` for a source's plain rating word."""
    score: str
    """The vector (`CVSS:3.1/AV:N/…`) or the rating (`high`, `Important`)."""
    source: str = ""
    """Who rated it: `NVD`, `GHSA`, `Debian`, `Red Hat`, … (empty when the record says not)."""


@dataclass(frozen=True, slots=True)
class Affected:
    """One package (in one ecosystem) that an advisory affects, and which of its versions."""

    ecosystem: str
    """As OSV writes it: `PyPI`, `Go`, `Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`, …"""
    name: str
    """The package; for distributions, the source package."""
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()
    state: FixStatus | None = None
    """Set by distribution feeds that say more than OSV's events (not fixed, will not fix)."""
    severity: tuple[SeverityScore, ...] = ()
    """Per-package severity, when the source rates packages separately (OSV allows it)."""
    symbols: tuple[str, ...] = ()
    """Affected functions, when the source lists them (Go's vulndb: `ecosystem_specific`)."""


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    modified: str
    """RFC 3339 time, as in the record."""
    published: str = ""
    withdrawn: str = ""
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    severity: tuple[SeverityScore, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[str, ...] = ()
    source: str = ""
    """Where the record came from (a file, a zip member, a feed), for messages."""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Small facts a source adds that have no OSV field (e.g. a Debian DSA number)."""


class MalformedRecord(ValueError):
    """A record that cannot be read: skipped, counted and named, never fatal to an import."""
