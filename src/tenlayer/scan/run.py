"""One scan, from an inventory to a `ScanResult`: match, apply policy, grade, find.

`image scan` and `sbom scan` both end here, so an image and its SBOM give the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tenlayer.model import Inventory
from tenlayer.scan.result import ScanResult


@dataclass(frozen=True, slots=True)
class ScanOptions:
    database: Path | None = None
    """None: the default database in the user's cache directory."""
    max_db_age: timedelta = timedelta(days=7)
    ignore_unfixed: bool = False
    ignorefile: Path | None = None
    vex: Sequence[Path] = field(default_factory=tuple)


def scan_inventory(
    inventory: Inventory, options: ScanOptions, *, now: datetime
) -> ScanResult:
    from tenlayer.inventory import checks
    from tenlayer.scan.findings import vulnerability_findings
    from tenlayer.scan.grade import grade
    from tenlayer.scan.ignore import load_ignore_file
    from tenlayer.scan.policy import apply_policy
    from tenlayer.scan.vex import load_vex
    from tenlayer.vulndb.match import match_inventory
    from tenlayer.vulndb.store import open_database

    vex = [load_vex(path) for path in options.vex]  # bad input fails before the long work
    ignores = [load_ignore_file(options.ignorefile)] if options.ignorefile else []
    warnings = list(inventory.warnings)
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
        *checks.evaluate(inventory),
        *vulnerability_findings(reported, image=inventory.image),
    ]
    return ScanResult(
        inventory=inventory,
        matches=tuple(policy.matches),
        grade=health,
        findings=tuple(sorted(findings, key=lambda f: f.sort_key())),
        warnings=tuple(warnings),
    )
