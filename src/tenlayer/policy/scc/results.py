"""What SCC admission decides for one pod."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one SCC refused the pod: `<field path>: <message>` lines in OpenShift's words."""

    scc: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Admission:
    allowed: bool
    scc: str | None
    """The SCC that admitted the pod (None when refused, or for pods SCC admission skips)."""
    pod: dict[str, Any] | None = field(hash=False)
    """The pod as admitted, with the SCC's defaults written in (a new dict)."""
    tried: tuple[str, ...]
    """SCCs the requester or the pod's service account may use, in the order tried."""
    refusals: tuple[Refusal, ...]
    """Why each SCC tried before the chosen one refused (all of them when refused)."""
    not_usable: tuple[str, ...]
    """SCCs that exist but neither the requester nor the service account may use."""
    granted_by: dict[str, str] = field(hash=False)
    """SCC name -> why it is usable: `scc users`, `scc groups`, or the RBAC grant."""
    granted_to: dict[str, str] = field(default_factory=dict, hash=False)
    """SCC name -> `serviceaccount` or `user`: whose permission made it usable."""
    notes: tuple[str, ...] = ()
    """Other things OpenShift says about the decision."""
    skipped: str = ""
    """Why SCC admission does not run for this pod at all ("" when it does)."""
