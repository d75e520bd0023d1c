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

import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
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
from tenlayer.vulndb.index import AdvisoryIndex, Row
from tenlayer.vulndb.records import Advisory, Affected, EventKind, SeverityScore
from tenlayer.vulndb.severity import rate
from tenlayer.vulndb.versions import InvalidVersion, scheme_for, scheme_for_range
from tenlayer.vulndb.versions.leading import (
    ORDERED_BY_LEADING_NUMBER,
    leading_number,
    leading_order,
)

_LANGUAGE_ECOSYSTEMS = {
    Ecosystem.PYPI: "PyPI",
    Ecosystem.NPM: "npm",
    Ecosystem.GO: "Go",
    Ecosystem.MAVEN: "Maven",
    Ecosystem.CARGO: "crates.io",
}
_ID_PREFERENCE = ("GO-", "PYSEC-", "RUSTSEC-", "GHSA-", "CVE-", "DSA-", "DLA-", "USN-", "RHSA-")
"""Which id of a merged vulnerability is shown: a language ecosystem's own advisory, then GHSA,
the CVE, a distribution's notice; feed-prefixed ids (`DEBIAN-CVE-…`) come last."""


@dataclass(frozen=True, slots=True)
class _Hit:
    """One advisory entry that affects the package, before merging by alias."""

    advisory: Advisory
    scores: tuple[SeverityScore, ...]
    """The advisory's severity for this package alone (per-`affected` in OSV)."""
    status: FixStatus
    fixed: str | None
    ecosystem: str


@dataclass(frozen=True, slots=True)
class _Verdict:
    """One vulnerability (merged by alias) for one package version."""

    vulnerability: Vulnerability
    status: FixStatus
    fixed: str | None
    ecosystem: str


@dataclass
class MatchReport:
    matches: list[VulnerabilityMatch]
    warnings: list[str] = field(default_factory=list)
    lookups: int = 0


_OS_PACKAGE_TYPE = {
    "debian": Ecosystem.DEB, "ubuntu": Ecosystem.DEB, "alpine": Ecosystem.APK,
    "wolfi": Ecosystem.APK, "chainguard": Ecosystem.APK, "rhel": Ecosystem.RPM,
    "redhat": Ecosystem.RPM, "rocky": Ecosystem.RPM, "almalinux": Ecosystem.RPM,
}
"""The package manager of each distribution: its advisories speak only of its packages."""


def os_ecosystems(os_info: OSInfo | None, available: frozenset[str]) -> tuple[str, ...]:
    """The store's ecosystem keys for the image's distribution release (see names.py)."""
    return tuple(e for e in os_release_keys(os_info) if e in available)


def os_release_keys(os_info: OSInfo | None) -> tuple[str, ...]:
    """The ecosystem keys of the image's distribution release, whether the store has them."""
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
    return wanted


def match_inventory(inventory: Inventory, index: AdvisoryIndex) -> MatchReport:
    # Matching makes many small objects and no reference cycles: the cyclic garbage collector
    # would run every few hundred of them over everything alive, for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _match_inventory(inventory, index)
    finally:
        if collecting:
            gc.enable()


def _match_inventory(inventory: Inventory, index: AdvisoryIndex) -> MatchReport:
    report = MatchReport(matches=[])
    plans = _lookups(inventory, index.ecosystems(), report.warnings)
    names_by_ecosystem: dict[str, set[str]] = {}
    leads: dict[str, dict[str, int | None]] = {}
    for _, version, targets in plans:
        lead = leading_number(version)
        for ecosystem, name in targets:
            names_by_ecosystem.setdefault(ecosystem, set()).add(name)
            known = leads.setdefault(ecosystem, {})
            if name not in known:
                known[name] = lead
            elif lead is None or known[name] is None:
                known[name] = None
            else:
                known[name] = min(lead, known[name])  # type: ignore[type-var]
    answers = {  # one batched query per ecosystem instead of one per package
        ecosystem: index.candidates_many(
            ecosystem, sorted(names), leads[ecosystem] if _by_lead(ecosystem) else None
        )
        for ecosystem, names in names_by_ecosystem.items()
    }
    # 1. Judge every row. The binary packages of one source package share their source's
    #    version and advisories: the work is done once per (lookups, version).
    judged: dict[_PlanKey, list[tuple[Row, tuple[FixStatus, str | None], str]]] = {}
    for package, version, targets in plans:
        report.lookups += len(targets)
        key = (tuple(targets), version, package.ecosystem.is_os)
        if key in judged:
            continue
        hits: list[tuple[Row, tuple[FixStatus, str | None], str]] = []
        installed_keys: dict[str, Any] = {}
        for ecosystem, name in targets:
            for row in answers[ecosystem][name]:
                _, _, _, entry, simple_type, simple_fixed = row
                if simple_fixed is not None:
                    verdict = _evaluate_simple(simple_type or "", simple_fixed, version,
                                               ecosystem, report.warnings, package,
                                               installed_keys)
                else:
                    _, _, ranges, versions, state, *_ = index.raw_entry(entry or b"")
                    verdict = _evaluate(ranges, versions, state, version, ecosystem,
                                        report.warnings, package, installed_keys)
                if verdict is not None:
                    hits.append((row, verdict, ecosystem))
        judged[key] = hits
    # 2. Read what the hits need, in batches rather than one query per hit.
    index.prefetch([row for hits in judged.values() for row, _, _ in hits])
    # 3. Merge each package's hits into vulnerabilities.
    merged_by_key: dict[_PlanKey, list[_Verdict]] = {}
    for package, version, targets in plans:
        key = (tuple(targets), version, package.ecosystem.is_os)
        merged = merged_by_key.get(key)
        if merged is None:
            found = [
                _Hit(index.advisory_by_key(row[1]), index.scores_of(row), *verdict, ecosystem)
                for row, verdict, ecosystem in judged[key]
            ]
            merged = merged_by_key[key] = (
                _merge(found, os_package=package.ecosystem.is_os) if found else []
            )
        if merged:
            report.matches.extend(
                VulnerabilityMatch(package, v.vulnerability, v.status, v.fixed, v.ecosystem)
                for v in merged
            )
    report.matches.sort(key=VulnerabilityMatch.sort_key)
    return report


