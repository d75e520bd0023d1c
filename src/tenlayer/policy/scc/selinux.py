"""SELinux context strategies: MustRunAs (the SCC's options, level from the namespace) and
RunAsAny."""

from __future__ import annotations

from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import invalid, required
from tenlayer.policy.scc.securitycontext import SELinuxOptions


def default_selinux(scc: SCC, current: SELinuxOptions | None) -> SELinuxOptions | None:
    if current is None and scc.selinux_type == "MustRunAs":
        return scc.selinux_options or SELinuxOptions()
    return current


def validate_selinux(scc: SCC, path: str, options: SELinuxOptions | None) -> list[str]:
    """Errors for the effective options at `path` (…securityContext.seLinuxOptions)."""
    if scc.selinux_type != "MustRunAs":
        return []
    if options is None:
        return [required(path)]
    expected = scc.selinux_options or SELinuxOptions()
    errors = []
    if not equal_levels(expected.level, options.level):
        errors.append(invalid(f"{path}.level", options.level, f"must be {expected.level}"))
    if options.role != expected.role:
        errors.append(invalid(f"{path}.role", options.role, f"must be {expected.role}"))
    if options.type != expected.type:
        errors.append(invalid(f"{path}.type", options.type, f"must be {expected.type}"))
    if options.user != expected.user:
        errors.append(invalid(f"{path}.user", options.user, f"must be {expected.user}"))
    return errors


def equal_levels(expected: str, actual: str) -> bool:
    """MLS levels compare equal with their categories in any order (`s0:c6,c0` = `s0:c0,c6`)."""
    if expected == actual:
        return True
    want = expected.split(":", 1)
    got = actual.split(":", 1)
    if len(want) != 2 or len(got) != 2 or want[0] != got[0]:
        return False
    return sorted(want[1].split(",")) == sorted(got[1].split(","))
