"""Sysctls: safe ones always, unsafe ones only when allowed, forbidden ones never."""

from __future__ import annotations

from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import forbidden

SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    # safe when every node's kernel is new enough (3.16, 4.15, 4.15); RHCOS kernels are
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
})  # fmt: skip


def _matches(patterns: tuple[str, ...], name: str) -> bool:
    for pattern in patterns:
        if pattern.endswith("*"):
            if name.startswith(pattern[:-1]):
                return True
        elif name == pattern:
            return True
    return False


def validate_sysctls(scc: SCC, sysctls: tuple[str, ...]) -> list[str]:
    errors = []
    for index, name in enumerate(sysctls):
        path = f"spec.securityContext.sysctls[{index}]"
        if _matches(scc.forbidden_sysctls, name):
            errors.append(forbidden(path, f'sysctl "{name}" is not allowed'))
        elif name not in SAFE_SYSCTLS and not _matches(scc.allowed_unsafe_sysctls, name):
            errors.append(forbidden(path, f'unsafe sysctl "{name}" is not allowed'))
    return errors
