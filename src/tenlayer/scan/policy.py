"""The policy between matching and reporting: VEX statements, ignore files, unfixed ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tenlayer.model import FixStatus, Image, VulnerabilityMatch
from tenlayer.scan.ignore import IgnoreFile, apply_ignores
from tenlayer.scan.vex import VexDocument, apply_vex


@dataclass(frozen=True, slots=True)
class PolicyResult:
    matches: list[VulnerabilityMatch]
    """Every match kept, suppressed ones marked (`suppressed_by`)."""
    warnings: list[str]


def apply_policy(
    matches: Iterable[VulnerabilityMatch],
    *,
    now: datetime,
    image: Image | None = None,
    vex: Sequence[VexDocument] = (),
    ignores: Sequence[IgnoreFile] = (),
    ignore_unfixed: bool = False,
) -> PolicyResult:
    """VEX first (a statement of fact about the product), then ignore files (a decision to
    accept a risk), so a match both cover shows the VEX reason. `ignore_unfixed` drops
    matches with no fixed version altogether, as Trivy's `--ignore-unfixed` does: they are
    not suppressed findings but out of the scan's scope.
    """
    matches = list(matches)
    kept = [
        m
        for m in matches
        if not ignore_unfixed or (m.status is FixStatus.FIXED and m.fixed_version)
    ]
    warnings: list[str] = []
    if len(kept) < len(matches):
        left_out = len(matches) - len(kept)
        warnings.append(
            f"left out {left_out} {'vulnerability' if left_out == 1 else 'vulnerabilities'} "
            "without a fix (--ignore-unfixed)"
        )
    if vex:
        kept = apply_vex(kept, vex, image=image)
    for ignore_file in ignores:
        kept, found = apply_ignores(kept, ignore_file, now=now)
        warnings.extend(found)
    return PolicyResult(matches=kept, warnings=warnings)
