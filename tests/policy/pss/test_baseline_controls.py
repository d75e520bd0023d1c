"""Baseline controls: exact violations (control, reason, paths) for the cases that matter."""

from __future__ import annotations

import pytest

from tenlayer.policy.pss import Level, Violation
from tests.policy.pss.pods import container, controls, evaluate, only

B = Level.BASELINE


def test_a_plain_pod_passes_baseline_at_every_version() -> None:
    spec = {"containers": [container()], "volumes": [{"name": "data", "emptyDir": {}}]}
    for minor in range(38):
        assert evaluate(spec, B, f"v1.{minor}") == ()


def test_host_namespaces_in_the_library_order() -> None:
    spec = {"hostIPC": True, "hostPID": True, "hostNetwork": True, "containers": [container()]}
    assert only(spec, B, "v1.0") == Violation(
        "host-namespaces",
        B,
        "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)",
        ("spec.hostNetwork", "spec.hostPID", "spec.hostIPC"),
    )
    assert evaluate({"hostNetwork": False, "hostPID": "true"}, B, "latest") == ()


def test_privileged_in_every_kind_of_container() -> None:
    spec = {
        "initContainers": [container("init"), container("setup", privileged=True)],
        "containers": [container("app", privileged=True)],
        "ephemeralContainers": [container("debug", privileged=True)],
    }
    assert only(spec, B, "latest") == Violation(
        "privileged",
        B,
        'privileged (containers "setup", "app", "debug" must not set '
        "securityContext.privileged=true)",
        (
            "spec.initContainers[1].securityContext.privileged",
            "spec.containers[0].securityContext.privileged",
            "spec.ephemeralContainers[0].securityContext.privileged",
        ),
    )


def test_capabilities_beyond_the_default_set() -> None:
    spec = {
        "containers": [
            container("a", capabilities={"add": ["NET_RAW", "CHOWN", "SYS_ADMIN"]}),
            container("b", capabilities={"add": ["NET_RAW"], "drop": ["ALL"]}),
            container("c", capabilities={"add": ["KILL", "NET_BIND_SERVICE"]}),
        ]
    }
    assert only(spec, B, "v1.0") == Violation(
        "capabilities-baseline",
        B,
        'non-default capabilities (containers "a", "b" must not include "NET_RAW", '
        '"SYS_ADMIN" in securityContext.capabilities.add)',
        (
            "spec.containers[0].securityContext.capabilities.add[0]",
            "spec.containers[0].securityContext.capabilities.add[2]",
            "spec.containers[1].securityContext.capabilities.add[0]",
        ),
    )


def test_host_path_volumes() -> None:
    spec = {
        "containers": [container()],
        "volumes": [
            {"name": "cache", "emptyDir": {}},
            {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}},
            {"name": "root", "hostPath": {"path": "/"}},
        ],
    }
    assert only(spec, B, "v1.0") == Violation(
        "host-path-volumes",
        B,
        'hostPath volumes (volumes "docker", "root")',
        ("spec.volumes[1].hostPath", "spec.volumes[2].hostPath"),
    )


def test_host_ports_are_listed_as_the_library_sorts_them() -> None:
    app = container("app")
    app["ports"] = [{"containerPort": 80}, {"containerPort": 8080, "hostPort": 8080}]
    init = container("init")
    init["ports"] = [{"containerPort": 10250, "hostPort": 10250}, {"hostPort": 0}]
    spec = {"initContainers": [init, container("quiet")], "containers": [app]}
    assert only(spec, B, "v1.0") == Violation(
        "host-ports",
        B,
        'hostPort (containers "init", "app" use hostPorts 10250, 8080)',
        ("spec.initContainers[0].ports[0].hostPort", "spec.containers[0].ports[1].hostPort"),
    )


