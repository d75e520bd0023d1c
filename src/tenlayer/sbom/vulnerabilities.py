"""CycloneDX `vulnerabilities`: what a scan found, in the SBOM of the image it scanned.

One entry per vulnerability and verdict: the matches of one id that share a suppression
reason (or have none) are one entry whose `affects` lists every package, as Trivy writes
them; a vulnerability suppressed for one package and not another is two entries, because
`analysis` belongs to the entry.

- `source`: the database that issues the id, with its page (`tenlayer.scan.sources`);
  aliases are `references` with theirs.
- `ratings`: the severity tenlayer uses, with its source (`NVD`, `Debian`, …), the CVSS
  method, score and vector when the severity came from a vector, else method `other`.
- `affects`: the bom-ref of each package's component, with its installed version, status
  `affected` (or `unaffected` under a VEX `not_affected`/`fixed`).
- `analysis`, for suppressed matches: a VEX `not_affected` becomes state `not_affected`
  with the justification mapped as below, a VEX `fixed` state `resolved`; an ignore-file
  entry (a risk accepted, not a fact about the code) only its reason as `detail`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from tenlayer.model import Package, Severity, VulnerabilityMatch
from tenlayer.scan.findings import remediation
from tenlayer.scan.sources import advisory_source
from tenlayer.scan.vex import verdict

if TYPE_CHECKING:
    from datetime import datetime

    from cyclonedx.model.vulnerability import (
        Vulnerability,
        VulnerabilityAnalysis,
        VulnerabilityRating,
        VulnerabilitySource,
    )

JUSTIFICATIONS = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
"""OpenVEX justification -> CycloneDX impact analysis justification (CISA's VEX status
justifications and CycloneDX's are close but not one to one)."""

_METHODS = {"CVSS:4.0": "CVSS_V4", "CVSS:3.1": "CVSS_V3_1", "CVSS:3.0": "CVSS_V3"}


def vulnerabilities(
    matches: Iterable[VulnerabilityMatch], bom_refs: dict[Package, str]
) -> list[Vulnerability]:
    """CycloneDX vulnerabilities for `matches`; `bom_refs` maps each package to its
    component's bom-ref (a package missing from it is a programming error: ValueError)."""
    groups: dict[tuple[str, str], list[VulnerabilityMatch]] = {}
    for match in sorted(matches, key=lambda m: (m.sort_key(), m.package.version)):
        groups.setdefault((match.vulnerability.id, match.suppressed_by), []).append(match)
    result = []
    seen: dict[str, int] = {}
    for (vulnerability_id, _), group in sorted(groups.items()):
        count = seen.get(vulnerability_id, 0) + 1
        seen[vulnerability_id] = count
        ref = f"vulnerability:{vulnerability_id}" + (f"-{count}" if count > 1 else "")
        result.append(_vulnerability(ref, group, bom_refs))
    return result


def _vulnerability(
    ref: str, group: Sequence[VulnerabilityMatch], bom_refs: dict[Package, str]
) -> Vulnerability:
    from cyclonedx.model import XsUri
    from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        Vulnerability,
        VulnerabilityAdvisory,
        VulnerabilityReference,
    )

    first = group[0]
    vulnerability = first.vulnerability
    name, url = advisory_source(vulnerability.id)
    judged = verdict(first.suppressed_by)
    unaffected = judged is not None and judged[0] in ("not_affected", "fixed")
    status = (
        ImpactAnalysisAffectedStatus.UNAFFECTED
        if unaffected
        else ImpactAnalysisAffectedStatus.AFFECTED
    )
    affects = []
    for match in group:
        if match.package not in bom_refs:
            raise ValueError(f"{match.package.purl} is not in the inventory")
        affects.append(
            BomTarget(
                ref=bom_refs[match.package],
                versions=[BomTargetVersionRange(version=match.package.version, status=status)],
            )
        )
    advisories = []
    for reference in vulnerability.references:
        try:
            advisories.append(VulnerabilityAdvisory(url=XsUri(reference)))
        except Exception:  # a reference that is not a URI: left out, the rest still valid
            continue
    recommendation = "; ".join(sorted({remediation(m) for m in group if not m.suppressed_by}))
    return Vulnerability(
        bom_ref=ref,
        id=vulnerability.id,
        source=_source(name, url),
        references=[
            VulnerabilityReference(id=alias, source=_source(*advisory_source(alias)))
            for alias in vulnerability.aliases
        ],
        ratings=[_rating(first)],
        description=vulnerability.summary or None,
        recommendation=recommendation or None,
        advisories=advisories,
        published=_moment(vulnerability.published),
        updated=_moment(vulnerability.modified),
        analysis=_analysis(first.suppressed_by),
        affects=affects,
    )


def _source(name: str, url: str) -> VulnerabilitySource:
    from cyclonedx.model import XsUri
    from cyclonedx.model.vulnerability import VulnerabilitySource

    return VulnerabilitySource(name=name, url=XsUri(url))


def _rating(match: VulnerabilityMatch) -> VulnerabilityRating:
    from cyclonedx.model.vulnerability import (
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )

    vulnerability = match.vulnerability
    vector = vulnerability.cvss_vector
    method = VulnerabilityScoreSource.OTHER
    if vector:
        prefix = vector.split("/", 1)[0]
        method = VulnerabilityScoreSource[_METHODS.get(prefix, "CVSS_V2")]
    score = None
    if vector and vulnerability.cvss_score is not None:
        score = Decimal(str(vulnerability.cvss_score))
    rater = _rater(vulnerability.severity_source)
    severity = (
        VulnerabilitySeverity.UNKNOWN
        if vulnerability.severity is Severity.UNKNOWN
        else VulnerabilitySeverity[vulnerability.severity.name]
    )
    return VulnerabilityRating(
        source=VulnerabilitySource(name=rater) if rater else None,
        score=score,
        severity=severity,
        method=method,
        vector=vector or None,
        justification=vulnerability.severity_source or None,
    )


def _rater(severity_source: str) -> str:
    """`CVSS:3.1 (NVD)` -> NVD; `Debian urgency` -> Debian; `GHSA rating` -> GHSA."""
    text = severity_source.strip()
    if text.endswith(")") and "(" in text:
        return text[text.rindex("(") + 1 : -1]
    if text.startswith("CVSS"):
        return ""
    return text.rsplit(" ", 1)[0] if " " in text else text


def _analysis(suppressed_by: str) -> VulnerabilityAnalysis | None:
    if not suppressed_by:
        return None
    from cyclonedx.model.impact_analysis import (
        ImpactAnalysisJustification,
        ImpactAnalysisState,
    )
    from cyclonedx.model.vulnerability import VulnerabilityAnalysis

    judged = verdict(suppressed_by)
    if judged is None:  # an ignore-file entry: the reason, no claim about the code
        return VulnerabilityAnalysis(detail=suppressed_by)
    status, justification = judged
    if status == "fixed":
        return VulnerabilityAnalysis(state=ImpactAnalysisState.RESOLVED, detail=suppressed_by)
    mapped = JUSTIFICATIONS.get(justification)
    return VulnerabilityAnalysis(
        state=ImpactAnalysisState.NOT_AFFECTED,
        justification=ImpactAnalysisJustification(mapped) if mapped else None,
        detail=suppressed_by,
    )


def _moment(text: str) -> datetime | None:
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
