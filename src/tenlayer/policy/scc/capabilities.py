"""Capabilities: defaultAddCapabilities, requiredDropCapabilities, allowedCapabilities."""

from __future__ import annotations

from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import invalid
from tenlayer.policy.scc.securitycontext import Capabilities

ALLOW_ALL = "*"


def default_capabilities(scc: SCC, current: Capabilities | None) -> Capabilities | None:
    """Container capabilities with the SCC's default adds (unless the container drops them)
    and required drops merged in; the container's own value when nothing changes."""
    container_add = set(current.add or ()) if current else set()
    container_drop = set(current.drop or ()) if current else set()
    combined_add = (set(scc.default_add_capabilities) - container_drop) | container_add
    combined_drop = set(scc.required_drop_capabilities) | container_drop
    if len(combined_add) == len(container_add) and len(combined_drop) == len(container_drop):
        return current
    return Capabilities(
        add=tuple(sorted(combined_add)) or None, drop=tuple(sorted(combined_drop)) or None
    )


def validate_capabilities(scc: SCC, path: str, caps: Capabilities | None) -> list[str]:
    """Errors for a container's capabilities at `path` (…securityContext)."""
    if caps is None:
        if not scc.default_add_capabilities and not scc.required_drop_capabilities:
            return []
        return [
            invalid(
                f"{path}.capabilities",
                None,
                "required capabilities are not set on the securityContext",
            )
        ]
    if ALLOW_ALL in scc.allowed_capabilities:
        return []
    errors = []
    addable = set(scc.default_add_capabilities) | set(scc.allowed_capabilities)
    for cap in caps.add or ():
        if cap not in addable:
            errors.append(invalid(f"{path}.capabilities.add", cap, "capability may not be added"))
    drops = set(caps.drop or ())
    shown = None if caps.drop is None else list(caps.drop)
    for cap in scc.required_drop_capabilities:
        if cap not in drops:
            errors.append(
                invalid(
                    f"{path}.capabilities.drop",
                    shown,
                    f"{cap} is required to be dropped but was not found",
                )
            )
    return errors
