"""Hand-built vulnerabilities and matches over the SBOM tests' inventory (tests/sbom)."""

from __future__ import annotations

from tenlayer.model import FixStatus, Package, Severity, Vulnerability, VulnerabilityMatch
from tests.sbom.inventories import make_inventory

INVENTORY = make_inventory()
PACKAGES = {p.name: p for p in INVENTORY.packages}


def package(name: str) -> Package:
    return PACKAGES[name]


def vulnerability(
    vid: str = "CVE-2024-0001",
    severity: Severity = Severity.HIGH,
    published: str = "2024-01-01T00:00:00Z",
    **changes: object,
) -> Vulnerability:
    fields: dict[str, object] = {
        "id": vid,
        "severity": severity,
        "published": published,
        "modified": "2024-02-01T00:00:00Z",
        "summary": f"flaw {vid}",
    }
    fields.update(changes)
    return Vulnerability(**fields)  # type: ignore[arg-type]


def match(
    name: str = "libc6",
    vuln: Vulnerability | None = None,
    *,
    status: FixStatus = FixStatus.FIXED,
    fixed: str | None = "9.9",
    ecosystem: str = "Debian:12",
    suppressed_by: str = "",
) -> VulnerabilityMatch:
    return VulnerabilityMatch(
        package=package(name),
        vulnerability=vuln or vulnerability(),
        status=status,
        fixed_version=fixed if status is FixStatus.FIXED else None,
        ecosystem=ecosystem,
        suppressed_by=suppressed_by,
    )
