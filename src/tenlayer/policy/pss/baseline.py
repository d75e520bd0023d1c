"""Baseline controls: each function is one versioned revision of one library check.

A check returns None when the pod is allowed, else `(reason, paths)`: the library's forbidden
reason and detail as `reason (detail)`, and the offending fields. Names end in the policy
version that introduced the revision (`_1_0`, `_1_31`); the registry maps versions to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenlayer.policy.pss.pod import PodView, flag, items, optional_text, struct, text
from tenlayer.policy.pss.wording import go_quote, join_quote, plural, setters, with_detail

Outcome = tuple[str, tuple[str, ...]] | None
CheckFn = Callable[[PodView], Outcome]

_POD_SC = "spec.securityContext"


def _containers_phrase(names: list[str]) -> str:
    return f"{plural('container', 'containers', len(names))} {join_quote(names)}"


def _unique(paths: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(paths))


# hostNamespaces 1.0 --------------------------------------------------------------------------

_HOST_NAMESPACES = (
    ("hostNetwork", "hostNetwork=true", "spec.hostNetwork"),
    ("hostPID", "hostPID=true", "spec.hostPID"),
    ("hostIPC", "hostIPC=true", "spec.hostIPC"),
)


def host_namespaces_1_0(pod: PodView) -> Outcome:
    spec = pod.spec
    found = [entry for entry in _HOST_NAMESPACES if spec.get(entry[0]) is True]
    if not found:
        return None
    detail = ", ".join(entry[1] for entry in found)
    return with_detail("host namespaces", detail), tuple(entry[2] for entry in found)


# privileged 1.0 ------------------------------------------------------------------------------


def privileged_1_0(pod: PodView) -> Outcome:
    names: list[str] = []
    paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        if context is not None and context.get("privileged") is True:
            names.append(name)
            paths.append(prefix + ".securityContext.privileged")
    if not names:
        return None
    detail = f"{_containers_phrase(names)} must not set securityContext.privileged=true"
    return with_detail("privileged", detail), tuple(paths)


# capabilities_baseline 1.0 -------------------------------------------------------------------

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""The container runtimes' default capability set: adding any of these changes nothing."""


def capability_entries(capabilities: dict[str, Any], key: str) -> list[tuple[int, str]]:
    """(index, name) of a capabilities list; null entries decode to "", mistyped are skipped."""
    entries = []
    for index, value in enumerate(items(capabilities, key)):
        if value is None:
            entries.append((index, ""))
        elif type(value) is str:
            entries.append((index, value))
    return entries


def capabilities_baseline_1_0(pod: PodView) -> Outcome:
    names: list[str] = []
    forbidden: set[str] = set()
    paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        capabilities = struct(context, "capabilities")
        if capabilities is None:
            continue
        valid = True
        for index, capability in capability_entries(capabilities, "add"):
            if capability not in BASELINE_CAPABILITIES:
                valid = False
                forbidden.add(capability)
                paths.append(f"{prefix}.securityContext.capabilities.add[{index}]")
        if not valid:
            names.append(name)
    if not names:
        return None
    detail = (
        f"{_containers_phrase(names)} must not include {join_quote(sorted(forbidden))} "
        "in securityContext.capabilities.add"
    )
    return with_detail("non-default capabilities", detail), tuple(paths)


# hostPathVolumes 1.0 -------------------------------------------------------------------------


def host_path_volumes_1_0(pod: PodView) -> Outcome:
    names: list[str] = []
    paths: list[str] = []
    for index, volume in enumerate(items(pod.spec, "volumes")):
        if type(volume) is dict and type(volume.get("hostPath")) is dict:
            names.append(text(volume, "name"))
            paths.append(f"spec.volumes[{index}].hostPath")
    if not names:
        return None
    detail = f"{plural('volume', 'volumes', len(names))} {join_quote(names)}"
    return with_detail("hostPath volumes", detail), tuple(paths)