_PlanKey = tuple[tuple[tuple[str, str], ...], str, bool]


def _lookups(
    inventory: Inventory, available: frozenset[str], warnings: list[str]
) -> list[tuple[Package, str, list[tuple[str, str]]]]:
    """For each package: the version to compare and the (ecosystem, name) keys to look up.

    What cannot be checked is said in `warnings`, counted per cause: a scan that says nothing
    must mean nothing was found, not that nothing was looked at.
    """
    os_info = inventory.os
    release = os_release_keys(os_info)
    os_keys = tuple(key for key in release if key in available)
    native = _OS_PACKAGE_TYPE.get(os_info.family) if os_info is not None else None
    uncovered: dict[str, int] = {}
    foreign: dict[str, int] = {}
    plans = []
    for package in inventory.packages:
        kind = package.ecosystem.value
        if package.ecosystem.is_os:
            if os_info is None:
                continue  # said by the content/os-unidentified finding
            if package.ecosystem is not native:
                foreign[kind] = foreign.get(kind, 0) + 1
                continue
            if not os_keys:
                label = release[0] if release else f"{os_info.family} {os_info.version_id}"
                uncovered[f"{label}|{kind}"] = uncovered.get(f"{label}|{kind}", 0) + 1
                continue
            targets = [(key, package.source_name or package.name) for key in os_keys]
            version = package.source_version or package.version
        elif package.owned_by:
            continue  # installed by the OS package manager: its OS package's advisories speak
        else:
            key = _LANGUAGE_ECOSYSTEMS.get(package.ecosystem)
            if key is None or key not in available:
                label = f"{key or kind}|{kind}"
                uncovered[label] = uncovered.get(label, 0) + 1
                continue
            targets = [(key, package.name)]
            version = package.version
        plans.append((package, version, targets))
    for label, count in sorted(uncovered.items()):
        ecosystem, _, kind = label.partition("|")
        warnings.append(
            f"the vulnerability database has no advisories for {ecosystem}: "
            f"{_count(count, f'{kind} package')} not checked"
        )
    if os_info is not None:
        for kind, count in sorted(foreign.items()):
            warnings.append(
                f"{_count(count, f'{kind} package')} on a {os_info.family} image: no "
                f"{os_info.family} advisories speak for them, not checked"
            )
    return plans


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def affects(
    affected: Affected,
    version: str,
    ecosystem: str,
    warnings: list[str],
    package: Package,
) -> tuple[FixStatus, str | None] | None:
    """None when `version` is not affected; else the fix status and the fixing version."""
    ranges = [
        (r.type.value, [(e.kind.value, e.version) for e in r.events]) for r in affected.ranges
    ]
    state = affected.state.value if affected.state is not None else None
    return _evaluate(ranges, affected.versions, state, version, ecosystem, warnings, package, {})


