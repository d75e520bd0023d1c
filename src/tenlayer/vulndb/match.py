"""Match an inventory against the vulnerability store, with OSV's semantics in full.

- Which advisories apply: an OS package is looked up by its **source** package in its
  distribution's release (`Debian:12`, `Alpine:v3.20`, …); a language package in its
  language ecosystem — unless the OS package manager installed it, in which case only the
  OS advisories (for the OS package that owns it) speak for it. Distributions backport
  fixes without changing upstream version numbers, so matching a Debian-built
  `python3-urllib3` against PyPI's advisories is the false positive users of other
  scanners report most.
- Whether a version is affected: `ECOSYSTEM` and `SEMVER` ranges, events sorted by version
  (`introduced`, `fixed`, `last_affected`, `limit`), explicit `versions` lists; `GIT` ranges
  count only through `versions`; withdrawn advisories never reach here (the store drops
  them).
- One vulnerability once per package: advisories whose ids or aliases meet (CVE, GHSA,
  PYSEC, GO, RUSTSEC, DSA…) are merged into one `Vulnerability` with every id kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenlayer.model import (
    Ecosystem,
    FixStatus,
    Inventory,
    OSInfo,
    Package,
    Vulnerability,
    VulnerabilityMatch,
)
from tenlayer.vulndb.index import AdvisoryIndex
from tenlayer.vulndb.records import Advisory, Affected, EventKind, RangeType
from tenlayer.vulndb.severity import rate

_LANGUAGE_ECOSYSTEMS = {
    Ecosystem.PYPI: "PyPI",
    Ecosystem.NPM: "npm",
    Ecosystem.GO: "Go",
    Ecosystem.MAVEN: "Maven",
    Ecosystem.CARGO: "crates.io",
}
_ID_PREFERENCE = ("GO-", "PYSEC-", "RUSTSEC-", "GHSA-", "DSA-", "DLA-", "USN-", "RHSA-", "CVE-")
"""Which id of a merged vulnerability is shown: the ecosystem's own advisory, then GHSA, a
distribution's advisory, then the CVE; feed-prefixed ids (`DEBIAN-CVE-…`) come last."""


@dataclass(frozen=True, slots=True)
class _Hit:
    """One advisory entry that affects the package, before merging by alias."""

    advisory: Advisory
    affected: Affected
    status: FixStatus
    fixed: str | None
    ecosystem: str


@dataclass
class MatchReport:
    matches: list[VulnerabilityMatch]
    warnings: list[str] = field(default_factory=list)
    lookups: int = 0


def os_ecosystems(os_info: OSInfo | None, available: frozenset[str]) -> tuple[str, ...]:
    """The store's ecosystem keys for the image's distribution release (see names.py)."""
    if os_info is None or not os_info.version_id:
        return ()
    version = os_info.version_id
    parts = version.split(".")
    major = parts[0]
    family = os_info.family
    if family == "debian":
        wanted = (f"Debian:{major}",)
    elif family == "ubuntu":
        wanted = (f"Ubuntu:{'.'.join(parts[:2])}",)
    elif family == "alpine":
        wanted = (f"Alpine:v{'.'.join(parts[:2])}",)
    elif family in ("rhel", "redhat"):
        wanted = (f"Red Hat:{major}",)
    elif family == "rocky":
        wanted = (f"Rocky Linux:{major}",)
    elif family == "almalinux":
        wanted = (f"AlmaLinux:{major}",)
    elif family == "wolfi":
        wanted = ("Wolfi",)
    elif family == "chainguard":
        wanted = ("Chainguard",)
    else:
        return ()
    return tuple(e for e in wanted if e in available)


def match_inventory(inventory: Inventory, index: AdvisoryIndex) -> MatchReport:
    report = MatchReport(matches=[])
    available = index.ecosystems()
    os_keys = os_ecosystems(inventory.os, available)
    for package in inventory.packages:
        if package.ecosystem.is_os:
            targets = [(key, package.source_name or package.name) for key in os_keys]
            version = package.source_version or package.version
        elif package.owned_by:
            # Installed by the OS package manager: its OS package's advisories cover it.
            continue
        else:
            key = _LANGUAGE_ECOSYSTEMS.get(package.ecosystem)
            if key is None or key not in available:
                continue
            targets = [(key, package.name)]
            version = package.version
        found: list[_Hit] = []
        for ecosystem, name in targets:
            report.lookups += 1
            for advisory, affected in index.affected(ecosystem, name):
                verdict = affects(affected, version, ecosystem, report.warnings, package)
                if verdict is not None:
                    found.append(_Hit(advisory, affected, verdict[0], verdict[1], ecosystem))
        report.matches.extend(_merge(package, found))
    report.matches.sort(key=VulnerabilityMatch.sort_key)
    return report


def affects(
    affected: Affected,
    version: str,
    ecosystem: str,
    warnings: list[str],
    package: Package,
) -> tuple[FixStatus, str | None] | None:
    """None when `version` is not affected; else the fix status and the fixing version."""
    from tenlayer.vulndb.versions import InvalidVersion, scheme_for_range

    for affected_range in affected.ranges:
        if affected_range.type is RangeType.GIT:
            continue
        try:
            scheme = scheme_for_range(affected_range.type.value, ecosystem)
            hit, fixed = _in_range(scheme.key(version), affected_range.events, scheme.key)
        except InvalidVersion as error:
            _warn_once(warnings, f"{package.name} {version}: {error}")
            continue
        if hit:
            return _state(affected, fixed)
    if affected.versions and _listed(version, affected.versions, ecosystem):
        return _state(affected, None)  # ranges first: they know the fix, a list does not
    if affected.state in (FixStatus.NOT_FIXED, FixStatus.WONT_FIX) and not affected.ranges:
        return _state(affected, None)
    return None


