"""JSON reports: deterministic (sorted keys, sorted records), one document per command."""

from __future__ import annotations

import json
from typing import Any

from tenlayer import __version__
from tenlayer.checks.catalogue import Check
from tenlayer.model import Finding, Image, Inventory, OSInfo, Package

SCHEMA_VERSION = 1


def dumps(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    return text.encode("utf-8", "surrogateescape") + b"\n"


def tool() -> dict[str, str]:
    return {"name": "tenlayer", "version": __version__}


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "check_id": finding.check_id,
        "layer": int(finding.layer),
        "severity": finding.severity.name.lower(),
        "title": finding.title,
        "subject": finding.subject,
        "location": finding.location,
        "evidence": dict(finding.evidence),
        "remediation": finding.remediation,
        "references": list(finding.references),
    }


def image_dict(image: Image) -> dict[str, Any]:
    return {
        "reference": image.reference,
        "source": image.source_kind,
        "manifest_digest": image.manifest_digest,
        "config_digest": image.config_digest,
        "platform": image.platform,
        "repo_tags": list(image.repo_tags),
        "layers": [
            {
                "index": layer.index,
                "digest": layer.digest or None,
                "diff_id": layer.diff_id or None,
                "media_type": layer.media_type or None,
                "size": layer.size,
                "created_by": layer.created_by,
            }
            for layer in image.layers
        ],
    }


def os_dict(os_info: OSInfo | None) -> dict[str, Any] | None:
    if os_info is None:
        return None
    return {
        "family": os_info.family,
        "version_id": os_info.version_id,
        "name": os_info.name,
        "pretty_name": os_info.pretty_name,
        "codename": os_info.codename,
        "found_in": f"/{os_info.found_in}",
    }


def package_dict(package: Package) -> dict[str, Any]:
    return {
        "name": package.name,
        "version": package.version,
        "ecosystem": package.ecosystem.value,
        "purl": package.purl,
        "found_in": f"/{package.found_in}",
        "licenses": list(package.licenses),
        "source_name": package.source_name,
        "source_version": package.source_version,
        "arch": package.arch,
        "layer_index": package.layer_index,
        "layer_diff_id": package.layer_digest,
        "owned_by": package.owned_by,
        "parent": package.parent,
    }


def render_inventory(inventory: Inventory, findings: list[Finding]) -> bytes:
    return dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "tool": tool(),
            "image": image_dict(inventory.image),
            "os": os_dict(inventory.os),
            "packages": [package_dict(p) for p in inventory.packages],
            "findings": [finding_dict(f) for f in findings],
            "warnings": list(inventory.warnings),
        }
    )


def check_dict(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "layer": int(check.layer),
        "layer_name": check.layer.label,
        "severity": check.severity.name.lower(),
        "title": check.title,
        "description": check.description,
        "remediation": check.remediation,
        "references": list(check.references),
    }