def _evaluate(
    ranges: Sequence[Sequence[Any]],
    versions: Sequence[str],
    state: str | None,
    version: str,
    ecosystem: str,
    warnings: list[str],
    package: Package,
    installed_keys: dict[str, Any],
) -> tuple[FixStatus, str | None] | None:
    """`affects` on an entry as plain lists: ranges `(type, events)` (or the store's
    `[type, repo, events]`), events `(kind, version)`; the hot path of matching."""
    for entry in ranges:
        kind, events = entry[0], entry[-1]
        if kind == "GIT":
            continue
        try:
            scheme = _scheme(kind, ecosystem)
            installed = installed_keys.get(scheme.name)
            if installed is None:
                installed = installed_keys[scheme.name] = scheme.key(version)
            hit, fixed = _in_range(installed, events, scheme.key)
        except InvalidVersion as error:
            _warn_once(warnings, f"{package.name} {version}: {error}")
            continue
        if hit:
            return _state(state, fixed)
    if versions and _listed(version, versions, ecosystem):
        return _state(state, None)  # ranges first: they know the fix, a list does not
    if not ranges and state in (FixStatus.NOT_FIXED.value, FixStatus.WONT_FIX.value):
        return _state(state, None)
    return None


def _evaluate_simple(
    range_type: str,
    fixed: str,
    version: str,
    ecosystem: str,
    warnings: list[str],
    package: Package,
    installed_keys: dict[str, Any],
) -> tuple[FixStatus, str | None] | None:
    """`_evaluate` for an entry that is one range: every version before `fixed`."""
    try:
        scheme = _scheme(range_type, ecosystem)
        installed = installed_keys.get(scheme.name)
        if installed is None:
            installed = installed_keys[scheme.name] = scheme.key(version)
        ordered = leading_order(version, fixed) if scheme.name in _BY_LEAD else None
        if ordered is None:
            ordered = installed < scheme.key(fixed)
        if ordered:
            return _FIXED_STATUS, fixed
    except InvalidVersion as error:
        _warn_once(warnings, f"{package.name} {version}: {error}")
    return None


_FIXED_STATUS = FixStatus.FIXED  # enum members are slow to look up in a hot loop (3.11)
_BY_LEAD = ORDERED_BY_LEADING_NUMBER


@lru_cache(maxsize=64)
def _by_lead(ecosystem: str) -> bool:
    """Whether every version scheme of this ecosystem orders by leading number first."""
    try:
        return scheme_for(ecosystem).name in ORDERED_BY_LEADING_NUMBER
    except ValueError:
        return False


@lru_cache(maxsize=256)
def _scheme(range_type: str, ecosystem: str) -> Any:
    return scheme_for_range(range_type, ecosystem)


def _state(state: str | None, fixed: str | None) -> tuple[FixStatus, str | None]:
    if fixed is not None:
        return FixStatus.FIXED, fixed
    if state == FixStatus.WONT_FIX.value:
        return FixStatus.WONT_FIX, None
    return FixStatus.NOT_FIXED, None


def _listed(version: str, versions: Sequence[str], ecosystem: str) -> bool:
    """Whether `version` is one of `versions`, as the scheme compares (`1.0` is `1.0.0`)."""
    if version in versions:
        return True
    try:
        scheme = scheme_for(ecosystem)
        key = scheme.key(version)
        lead = leading_number(version) if scheme.name in ORDERED_BY_LEADING_NUMBER else None
        for listed in versions:
            if lead is not None and leading_number(listed) not in (lead, None):
                continue  # equal versions have equal leading numbers: no parse needed
            try:
                if scheme.key(listed) == key:
                    return True
            except InvalidVersion:
                continue
    except (InvalidVersion, ValueError):
        return False
    return False


_INTRODUCED, _FIXED, _LAST_AFFECTED, _LIMIT = (
    EventKind.INTRODUCED.value, EventKind.FIXED.value, EventKind.LAST_AFFECTED.value,
    EventKind.LIMIT.value,
)


def _in_range(
    installed: Any, events: Sequence[Sequence[str]], key: Any
) -> tuple[bool, str | None]:
    """OSV's evaluation: walk the events in version order; returns (affected, fixed_in)."""
    if len(events) == 2:  # the common shapes, without sorting: [introduced, fixed]
        (first, low), (second, high) = events
        if first == _INTRODUCED and second in (_FIXED, _LAST_AFFECTED):
            bound = key(high)
            start = None if low == "0" else key(low)
            if start is None or start <= bound:  # (a range written backwards: walk it)
                if start is not None and installed < start:
                    return False, None
                if second == _FIXED:
                    return (True, high) if installed < bound else (False, None)
                return (installed <= bound), None
    ordered = _sort_events(events, key)
    affected = False
    fixed_in: str | None = None
    for bound, kind, value in ordered:
        if kind == _INTRODUCED:
            if bound is None or installed >= bound:
                affected = True
                fixed_in = None
        elif kind == _FIXED:
            if installed >= bound:
                affected = False
            elif affected and fixed_in is None:
                fixed_in = value
        elif kind == _LAST_AFFECTED:
            if installed > bound:
                affected = False
        elif kind == _LIMIT and installed >= bound:
            return False, None
    return affected, fixed_in if affected else None


