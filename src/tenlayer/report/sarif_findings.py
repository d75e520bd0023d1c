"""SARIF 2.1.0 for findings in files (manifests; later Dockerfiles): one rule per catalogued
check, one result per finding at its file and line.

- Rules come from the check catalogue: title, description, remediation as help, the first
  reference as helpUri, GitHub's `security-severity` from the check's default severity.
- Results point at the file as given on the command line (a relative URI against the
  `SRCROOT` base when it is relative) and its line; the object and field path are the
  logical location, so code scanning shows `Deployment/ns/web` and
  `spec.template.spec.containers[0].securityContext.privileged`.
- `partialFingerprints` hash the check, the object and the field path — not the line — so an
  alert survives edits above it.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from tenlayer import __version__
from tenlayer.checks.catalogue import Check, catalogue
from tenlayer.model import Finding
from tenlayer.report.json import dumps
from tenlayer.report.sarif import BAND_SCORES, LEVELS, SARIF_SCHEMA

BASE_ID = "SRCROOT"
FINGERPRINT = "tenlayerFinding/v1"

def render_findings_sarif(findings: list[Finding]) -> bytes:
    checks = catalogue()
    used = sorted({f.check_id for f in findings})
    rules = [_rule(checks[check_id]) for check_id in used]
    index = {check_id: n for n, check_id in enumerate(used)}
    run = {
        "tool": {
            "driver": {
                "name": "tenlayer",
                "version": __version__,
                "informationUri": "https://github.com/tenlayer/tenlayer",
                "rules": rules,
            }
        },
        "originalUriBaseIds": {BASE_ID: {"description": {"text": "The working directory."}}},
        "results": [_result(f, index[f.check_id]) for f in findings],
        "columnKind": "unicodeCodePoints",
    }
    return dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})


def _rule(check: Check) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": check.id,
        "name": "".join(part.capitalize() for part in check.id.replace("/", "-").split("-")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.description},
        "help": {"text": check.remediation, "markdown": check.remediation},
        "defaultConfiguration": {"level": LEVELS[check.severity]},
        "properties": {
            "tags": ["security", f"layer-{int(check.layer)}", check.layer.label],
        },
    }
    if check.severity in BAND_SCORES:
        rule["properties"]["security-severity"] = BAND_SCORES[check.severity]
    if check.references:
        rule["helpUri"] = check.references[0]
    return rule


def _result(found: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if found.file:
        physical: dict[str, Any] = {"artifactLocation": _artifact(found.file)}
        if found.line:
            physical["region"] = {"startLine": found.line}
        location["physicalLocation"] = physical
    location["logicalLocations"] = [
        {"name": found.location or found.subject,
         "fullyQualifiedName": f"{found.subject}:{found.location}" if found.location
         else found.subject,
         "kind": "member" if found.location else "object"}
    ]
    result: dict[str, Any] = {
        "ruleId": found.check_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVELS[found.severity],
        "message": {"text": f"{found.subject}: {found.title}"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: fingerprint(found)},
        "properties": {"severity": found.severity.name, "evidence": dict(found.evidence)},
    }
    return result


def _artifact(path: str) -> dict[str, Any]:
    if path.startswith("<"):  # <stdin>
        return {"uri": quote(path.strip("<>"))}
    import os.path
    from pathlib import Path

    relative = os.path.normpath(path)
    if path.startswith("/") or relative == ".." or relative.startswith("../"):
        return {"uri": Path(path).resolve().as_uri()}  # outside the base
    return {"uri": quote(relative), "uriBaseId": BASE_ID}


def fingerprint(found: Finding) -> str:
    text = "\x00".join((found.check_id, found.file, found.subject, found.location))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


check_rule = _rule
"""The SARIF rule for a catalogued check (the image scan's findings use it too)."""