def test_apparmor_fields_and_annotations_together() -> None:
    metadata = {
        "annotations": {
            "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/side": "localhost/custom",
            "container.apparmor.security.beta.kubernetes.io/other": "runtime/default",
        }
    }
    spec = {
        "securityContext": {"appArmorProfile": {"type": "Unconfined"}},
        "containers": [
            container("app", appArmorProfile={"type": "Localhost", "localhostProfile": "p"}),
            container("side", appArmorProfile={"type": "Unconfined"}),
        ],
    }
    # The field check was added to the library's 1.0 revision, so it applies at v1.0 too.
    for version in ("v1.0", "latest"):
        assert only(spec, B, version, metadata) == Violation(
            "apparmor-profile",
            B,
            'forbidden AppArmor profiles (pod and container "side" and annotation must not set '
            'AppArmor profile type to "Unconfined", '
            '"container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
            (
                "spec.securityContext.appArmorProfile.type",
                "spec.containers[1].securityContext.appArmorProfile.type",
                "metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]",
            ),
        )


def test_selinux_container_engine_t_is_allowed_from_1_31() -> None:
    spec = {"containers": [container("app", seLinuxOptions={"type": "container_engine_t"})]}
    assert only(spec, B, "v1.30") == Violation(
        "selinux-options",
        B,
        'seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: '
        'type "container_engine_t")',
        ("spec.containers[0].securityContext.seLinuxOptions.type",),
    )
    assert evaluate(spec, B, "v1.31") == ()
    assert evaluate(spec, B, "latest") == ()


def test_selinux_user_and_role_at_pod_and_container() -> None:
    spec = {
        "securityContext": {"seLinuxOptions": {"user": "system_u", "level": "s0:c1"}},
        "containers": [container("app", seLinuxOptions={"role": "sysadm_r", "type": "spc_t"})],
    }
    assert only(spec, B, "latest") == Violation(
        "selinux-options",
        B,
        'seLinuxOptions (pod and container "app" set forbidden securityContext.seLinuxOptions: '
        'type "spc_t"; user may not be set; role may not be set)',
        (
            "spec.securityContext.seLinuxOptions.user",
            "spec.containers[0].securityContext.seLinuxOptions.type",
            "spec.containers[0].securityContext.seLinuxOptions.role",
        ),
    )


@pytest.mark.parametrize(
    ("sysctl", "first_allowed"),
    [
        ("kernel.shm_rmid_forced", 0),
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_keepalive_time", 29),
        ("net.ipv4.tcp_fin_timeout", 29),
        ("net.ipv4.tcp_rmem", 32),
        ("net.ipv4.tcp_wmem", 32),
        ("net.ipv4.tcp_slow_start_after_idle", 37),
        ("net.ipv4.tcp_notsent_lowat", 37),
    ],
)
def test_the_safe_sysctls_grow_with_the_version(sysctl: str, first_allowed: int) -> None:
    spec = {
        "securityContext": {"sysctls": [{"name": sysctl, "value": "1"}]},
        "containers": [container()],
    }
    if first_allowed:
        assert only(spec, B, f"v1.{first_allowed - 1}") == Violation(
            "sysctls",
            B,
            f"forbidden sysctls ({sysctl})",
            ("spec.securityContext.sysctls[0].name",),
        )
    for version in (f"v1.{first_allowed}", "v1.37", "latest", "v1.50"):
        assert evaluate(spec, B, version) == ()


def test_forbidden_sysctls_keep_their_order() -> None:
    spec = {
        "securityContext": {
            "sysctls": [
                {"name": "net.core.somaxconn"},
                {"name": "kernel.shm_rmid_forced"},
                {"name": "kernel.msgmax"},
            ]
        }
    }
    violation = only(spec, B, "latest")
    assert violation.reason == "forbidden sysctls (net.core.somaxconn, kernel.msgmax)"
    assert violation.paths == (
        "spec.securityContext.sysctls[0].name",
        "spec.securityContext.sysctls[2].name",
    )


