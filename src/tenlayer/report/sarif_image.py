"""SARIF results for the findings of an image scan other than vulnerabilities (the image
config and layer-file checks, the inventory's notes): one rule per catalogued check, one
result per finding at its path in the image (`IMAGE_ROOT`) and line.

`partialFingerprints` hash the check, the path, the line's rule and the evidence that names
what was found (not the image digest), so an alert stays one alert across rebuilds.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tenlayer.checks.catalogue import catalogue
from tenlayer.model import Finding
from tenlayer.report.sarif import BASE_ID, LEVELS, _uri
from tenlayer.report.sarif_findings import check_rule

FINGERPRINT = "tenlayerImageFinding/v1"


def finding_rules(findings: list[Finding]) -> list[dict[str, Any]]:
    checks = catalogue()
    return [check_rule(checks[check_id]) for check_id in sorted({f.check_id for f in findings})]


def finding_results(findings: list[Finding], first_rule: int) -> list[dict[str, Any]]:
    index = {cid: first_rule + n for n, cid in enumerate(sorted({f.check_id for f in findings}))}
    results = []
    seen: dict[str, int] = {}
    for found in findings:
        result = _result(found, index[found.check_id])
        # two secrets at one place (OPTS=--password=X --token=Y, a Cmd with two) would share
        # a fingerprint and show as one alert: the second and later ones are numbered, the
        # first keeps the fingerprint it always had
        key = result["partialFingerprints"][FINGERPRINT]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            result["partialFingerprints"][FINGERPRINT] = _fingerprint(found, seen[key])
        results.append(result)
    return results


def _result(found: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if found.location.startswith("/"):
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(found.location),
                                                         "uriBaseId": BASE_ID}}
        if found.line:
            physical["region"] = {"startLine": found.line}
        location["physicalLocation"] = physical
    location["logicalLocations"] = [
        {"name": found.location or found.subject, "fullyQualifiedName":
         f"{found.subject}:{found.location}", "kind": "member"}
    ]
    evidence = dict(found.evidence)
    return {
        "ruleId": found.check_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVELS[found.severity],
        "message": {"text": f"{found.title}: {found.location}"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: _fingerprint(found)},
        "properties": {"severity": found.severity.name, "evidence": evidence},
    }


def _fingerprint(found: Finding, occurrence: int = 1) -> str:
    evidence = dict(found.evidence)
    named = evidence.get("rule", "") + evidence.get("variable", "") + evidence.get("label", "")
    text = "\x00".join((found.check_id, found.location, str(found.line), named))
    if occurrence > 1:
        text += f"\x00#{occurrence}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