def _sort_events(events: Sequence[Sequence[str]], key: Any) -> list[tuple[Any, str, str]]:
    """`introduced: 0` first, then by version; at one version, introduced before the rest."""
    zeros = [(None, kind, value) for kind, value in events if kind == _INTRODUCED and value == "0"]
    others = [
        (key(value), kind, value)
        for kind, value in events
        if not (kind == _INTRODUCED and value == "0")
    ]
    others.sort(key=lambda item: (item[0], item[1] != _INTRODUCED))
    return zeros + others


def _warn_once(warnings: list[str], text: str) -> None:
    if text not in warnings:
        warnings.append(text)


def _merge(found: Iterable[_Hit], *, os_package: bool) -> list[_Verdict]:
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
    _absorb_rollups(groups, ids_of)
    return [_one(group, ids, os_package) for group, ids in zip(groups, ids_of, strict=True)]


_NOTICES = ("USN-", "DSA-", "DLA-", "RHSA-", "ALSA-", "RLSA-", "ELSA-")
"""Distributions' fix notices: each may fix several CVEs, which it names as related."""


def _absorb_rollups(groups: list[list[_Hit]], ids_of: list[set[str]]) -> None:
    """Drop a notice (USN, DSA, RHSA …) whose every upstream issue is reported already.

    A notice fixing several CVEs is not one of them, so it is not merged by alias; but when
    each CVE it derives from (OSV `upstream`, or `related` as Ubuntu's feed writes it) is a
    finding of this package already, the notice adds nothing but its id, which joins theirs.
    """
    if len(groups) < 2:
        return
    for index in reversed(range(len(groups))):
        upstream: set[str] = set()
        for hit in groups[index]:
            upstream.update(hit.advisory.extra.get("upstream", "").split())
            if hit.advisory.id.startswith(_NOTICES):
                upstream.update(hit.advisory.related)
        if not upstream:
            continue
        holders = [
            n for n, ids in enumerate(ids_of) if n != index and ids & upstream
        ]
        covered = set().union(*(ids_of[n] & upstream for n in holders)) if holders else set()
        if not holders or covered != upstream:
            continue
        notice_ids = ids_of[index]
        for n in holders:
            ids_of[n] |= notice_ids
        del groups[index], ids_of[index]


def _date(timestamp: str) -> str:
    """A record's date, or "" for the year-1 placeholder Go's vulndb writes for unknown."""
    return "" if timestamp.startswith("0001-") else timestamp


@lru_cache(maxsize=4096)
def _first_sentence(details: str, limit: int = 120) -> str:
    """A title for records that have only `details` (PYSEC's): its first sentence."""
    text = " ".join(details.split())
    cut = text.find(". ")
    if 0 < cut < limit:
        return text[: cut + 1]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@lru_cache(maxsize=1 << 16)
def _lead(advisory_id: str) -> tuple[int, str]:
    for rank, prefix in enumerate(_ID_PREFERENCE):
        if advisory_id.startswith(prefix):
            return rank, advisory_id
    return len(_ID_PREFERENCE), advisory_id


def _one(group: list[_Hit], ids: set[str], os_package: bool) -> _Verdict:
    if len(group) == 1:
        return _one_alone(group[0], ids, os_package)
    group.sort(key=lambda hit: _lead(hit.advisory.id))
    lead = group[0]
    advisories = [hit.advisory for hit in group]
    ratings = [rate(h.advisory, h.scores, os_package=os_package) for h in group]
    rating = next((r for r in ratings if r.source), ratings[0])
    references = dict.fromkeys(r for advisory in advisories for r in advisory.references)
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
        published=min((d for a in advisories if (d := _date(a.published))), default=""),
        modified=max((_date(a.modified) for a in advisories), default=""),
        references=tuple(references),
    )
    fixed = lead.fixed or next((hit.fixed for hit in group if hit.fixed), None)
    return _Verdict(vulnerability, _FIXED_STATUS if fixed else lead.status, fixed, lead.ecosystem)


def _one_alone(hit: _Hit, ids: set[str], os_package: bool) -> _Verdict:
    """`_one` for the commonest case, one advisory: the same fields, less work."""
    advisory = hit.advisory
    rating = rate(advisory, hit.scores, os_package=os_package)
    shown = min(ids, key=_lead) if len(ids) > 1 else advisory.id
    vulnerability = Vulnerability(
        id=shown,
        aliases=tuple(sorted(ids - {shown})),
        summary=advisory.summary or _first_sentence(advisory.details),
        severity=rating.severity,
        severity_source=rating.source,
        cvss_vector=rating.vector,
        cvss_score=rating.score,
        published=_date(advisory.published),
        modified=_date(advisory.modified),
        references=tuple(dict.fromkeys(advisory.references)),
    )
    status = _FIXED_STATUS if hit.fixed else hit.status
    return _Verdict(vulnerability, status, hit.fixed, hit.ecosystem)