def test_proc_mount_relaxed_for_user_namespaces_from_1_35() -> None:
    spec = {"hostUsers": False, "containers": [container("app", procMount="Unmasked")]}
    expected = Violation(
        "proc-mount",
        B,
        'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
        ("spec.containers[0].securityContext.procMount",),
    )
    assert only(spec, B, "v1.34") == expected
    assert evaluate(spec, B, "v1.35") == ()
    assert evaluate(spec, B, "latest") == ()
    assert only({**spec, "hostUsers": True}, B, "latest") == expected
    assert only({**spec, "hostUsers": "false"}, B, "latest") == expected


def test_seccomp_annotations_before_1_19_and_fields_after() -> None:
    metadata = {
        "annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/app": "docker/default",
            "container.seccomp.security.alpha.kubernetes.io/side": "",
            "container.seccomp.security.alpha.kubernetes.io/gone": "unconfined",
        }
    }
    spec = {
        "securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [container("app"), container("side", seccompProfile={"type": "Localhost"})],
    }
    assert only(spec, B, "v1.18", metadata) == Violation(
        "seccomp-profile-baseline",
        B,
        "seccompProfile (forbidden annotations "
        'container.seccomp.security.alpha.kubernetes.io/side="", '
        'seccomp.security.alpha.kubernetes.io/pod="unconfined")',
        (
            "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]",
            "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/side]",
        ),
    )
    assert only(spec, B, "v1.19", metadata) == Violation(
        "seccomp-profile-baseline",
        B,
        'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
        ("spec.securityContext.seccompProfile.type",),
    )


def test_windows_host_process_at_pod_and_container() -> None:
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"windowsOptions": {"hostProcess": True}},
        "containers": [container("app", windowsOptions={"hostProcess": True})],
        "initContainers": [container("init", windowsOptions={"hostProcess": False})],
    }
    assert only(spec, B, "latest") == Violation(
        "windows-host-process",
        B,
        'hostProcess (pod and container "app" must not set '
        "securityContext.windowsOptions.hostProcess=true)",
        (
            "spec.securityContext.windowsOptions.hostProcess",
            "spec.containers[0].securityContext.windowsOptions.hostProcess",
        ),
    )


def test_host_probes_and_lifecycle_hosts_from_1_34() -> None:
    app = container("app")
    app["livenessProbe"] = {"httpGet": {"path": "/", "port": 80, "host": "10.0.0.1"}}
    app["readinessProbe"] = {"tcpSocket": {"port": 80, "host": ""}}
    debug = container("debug")
    debug["lifecycle"] = {
        "preStop": {"tcpSocket": {"port": 22, "host": "169.254.169.254"}},
        "postStart": {"httpGet": {"port": 80, "host": "10.0.0.1"}},
    }
    spec = {"containers": [app], "ephemeralContainers": [debug]}
    assert evaluate(spec, B, "v1.33") == ()
    assert only(spec, B, "v1.34") == Violation(
        "host-probes-and-host-lifecycle",
        B,
        'probe or lifecycle host (containers "app", "debug" use probe or lifecycle hosts '
        '"10.0.0.1", "169.254.169.254")',
        (
            "spec.containers[0].livenessProbe.httpGet.host",
            "spec.ephemeralContainers[0].lifecycle.postStart.httpGet.host",
            "spec.ephemeralContainers[0].lifecycle.preStop.tcpSocket.host",
        ),
    )


def test_violations_are_sorted_by_control() -> None:
    spec = {
        "hostPID": True,
        "containers": [container("app", privileged=True, capabilities={"add": ["SYS_ADMIN"]})],
        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
        "securityContext": {"sysctls": [{"name": "kernel.sem"}]},
    }
    assert controls(spec, B, "latest") == [
        "capabilities-baseline",
        "host-namespaces",
        "host-path-volumes",
        "privileged",
        "sysctls",
    ]
    assert all(
        v.level is B
        for v in evaluate(spec, Level.RESTRICTED, "latest")
        if v.control in {"host-namespaces", "privileged", "sysctls"}
    )
