"""SARIF 2.1.0 (OASIS), for code scanning: one rule per vulnerability, one result per match.

- Rules: the vulnerability id, its summary, help text with the aliases, packages and
  references, and GitHub's `security-severity` (the CVSS score when the severity came
  from one, else a score in the middle of the severity's band) so code scanning ranks it
  as tenlayer does.
- Results: level from the severity (critical/high `error`, medium and unrated `warning`,
  low/info `note`); the location is the package's file in the image (`var/lib/dpkg/status`,
  a `METADATA`, a jar), relative to the `IMAGE_ROOT` base, which the run describes.
- `partialFingerprints`: a hash of the vulnerability id, the package (ecosystem and name)
  and its file, without the version: an alert stays the same alert across rebuilds until
  the fix lands, however the installed version moves meanwhile.
- Suppressed matches are results with a `suppressions` entry (kind `external`, status
  `accepted`, the reason as justification), so code scanning shows them dismissed rather
  than not at all.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from tenlayer import __version__
from tenlayer.model import Severity, VulnerabilityMatch
from tenlayer.report.json import dumps, grade_dict
from tenlayer.scan.findings import remediation
from tenlayer.scan.result import ScanResult
from tenlayer.scan.sources import advisory_source

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
BASE_ID = "IMAGE_ROOT"
FINGERPRINT = "tenlayerVulnerablePackage/v1"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.UNKNOWN: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
BAND_SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}
"""GitHub's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9."""


def render_sarif(result: ScanResult) -> bytes:
    """Vulnerability matches, then the other findings (sarif_image.py)."""
    from tenlayer.report.sarif_image import finding_results, finding_rules
    from tenlayer.scan.findings import CHECK_ID as VULNERABLE_PACKAGE

    matches = result.reported + result.suppressed
    rules = _rules(matches)
    index = {rule["id"]: n for n, rule in enumerate(rules)}
    others = sorted(
        (f for f in result.findings if f.check_id != VULNERABLE_PACKAGE),
        key=lambda f: (f.sort_key(), f.title, f.evidence),
    )
    results = [_result(m, index[m.vulnerability.id]) for m in matches]
    results.extend(finding_results(others, len(rules)))
    rules.extend(finding_rules(others))
    image = result.inventory.image
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "tenlayer",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {
            BASE_ID: {"description": {"text": f"The root of the file system of {image.reference}"}}
        },
        "results": results,
        "properties": {
            "image": {
                "reference": image.reference,
                "manifestDigest": image.manifest_digest,
                "configDigest": image.config_digest,
                "platform": image.platform,
            },
            "healthGrade": grade_dict(result.grade) if result.grade is not None else None,
            "checks": list(result.checks),
            "warnings": list(result.warnings),
        },
    }
    return dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})


def _rules(matches: list[VulnerabilityMatch]) -> list[dict[str, Any]]:
    by_id: dict[str, list[VulnerabilityMatch]] = {}
    for match in matches:
        by_id.setdefault(match.vulnerability.id, []).append(match)
    return [_rule(vid, by_id[vid]) for vid in sorted(by_id)]


def _rule(vulnerability_id: str, matches: list[VulnerabilityMatch]) -> dict[str, Any]:
    worst = max(matches, key=lambda m: (m.vulnerability.severity, m.vulnerability.cvss_score or 0))
    vulnerability = worst.vulnerability
    severity = vulnerability.severity
    _, page = advisory_source(vulnerability_id)
    summary = vulnerability.summary or f"{vulnerability_id} affects an installed package"
    packages = sorted({f"{m.package.name} {m.package.version}" for m in matches})
    aliases = ", ".join(vulnerability.aliases) or "none"
    text_lines = [
        f"{vulnerability_id}: {summary}",
        f"Severity: {severity.name}" + _source_note(worst),
        f"Aliases: {aliases}",
        f"Packages: {', '.join(packages)}",
        *sorted({remediation(m) for m in matches}),
        "References:",
        page,
        *(r for r in vulnerability.references if r != page),
    ]
    markdown_lines = [
        f"**{vulnerability_id}**: {_md(summary)}",
        "",
        "| Severity | Aliases | Packages |",
        "| --- | --- | --- |",
        f"| {severity.name}{_md(_source_note(worst))} | {_md(aliases)} | "
        f"{_md(', '.join(packages))} |",
        "",
        *(f"- {_md(text)}" for text in sorted({remediation(m) for m in matches})),
        "",
        "References:",
        *(f"- <{url}>" for url in dict.fromkeys((page, *vulnerability.references))),
    ]
    properties: dict[str, Any] = {
        "tags": ["vulnerability", "security", severity.name],
        "precision": "very-high",
    }
    score = _security_severity(worst)
    if score is not None:
        properties["security-severity"] = score
    return {
        "id": vulnerability_id,
        "name": "VulnerablePackage",
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "helpUri": page,
        "help": {"text": "\n".join(text_lines), "markdown": "\n".join(markdown_lines)},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": properties,
    }


def _result(match: VulnerabilityMatch, rule_index: int) -> dict[str, Any]:
    vulnerability = match.vulnerability
    package = match.package
    message = f"{package.name} {package.version} is affected by {vulnerability.id}"
    if vulnerability.summary:
        message += f" ({vulnerability.summary})"
    message += ". " + remediation(match)
    result: dict[str, Any] = {
        "ruleId": vulnerability.id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVELS[vulnerability.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": _uri(package.found_in),
                        "uriBaseId": BASE_ID,
                    }
                },
                "logicalLocations": [
                    {"name": package.name, "fullyQualifiedName": package.purl, "kind": "module"}
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(match)},
        "properties": {
            "package": package.name,
            "purl": package.purl,
            "installedVersion": package.version,
            "fixedVersion": match.fixed_version,
            "status": match.status.value,
            "severity": vulnerability.severity.name,
            "severitySource": vulnerability.severity_source or None,
            "advisoryEcosystem": match.ecosystem,
            "layerIndex": package.layer_index,
            "layerDiffId": package.layer_digest,
        },
    }
    if match.suppressed_by:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": match.suppressed_by}
        ]
    return result


def _uri(path: str) -> str:
    """A relative URI reference for a path in the image (`:` escaped: no scheme)."""
    return quote(path.lstrip("/").encode("utf-8", "surrogateescape"), safe="/!@+,;=-._~")


def fingerprint(match: VulnerabilityMatch) -> str:
    package = match.package
    parts = (
        match.vulnerability.id,
        package.ecosystem.value,
        package.name,
        package.found_in.lstrip("/"),
    )
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def _security_severity(match: VulnerabilityMatch) -> str | None:
    vulnerability = match.vulnerability
    if vulnerability.cvss_score is not None and vulnerability.severity_source.startswith("CVSS"):
        return f"{vulnerability.cvss_score:.1f}"
    return BAND_SCORES.get(vulnerability.severity)


def _source_note(match: VulnerabilityMatch) -> str:
    vulnerability = match.vulnerability
    if not vulnerability.severity_source:
        return ""
    score = f" {vulnerability.cvss_score:g}" if vulnerability.cvss_score is not None else ""
    return f" ({vulnerability.severity_source}{score})"


def _md(text: str) -> str:
    """Escape what would break a Markdown table cell or start markup."""
    for char in "\\|*_`[]<>":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")
