"""Restricted controls: version boundaries, Windows and user-namespace exemptions, messages."""

from __future__ import annotations

from tenlayer.policy.pss import Level, Violation
from tests.policy.pss.pods import (
    container,
    controls,
    evaluate,
    only,
    restricted_container,
    restricted_spec,
)

R = Level.RESTRICTED
B = Level.BASELINE


def test_the_restricted_pod_passes_at_every_version() -> None:
    spec = restricted_spec(
        initContainers=[restricted_container("init")],
        ephemeralContainers=[restricted_container("debug")],
    )
    for minor in range(38):
        assert evaluate(spec, R, f"v1.{minor}") == ()
    assert evaluate(spec, R, "latest") == ()


def test_allow_privilege_escalation_is_required_from_1_8() -> None:
    spec = {"securityContext": {"runAsNonRoot": True}, "containers": [container("app")]}
    assert evaluate(spec, R, "v1.7") == ()
    assert only(spec, R, "v1.8") == Violation(
        "allow-privilege-escalation",
        R,
        'allowPrivilegeEscalation != false (container "app" must set '
        "securityContext.allowPrivilegeEscalation=false)",
        ("spec.containers[0].securityContext.allowPrivilegeEscalation",),
    )
    explicit_true = restricted_spec(
        containers=[restricted_container("app", allowPrivilegeEscalation=True)]
    )
    assert controls(explicit_true, R, "v1.8") == ["allow-privilege-escalation"]


def test_windows_pods_are_exempt_from_linux_only_rules_from_1_25() -> None:
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True},
        "containers": [container("app")],
    }
    assert controls(spec, R, "v1.24") == [
        "allow-privilege-escalation",
        "capabilities-restricted",
        "seccomp-profile-restricted",
    ]
    assert evaluate(spec, R, "v1.25") == ()
    assert evaluate(spec, R, "latest") == ()
    # Only the exact OS name counts, and runAsNonRoot still applies to Windows pods.
    assert len(evaluate({**spec, "os": {"name": "Windows"}}, R, "latest")) == 3
    assert controls({**spec, "securityContext": {}}, R, "latest") == ["run-as-non-root"]


