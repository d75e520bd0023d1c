"""One catalogue of checks (DESIGN.md): id, layer, default severity, title, remediation.

Each domain declares its checks in a `CHECKS` tuple next to the code that evaluates them;
this module gathers them and builds `Finding` records with the declared defaults, so a
check's wording and severity live in exactly one place.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

from tenlayer.model import Finding, Layer, Severity

_DOMAINS = (
    "tenlayer.inventory.checks",
    "tenlayer.scan.findings",
    "tenlayer.policy.pss.checks",
    "tenlayer.policy.workloads",
    "tenlayer.policy.scc.checks",
    "tenlayer.dockerfile.checks",
    "tenlayer.imagecheck.checks",
    "tenlayer.netpol.findings",
)
"""Modules that declare a CHECKS tuple. Add a domain's module here when it gains checks."""


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    layer: Layer
    severity: Severity
    title: str
    description: str
    remediation: str
    references: tuple[str, ...] = ()


@cache
def catalogue() -> dict[str, Check]:
    checks: dict[str, Check] = {}
    for module_name in _DOMAINS:
        for check in importlib.import_module(module_name).CHECKS:
            if check.id in checks:
                raise RuntimeError(f"check {check.id} is declared twice")
            checks[check.id] = check
    return dict(sorted(checks.items(), key=lambda item: (item[1].layer, item[0])))


def finding(
    check_id: str,
    *,
    subject: str,
    location: str = "",
    evidence: tuple[tuple[str, str], ...] = (),
    title: str | None = None,
    severity: Severity | None = None,
    file: str = "",
    line: int = 0,
) -> Finding:
    """A Finding for a catalogued check; `title`/`severity` override the defaults."""
    check = catalogue()[check_id]
    return Finding(
        check_id=check.id,
        layer=check.layer,
        severity=severity if severity is not None else check.severity,
        title=title or check.title,
        subject=subject,
        location=location,
        evidence=evidence,
        remediation=check.remediation,
        references=check.references,
        file=file,
        line=line,
    )