# hostPorts 1.0 -------------------------------------------------------------------------------


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
"""hostPort is an int32: a number outside it does not decode, so the API server refuses it."""


def host_ports_1_0(pod: PodView) -> Outcome:
    names: list[str] = []
    ports: set[str] = set()
    paths: list[str] = []
    for prefix, name, container, _context in pod.containers:
        valid = True
        for index, port in enumerate(items(container, "ports")):
            if type(port) is not dict:
                continue
            host_port = port.get("hostPort")
            if type(host_port) is int and host_port != 0 and _INT32_MIN <= host_port <= _INT32_MAX:
                valid = False
                ports.add(str(host_port))
                paths.append(f"{prefix}.ports[{index}].hostPort")
        if not valid:
            names.append(name)
    if not names:
        return None
    detail = (
        f"{_containers_phrase(names)} {plural('uses', 'use', len(names))} "
        f"{plural('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}"
    )
    return with_detail("hostPort", detail), tuple(paths)


# appArmorProfile 1.0 -------------------------------------------------------------------------

APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _apparmor_annotation_allowed(value: str) -> bool:
    return not value or value == "runtime/default" or value.startswith("localhost/")


def apparmor_profile_1_0(pod: PodView) -> Outcome:
    """The annotation from 1.0; the appArmorProfile fields (Kubernetes 1.30) were added to the
    same 1.0 revision, so they are checked at every policy version, as the library does."""
    bad_values: set[str] = set()
    paths: list[str] = []
    pod_bad = False
    profile = struct(pod.security_context, "appArmorProfile")
    if profile is not None:
        profile_type = text(profile, "type")
        if profile_type not in _APPARMOR_TYPES:
            pod_bad = True
            bad_values.add(profile_type)
            paths.append(_POD_SC + ".appArmorProfile.type")
    names: list[str] = []
    for prefix, name, _container, context in pod.containers:
        profile = struct(context, "appArmorProfile")
        if profile is None:
            continue
        profile_type = text(profile, "type")
        if profile_type not in _APPARMOR_TYPES:
            names.append(name)
            bad_values.add(profile_type)
            paths.append(prefix + ".securityContext.appArmorProfile.type")
    who = setters(pod_bad, names)
    annotations: list[str] = []
    for key, value in pod.annotations.items():
        if type(key) is not str or not key.startswith(APPARMOR_ANNOTATION_PREFIX):
            continue
        value = "" if value is None else value
        if type(value) is str and not _apparmor_annotation_allowed(value):
            annotations.append(f"{key}={go_quote(value)}")
            paths.append(f"metadata.annotations[{key}]")
    values = sorted(bad_values)
    if annotations:
        annotations.sort()
        values.extend(annotations)
        noun = plural("annotation", "annotations", len(annotations))
        who = f"{who} and {noun}" if who else noun
    if not who:
        return None
    reason = plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values))
    detail = f"{who} must not set AppArmor profile type to {join_quote(values)}"
    return with_detail(reason, detail), _unique(paths)


# seLinuxOptions 1.0, 1.31 --------------------------------------------------------------------

SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}
"""container_engine_t (for container engines inside a container) is allowed from 1.31."""


def _selinux_check(allowed: frozenset[str]) -> CheckFn:
    def check(pod: PodView) -> Outcome:
        bad_types: set[str] = set()
        paths: list[str] = []
        flags = [False, False]  # user set, role set

        def valid(options: dict[str, Any], base: str) -> bool:
            ok = True
            selinux_type = text(options, "type")
            if selinux_type not in allowed:
                ok = False
                bad_types.add(selinux_type)
                paths.append(base + ".type")
            if text(options, "user"):
                ok = False
                flags[0] = True
                paths.append(base + ".user")
            if text(options, "role"):
                ok = False
                flags[1] = True
                paths.append(base + ".role")
            return ok

        options = struct(pod.security_context, "seLinuxOptions")
        pod_bad = options is not None and not valid(options, _POD_SC + ".seLinuxOptions")
        names = []
        for prefix, name, _container, context in pod.containers:
            options = struct(context, "seLinuxOptions")
            if options is not None and not valid(
                options, prefix + ".securityContext.seLinuxOptions"
            ):
                names.append(name)
        if not pod_bad and not names:
            return None
        data = []
        if bad_types:
            types = sorted(bad_types)
            data.append(f"{plural('type', 'types', len(types))} {join_quote(types)}")
        if flags[0]:
            data.append("user may not be set")
        if flags[1]:
            data.append("role may not be set")
        detail = (
            f"{setters(pod_bad, names)} set forbidden securityContext.seLinuxOptions: "
            + "; ".join(data)
        )
        return with_detail("seLinuxOptions", detail), tuple(paths)

    return check


