"""The order OpenShift tries SCCs in: priority (higher first, unset is 0), then the most
restrictive first by OpenShift's point value, then by name.

The point value (`util/sort/byrestrictions.go`) weighs each kind of permission in its own
band, so a stronger one always outweighs any sum of weaker ones: privileged containers, then
host ports, host network, host volumes, other non-trivial volumes, the SELinux and RunAsUser
strategies, and capabilities last.
"""

from __future__ import annotations

from tenlayer.policy.scc.constraints import ALL_VOLUMES, SCC

PRIVILEGED_POINTS = 1_600_000
HOST_PORTS_POINTS = 800_000
HOST_NETWORK_POINTS = 400_000
HOST_VOLUME_POINTS = 200_000
NON_TRIVIAL_VOLUME_POINTS = 100_000
STRATEGY_POINTS = {
    "RunAsAny": 40_000,
    "MustRunAsNonRoot": 30_000,
    "MustRunAsRange": 20_000,
    "MustRunAs": 10_000,
}
CAP_DEFAULT_POINTS = 5000
CAP_ADD_ONE_POINTS = 300
CAP_ALLOW_ALL_POINTS = 4000
CAP_ALLOW_ONE_POINTS = 10
CAP_DROP_ALL_POINTS = -3000
CAP_DROP_ONE_POINTS = -50
CAP_MAX_POINTS = 9999
CAP_MIN_POINTS = 0

TRIVIAL_VOLUMES = frozenset({"secret", "configMap", "emptyDir", "downwardAPI", "projected", "none"})


def volume_points(scc: SCC) -> int:
    if "hostPath" in scc.volumes or ALL_VOLUMES in scc.volumes:
        return HOST_VOLUME_POINTS
    if scc.volumes - TRIVIAL_VOLUMES:
        return NON_TRIVIAL_VOLUME_POINTS
    return 0


def capability_points(scc: SCC) -> int:
    points = CAP_DEFAULT_POINTS + CAP_ADD_ONE_POINTS * len(scc.default_add_capabilities)
    allowed = {c.upper() for c in scc.allowed_capabilities}
    if "*" in allowed or "ALL" in allowed:
        points += CAP_ALLOW_ALL_POINTS
    else:
        points += CAP_ALLOW_ONE_POINTS * len(scc.allowed_capabilities)
    if "ALL" in {c.upper() for c in scc.required_drop_capabilities}:
        points += CAP_DROP_ALL_POINTS
    else:
        points += CAP_DROP_ONE_POINTS * len(scc.required_drop_capabilities)
    return max(CAP_MIN_POINTS, min(CAP_MAX_POINTS, points))


def point_value(scc: SCC) -> int:
    """How permissive `scc` is; lower is more restrictive."""
    points = volume_points(scc) + capability_points(scc)
    if scc.allow_privileged_container:
        points += PRIVILEGED_POINTS
    if scc.allow_host_network:
        points += HOST_NETWORK_POINTS
    if scc.allow_host_ports:
        points += HOST_PORTS_POINTS
    points += STRATEGY_POINTS.get(scc.selinux_type, 0)
    points += STRATEGY_POINTS.get(scc.run_as_user_type, 0)
    return points


def order_key(scc: SCC) -> tuple[int, int, str]:
    return (-(scc.priority or 0), point_value(scc), scc.name)


def ordered(sccs: list[SCC]) -> list[SCC]:
    return sorted(sccs, key=order_key)


def more_restrictive_reason(p: int, q: int) -> str:
    """Why an SCC with `p` points is more restrictive than one with `q` (OpenShift's words)."""
    if p >= q:
        return ""
    for band, what in (
        (PRIVILEGED_POINTS, "privileged"),
        (HOST_PORTS_POINTS, "host ports"),
        (HOST_NETWORK_POINTS, "host networking"),
        (HOST_VOLUME_POINTS, "host volume mounts"),
        (NON_TRIVIAL_VOLUME_POINTS, "non-trivial volume mounts"),
    ):
        if p >= band and q >= band:
            p, q = p - band, q - band
        elif p < band <= q:
            return f"forbids {what}"
    if p // 10000 < q // 10000:
        return "permits less runAs strategies"
    if p % 10000 < q % 10000:
        return "permits less capabilities"
    return "is equally restrictive"


def order_reason(chosen: SCC, other: SCC) -> str:
    """Why `chosen` is tried before `other`, as OpenShift's audit annotation says it."""
    if (chosen.priority or 0) != (other.priority or 0):
        return (
            "has higher priority"
            if (chosen.priority or 0) > (other.priority or 0)
            else ("has lower priority")
        )
    p, q = point_value(chosen), point_value(other)
    if p != q:
        return more_restrictive_reason(min(p, q), max(p, q))
    return "ordered by name"