def test_user_namespace_pods_may_run_as_root_from_1_35() -> None:
    spec = restricted_spec(
        hostUsers=False,
        securityContext={"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
    )
    assert controls(spec, R, "v1.34") == ["run-as-non-root", "run-as-user"]
    assert evaluate(spec, R, "v1.35") == ()
    assert evaluate(spec, R, "latest") == ()
    assert controls({**spec, "hostUsers": True}, R, "latest") == ["run-as-non-root", "run-as-user"]


def test_restricted_keeps_proc_mount_default_in_user_namespaces() -> None:
    spec = restricted_spec(
        hostUsers=False, containers=[restricted_container("app", procMount="Unmasked")]
    )
    assert evaluate(spec, B, "latest") == ()
    assert only(spec, R, "v1.35") == Violation(
        "proc-mount-restricted",
        R,
        'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
        ("spec.containers[0].securityContext.procMount",),
    )
    assert only(spec, R, "v1.34").control == "proc-mount"


def test_run_as_non_root_explicit_and_implicit() -> None:
    implicit = {
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [restricted_container("init")],
        "containers": [restricted_container("app", runAsNonRoot=True), restricted_container("b")],
    }
    assert only(implicit, R, "latest") == Violation(
        "run-as-non-root",
        R,
        'runAsNonRoot != true (pod or containers "init", "b" must set '
        "securityContext.runAsNonRoot=true)",
        (
            "spec.initContainers[0].securityContext.runAsNonRoot",
            "spec.containers[1].securityContext.runAsNonRoot",
        ),
    )
    explicit = {
        "securityContext": {"runAsNonRoot": False, "seccompProfile": {"type": "Localhost"}},
        "containers": [
            restricted_container("app", runAsNonRoot=False),
            restricted_container("b"),
        ],
    }
    assert only(explicit, R, "latest") == Violation(
        "run-as-non-root",
        R,
        'runAsNonRoot != true (pod and container "app" must not set '
        "securityContext.runAsNonRoot=false)",
        (
            "spec.securityContext.runAsNonRoot",
            "spec.containers[0].securityContext.runAsNonRoot",
        ),
    )


def test_run_as_user_zero_from_1_23() -> None:
    spec = restricted_spec(
        securityContext={
            "runAsNonRoot": True,
            "runAsUser": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        containers=[
            restricted_container("app", runAsUser=0),
            restricted_container("b", runAsUser=1000),
            restricted_container("c", runAsUser=False),
        ],
    )
    assert evaluate(spec, R, "v1.22") == ()
    assert only(spec, R, "v1.23") == Violation(
        "run-as-user",
        R,
        'runAsUser=0 (pod and container "app" must not set runAsUser=0)',
        ("spec.securityContext.runAsUser", "spec.containers[0].securityContext.runAsUser"),
    )


def test_seccomp_must_be_set_from_1_19() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": True},
        "initContainers": [restricted_container("init", seccompProfile={"type": "Localhost"})],
        "containers": [restricted_container("app"), restricted_container("side")],
    }
    assert evaluate(spec, R, "v1.18") == ()
    assert only(spec, R, "v1.19") == Violation(
        "seccomp-profile-restricted",
        R,
        'seccompProfile (pod or containers "app", "side" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
        (
            "spec.containers[0].securityContext.seccompProfile.type",
            "spec.containers[1].securityContext.seccompProfile.type",
        ),
    )
    explicit = restricted_spec(
        containers=[
            restricted_container("app", seccompProfile={"type": "Unconfined"}),
            restricted_container("side", seccompProfile={}),
        ]
    )
    assert only(explicit, R, "latest") == Violation(
        "seccomp-profile-restricted",
        R,
        'seccompProfile (containers "app", "side" must not set '
        'securityContext.seccompProfile.type to "", "Unconfined")',
        (
            "spec.containers[0].securityContext.seccompProfile.type",
            "spec.containers[1].securityContext.seccompProfile.type",
        ),
        ("seccomp-profile-baseline",),  # Unconfined breaks baseline too; unset does not
    )
    # Before 1.19 restricted runs the baseline seccomp check, on the alpha annotations.
    annotations = {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
    assert controls(spec, R, "v1.18", annotations) == ["seccomp-profile-baseline"]


def test_capabilities_must_drop_all_from_1_22() -> None:
    spec = restricted_spec(
        initContainers=[container("init", allowPrivilegeEscalation=False)],
        containers=[
            restricted_container(
                "app", capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
            ),
            restricted_container(
                "side", capabilities={"drop": ["NET_RAW"], "add": ["CHOWN", "NET_RAW"]}
            ),
        ],
    )
    # Before 1.22 restricted runs the baseline capabilities check: CHOWN is a default one.
    assert only(spec, R, "v1.21").control == "capabilities-baseline"
    assert only(spec, R, "v1.22") == Violation(
        "capabilities-restricted",
        R,
        'unrestricted capabilities (containers "init", "side" must set '
        'securityContext.capabilities.drop=["ALL"]; container "side" must not include '
        '"CHOWN", "NET_RAW" in securityContext.capabilities.add)',
        (
            "spec.initContainers[0].securityContext.capabilities.drop",
            "spec.containers[1].securityContext.capabilities.drop",
            "spec.containers[1].securityContext.capabilities.add[0]",
            "spec.containers[1].securityContext.capabilities.add[1]",
        ),
        ("capabilities-baseline",),  # NET_RAW is not among baseline's allowed capabilities
    )


def test_restricted_volume_types() -> None:
    spec = restricted_spec(
        volumes=[
            {"name": "config", "configMap": {"name": "c"}},
            {"name": "plain"},
            {"name": "image", "image": {"reference": "registry.example/data:1"}},
            {"name": "nfs", "nfs": {"server": "n", "path": "/"}},
            {"name": "root", "hostPath": {"path": "/"}},
            {"name": "repo", "gitRepo": {"repository": "https://example/r.git"}},
            {"name": "claim", "persistentVolumeClaim": {"claimName": "c"}},
            {"name": "future", "someNewSource": {}},
        ]
    )
    expected = Violation(
        "restricted-volumes",
        R,
        'restricted volume types (volumes "nfs", "root", "repo" use restricted volume types '
        '"gitRepo", "hostPath", "nfs")',
        ("spec.volumes[3].nfs", "spec.volumes[4].hostPath", "spec.volumes[5].gitRepo"),
        ("host-path-volumes",),
    )
    # image volumes were allowed in the library's 1.0 revision, so at every version;
    # hostPath is reported by restricted-volumes, which overrides host-path-volumes.
    assert only(spec, R, "v1.0") == expected
    assert only(spec, R, "latest") == expected
    assert controls(spec, B, "latest") == ["host-path-volumes"]