def _state(affected: Affected, fixed: str | None) -> tuple[FixStatus, str | None]:
    if fixed is not None:
        return FixStatus.FIXED, fixed
    if affected.state is FixStatus.WONT_FIX:
        return FixStatus.WONT_FIX, None
    return FixStatus.NOT_FIXED, None


def _listed(version: str, versions: Sequence[str], ecosystem: str) -> bool:
    if version in versions:
        return True
    from tenlayer.vulndb.versions import InvalidVersion, scheme_for

    try:
        scheme = scheme_for(ecosystem)
        key = scheme.key(version)
        for listed in versions:
            try:
                if scheme.key(listed) == key:
                    return True
            except InvalidVersion:
                continue
    except (InvalidVersion, ValueError):
        return False
    return False


def _in_range(installed: Any, events: Sequence[Any], key: Any) -> tuple[bool, str | None]:
    """OSV's evaluation: walk the events in version order; returns (affected, fixed_in)."""
    ordered = []
    for event in events:
        if event.kind is EventKind.INTRODUCED and event.version == "0":
            ordered.append((0, None, event))
        else:
            ordered.append((1, key(event.version), event))
    ordered = _sort_events(ordered)
    affected = False
    fixed_in: str | None = None
    for _, bound, event in ordered:
        if event.kind is EventKind.INTRODUCED:
            if bound is None or installed >= bound:
                affected = True
                fixed_in = None
        elif event.kind is EventKind.FIXED:
            if installed >= bound:
                affected = False
            elif affected and fixed_in is None:
                fixed_in = event.version
        elif event.kind is EventKind.LAST_AFFECTED:
            if installed > bound:
                affected = False
        elif event.kind is EventKind.LIMIT and installed >= bound:
            return False, None
    return affected, fixed_in if affected else None


def _sort_events(items: list[tuple[int, Any, Any]]) -> list[tuple[int, Any, Any]]:
    """`introduced: 0` first, then by version; at one version, introduced before the rest."""
    zeros = [item for item in items if item[1] is None]
    others = [item for item in items if item[1] is not None]
    others.sort(key=lambda item: (item[1], item[2].kind is not EventKind.INTRODUCED))
    return zeros + others


def _warn_once(warnings: list[str], text: str) -> None:
    if text not in warnings:
        warnings.append(text)


def _merge(package: Package, found: Iterable[_Hit]) -> list[VulnerabilityMatch]:
    """One match per vulnerability: advisories sharing an id or alias become one."""
    groups: list[list[_Hit]] = []
    ids_of: list[set[str]] = []
    for hit in found:
        ids = {hit.advisory.id, *hit.advisory.aliases}
        joined = [n for n, existing in enumerate(ids_of) if existing & ids]
        if not joined:
            groups.append([hit])
            ids_of.append(ids)
            continue
        first = joined[0]
        groups[first].append(hit)
        ids_of[first] |= ids
        for other in reversed(joined[1:]):
            groups[first].extend(groups.pop(other))
            ids_of[first] |= ids_of.pop(other)
    return [_one(package, group, ids) for group, ids in zip(groups, ids_of, strict=True)]


def _first_sentence(details: str, limit: int = 120) -> str:
    """A title for records that have only `details` (PYSEC's): its first sentence."""
    text = " ".join(details.split())
    cut = text.find(". ")
    if 0 < cut < limit:
        return text[: cut + 1]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _lead(advisory_id: str) -> tuple[int, str]:
    for rank, prefix in enumerate(_ID_PREFERENCE):
        if advisory_id.startswith(prefix):
            return rank, advisory_id
    return len(_ID_PREFERENCE), advisory_id


def _one(package: Package, group: list[_Hit], ids: set[str]) -> VulnerabilityMatch:
    group.sort(key=lambda hit: _lead(hit.advisory.id))
    lead = group[0]
    advisories = [hit.advisory for hit in group]
    ratings = [rate(h.advisory, h.affected, os_package=package.ecosystem.is_os) for h in group]
    rating = next((r for r in ratings if r.source), ratings[0])
    references: list[str] = []
    for advisory in advisories:
        references.extend(r for r in advisory.references if r not in references)
    shown = min(ids, key=_lead)
    vulnerability = Vulnerability(
        id=shown,
        aliases=tuple(sorted(ids - {shown})),
        summary=next((a.summary for a in advisories if a.summary), "")
        or _first_sentence(next((a.details for a in advisories if a.details), "")),
        severity=rating.severity,
        severity_source=rating.source,
        cvss_vector=rating.vector,
        cvss_score=rating.score,
        published=min((a.published for a in advisories if a.published), default=""),
        modified=max(a.modified for a in advisories),
        references=tuple(references),
    )
    fixed = lead.fixed or next((hit.fixed for hit in group if hit.fixed), None)
    return VulnerabilityMatch(
        package=package,
        vulnerability=vulnerability,
        status=FixStatus.FIXED if fixed else lead.status,
        fixed_version=fixed,
        ecosystem=lead.ecosystem,
    )