selinux_options_1_0 = _selinux_check(SELINUX_TYPES_1_0)
selinux_options_1_31 = _selinux_check(SELINUX_TYPES_1_31)


# procMount 1.0, 1.35 -------------------------------------------------------------------------


def proc_mount_1_0(pod: PodView) -> Outcome:
    """Only `Default` (or unset) keeps the runtime's masked /proc paths."""
    names: list[str] = []
    kinds: set[str] = set()
    paths: list[str] = []
    for prefix, name, _container, context in pod.containers:
        proc_mount = optional_text(context, "procMount")
        if proc_mount is not None and proc_mount != "Default":
            names.append(name)
            kinds.add(proc_mount)
            paths.append(prefix + ".securityContext.procMount")
    if not names:
        return None
    detail = (
        f"{_containers_phrase(names)} must not set securityContext.procMount to "
        f"{join_quote(sorted(kinds))}"
    )
    return with_detail("procMount", detail), tuple(paths)


def proc_mount_1_35(pod: PodView) -> Outcome:
    """From 1.35 a pod in a user namespace (`hostUsers: false`) may unmask /proc: the
    relaxation of KEP-127, formerly behind a feature gate, made unconditional at 1.35."""
    if pod.user_namespace:
        return None
    return proc_mount_1_0(pod)


# seccompProfile_baseline 1.0, 1.19 -----------------------------------------------------------

SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _seccomp_annotation_allowed(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_profile_baseline_1_0(pod: PodView) -> Outcome:
    """Before 1.19 seccomp was set by the alpha annotations; only they are checked."""
    annotations = pod.annotations
    forbidden: set[str] = set()
    paths: list[str] = []
    keys = [SECCOMP_POD_ANNOTATION]
    keys.extend(SECCOMP_CONTAINER_ANNOTATION_PREFIX + name for _p, name, _c, _s in pod.containers)
    for key in keys:
        if key not in annotations:
            continue
        value = annotations[key]
        value = "" if value is None else value
        if type(value) is str and not _seccomp_annotation_allowed(value):
            forbidden.add(f"{key}={go_quote(value)}")
            paths.append(f"metadata.annotations[{key}]")
    if not forbidden:
        return None
    detail = f"forbidden {plural('annotation', 'annotations', len(forbidden))} " + ", ".join(
        sorted(forbidden)
    )
    return with_detail("seccompProfile", detail), _unique(paths)


def seccomp_profile_baseline_1_19(pod: PodView) -> Outcome:
    """From 1.19 the seccompProfile fields: if set, RuntimeDefault or Localhost."""
    bad_values: set[str] = set()
    paths: list[str] = []
    pod_bad = False
    profile = struct(pod.security_context, "seccompProfile")
    if profile is not None:
        profile_type = text(profile, "type")
        if profile_type not in SECCOMP_TYPES:
            pod_bad = True
            bad_values.add(profile_type)
            paths.append(_POD_SC + ".seccompProfile.type")
    names = []
    for prefix, name, _container, context in pod.containers:
        profile = struct(context, "seccompProfile")
        if profile is not None:
            profile_type = text(profile, "type")
            if profile_type not in SECCOMP_TYPES:
                names.append(name)
                bad_values.add(profile_type)
                paths.append(prefix + ".securityContext.seccompProfile.type")
    if not pod_bad and not names:
        return None
    detail = (
        f"{setters(pod_bad, names)} must not set securityContext.seccompProfile.type to "
        f"{join_quote(sorted(bad_values))}"
    )
    return with_detail("seccompProfile", detail), tuple(paths)


# sysctls 1.0, 1.27, 1.29, 1.32, 1.37 ---------------------------------------------------------

SYSCTLS_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
SYSCTLS_1_37 = SYSCTLS_1_32 | {
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
}


def _sysctls_check(allowed: frozenset[str]) -> CheckFn:
    def check(pod: PodView) -> Outcome:
        names: list[str] = []
        paths: list[str] = []
        for index, sysctl in enumerate(items(pod.security_context, "sysctls")):
            if type(sysctl) is not dict:
                continue
            name = text(sysctl, "name")
            if name not in allowed:
                names.append(name)
                paths.append(f"{_POD_SC}.sysctls[{index}].name")
        if not names:
            return None
        return with_detail("forbidden sysctls", ", ".join(names)), tuple(paths)

    return check


sysctls_1_0 = _sysctls_check(SYSCTLS_1_0)
sysctls_1_27 = _sysctls_check(SYSCTLS_1_27)
sysctls_1_29 = _sysctls_check(SYSCTLS_1_29)
sysctls_1_32 = _sysctls_check(SYSCTLS_1_32)
sysctls_1_37 = _sysctls_check(SYSCTLS_1_37)


# windowsHostProcess 1.0 ----------------------------------------------------------------------


def windows_host_process_1_0(pod: PodView) -> Outcome:
    paths: list[str] = []
    pod_bad = flag(struct(pod.security_context, "windowsOptions"), "hostProcess") is True
    if pod_bad:
        paths.append(_POD_SC + ".windowsOptions.hostProcess")
    names = []
    for prefix, name, _container, context in pod.containers:
        if flag(struct(context, "windowsOptions"), "hostProcess") is True:
            names.append(name)
            paths.append(prefix + ".securityContext.windowsOptions.hostProcess")
    if not paths:
        return None
    detail = (
        f"{setters(pod_bad, names)} must not set securityContext.windowsOptions.hostProcess=true"
    )
    return with_detail("hostProcess", detail), tuple(paths)


# hostProbesAndHostLifecycle 1.34 -------------------------------------------------------------

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")
_HANDLERS = ("httpGet", "tcpSocket")


def _handler_hosts(handler: dict[str, Any] | None, base: str, out: list[tuple[str, str]]) -> None:
    if handler is None:
        return
    for kind in _HANDLERS:
        action = struct(handler, kind)
        if action is not None:
            host = text(action, "host")
            if host:
                out.append((host, f"{base}.{kind}.host"))


def host_probes_and_host_lifecycle_1_34(pod: PodView) -> Outcome:
    """From 1.34 probes and lifecycle handlers may not aim at another host (`host:`),
    which would let the kubelet reach addresses on the node's network for the pod."""
    names: set[str] = set()
    hosts: set[str] = set()
    paths: list[str] = []
    for prefix, name, container, _context in pod.containers:
        found: list[tuple[str, str]] = []
        for probe in _PROBES:
            _handler_hosts(struct(container, probe), f"{prefix}.{probe}", found)
        lifecycle = struct(container, "lifecycle")
        if lifecycle is not None:
            for hook in _HOOKS:
                _handler_hosts(struct(lifecycle, hook), f"{prefix}.lifecycle.{hook}", found)
        if found:
            names.add(name)
            for host, path in found:
                hosts.add(host)
                paths.append(path)
    if not names:
        return None
    container_names = sorted(names)
    detail = (
        f"{_containers_phrase(container_names)} {plural('uses', 'use', len(names))} "
        f"{plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
        f"{join_quote(sorted(hosts))}"
    )
    return with_detail("probe or lifecycle host", detail), tuple(paths)
