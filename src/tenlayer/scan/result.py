"""Everything a scan found, as the report formats take it."""

from __future__ import annotations

from dataclasses import dataclass

from tenlayer.model import Finding, Inventory, VulnerabilityMatch
from tenlayer.scan.grade import Grade


@dataclass(frozen=True, slots=True)
class ScanResult:
    inventory: Inventory
    matches: tuple[VulnerabilityMatch, ...]
    """Every match, suppressed ones included (with `suppressed_by` set)."""
    grade: Grade | None
    """None when vulnerabilities were not checked (`image scan --checks config,secret`): the
    grade is about vulnerabilities only."""
    findings: tuple[Finding, ...] = ()
    """Every finding of the scan: `content/vulnerable-package` and the other checks."""
    warnings: tuple[str, ...] = ()
    """Inventory, matcher, policy and grade warnings, in the order they arose."""
    checks: tuple[str, ...] = ("vuln",)
    """What was checked: `vuln`, `config`, `secret` (`image scan --checks`)."""

    @property
    def reported(self) -> list[VulnerabilityMatch]:
        """The matches that are not suppressed, sorted (severity first)."""
        return sorted((m for m in self.matches if not m.suppressed_by), key=_order)

    @property
    def suppressed(self) -> list[VulnerabilityMatch]:
        return sorted((m for m in self.matches if m.suppressed_by), key=_order)


def _order(match: VulnerabilityMatch) -> tuple[tuple[int, str, str, str, str], str, str]:
    return match.sort_key(), match.package.version, match.suppressed_by
