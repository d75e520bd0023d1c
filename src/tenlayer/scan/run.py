"""One scan, from an inventory to a `ScanResult`: match, apply policy, grade, find.

`image scan` and `sbom scan` both end here, so an image and its SBOM give the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tenlayer.model import Finding, Inventory
from tenlayer.scan.result import ScanResult


@dataclass(frozen=True, slots=True)
class ScanOptions:
    database: Path | None = None
    """None: the default database in the user's cache directory."""
    max_db_age: timedelta = timedelta(days=7)
    ignore_unfixed: bool = False
    ignorefile: Path | None = None
    vex: Sequence[Path] = field(default_factory=tuple)
    checks: frozenset[str] = frozenset({"vuln"})
    """`vuln` matches vulnerabilities (and needs the database); `config` and `secret` are
    checks of the built image, whose findings come with the `ScanInput`."""


@dataclass(frozen=True, slots=True)
class ScanInput:
    """An inventory and the findings of the image checks run in the same walk."""

    inventory: Inventory
    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()


def scan_inventory(
    scanned: Inventory | ScanInput, options: ScanOptions, *, now: datetime
) -> ScanResult:
    from tenlayer.scan.findings import vulnerability_findings
    from tenlayer.scan.grade import grade
    from tenlayer.scan.ignore import load_ignore_file
    from tenlayer.scan.policy import apply_policy
    from tenlayer.scan.vex import load_vex
    from tenlayer.vulndb.match import match_inventory
    from tenlayer.vulndb.store import open_database

    if isinstance(scanned, Inventory):
        scanned = ScanInput(scanned)
    inventory = scanned.inventory
    checks = tuple(sorted(options.checks))
    warnings = [*inventory.warnings, *scanned.warnings]
    if "vuln" not in options.checks:
        findings = [*checks_of_inventory(inventory), *scanned.findings]
        return ScanResult(
            inventory=inventory, matches=(), grade=None,
            findings=tuple(sorted(findings, key=lambda f: (f.sort_key(), f.title))),
            warnings=tuple(warnings), checks=checks,
        )
    vex = [load_vex(path) for path in options.vex]  # bad input fails before the long work
    ignores = [load_ignore_file(options.ignorefile)] if options.ignorefile else []
    with open_database(options.database) as database:
        stale = database.staleness(options.max_db_age, now)
        if stale:
            warnings.append(stale)
        matched = match_inventory(inventory, database)
    warnings.extend(matched.warnings)
    policy = apply_policy(
        matched.matches, now=now, image=inventory.image, vex=vex, ignores=ignores,
        ignore_unfixed=options.ignore_unfixed,
    )
    warnings.extend(policy.warnings)
    health = grade(policy.matches, now=now)
    warnings.extend(health.warnings)
    reported = [m for m in policy.matches if not m.suppressed_by]
    findings = [
        *checks_of_inventory(inventory),
        *vulnerability_findings(reported, image=inventory.image),
        *scanned.findings,
    ]
    return ScanResult(
        inventory=inventory,
        matches=tuple(policy.matches),
        grade=health,
        findings=tuple(sorted(findings, key=lambda f: (f.sort_key(), f.title))),
        warnings=tuple(warnings),
        checks=checks,
    )


def checks_of_inventory(inventory: Inventory) -> list[Finding]:
    from tenlayer.inventory import checks

    return checks.evaluate(inventory)
