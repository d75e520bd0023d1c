"""RunAsUser strategies: MustRunAs, MustRunAsRange, MustRunAsNonRoot, RunAsAny."""

from __future__ import annotations

from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import invalid, required


def default_run_as_user(scc: SCC, current: int | None) -> int | None:
    """The effective runAsUser after the strategy fills in an unset one."""
    if current is not None:
        return current
    if scc.run_as_user_type == "MustRunAs":
        return scc.uid
    if scc.run_as_user_type == "MustRunAsRange":
        return scc.uid_range_min
    return None


def validate_run_as_user(
    scc: SCC, path: str, run_as_non_root: bool | None, run_as_user: int | None
) -> list[str]:
    kind = scc.run_as_user_type
    if kind == "MustRunAs":
        if run_as_user is None:
            return [required(f"{path}.runAsUser")]
        if run_as_user != scc.uid:
            return [invalid(f"{path}.runAsUser", run_as_user, f"must be: {scc.uid}")]
    elif kind == "MustRunAsRange":
        low, high = scc.uid_range_min, scc.uid_range_max
        if run_as_user is None:
            return [required(f"{path}.runAsUser")]
        if low is None or high is None or not low <= run_as_user <= high:
            detail = f"must be in the ranges: [{low}, {high}]"
            return [invalid(f"{path}.runAsUser", run_as_user, detail)]
    elif kind == "MustRunAsNonRoot":
        if run_as_non_root is None and run_as_user is None:
            return [required(f"{path}.runAsNonRoot", "must be true")]
        if run_as_non_root is False:
            return [invalid(f"{path}.runAsNonRoot", False, "must be true")]
        if run_as_user == 0:
            return [invalid(f"{path}.runAsUser", 0, "running with the root UID is forbidden")]
    return []
