"""Each SCC strategy's defaults and checks, one SCC at a time (own SCC fixtures)."""

from __future__ import annotations

from typing import Any

from tenlayer.policy.scc import Admission, Requester, SCCPolicy
from tests.policy.scc.builders import container, deep, namespace, permissive, pod, scc

ALICE = Requester.parse_user("alice")


def run(constraint: dict[str, Any], manifest: dict[str, Any], **ns: Any) -> Admission:
    before = deep(manifest)
    result = SCCPolicy.from_objects([constraint]).admit(manifest, ALICE, namespace(**ns))
    assert manifest == before
    return result


def reasons(result: Admission) -> tuple[str, ...]:
    assert not result.allowed
    assert len(result.refusals) == 1
    return result.refusals[0].reasons


def container_sc(result: Admission, index: int = 0, kind: str = "containers") -> Any:
    assert result.allowed and result.pod is not None, result.refusals
    return result.pod["spec"][kind][index].get("securityContext")


def pod_sc(result: Admission) -> Any:
    assert result.allowed and result.pod is not None, result.refusals
    return result.pod["spec"].get("securityContext")


# --- runAsUser ---------------------------------------------------------------------------


def test_must_run_as_sets_and_checks_the_uid() -> None:
    constraint = scc("fixed", runAsUser={"type": "MustRunAs", "uid": 1234})
    assert container_sc(run(constraint, pod()))["runAsUser"] == 1234
    assert reasons(run(constraint, pod(container(runAsUser=99)))) == (
        "spec.containers[0].securityContext.runAsUser: Invalid value: 99: must be: 1234",
    )


def test_must_run_as_range_explicit_range_needs_no_annotation() -> None:
    constraint = scc(
        "ranged",
        runAsUser={"type": "MustRunAsRange", "uidRangeMin": 5000, "uidRangeMax": 5999},
        fsGroup={"type": "RunAsAny"},
    )
    assert container_sc(run(constraint, pod(), uid_range=None))["runAsUser"] == 5000
    assert reasons(run(constraint, pod(container(runAsUser=6000)), uid_range=None)) == (
        "spec.containers[0].securityContext.runAsUser: Invalid value: 6000: "
        "must be in the ranges: [5000, 5999]",
    )


def test_uid_range_annotation_forms() -> None:
    constraint = scc("restricted")
    dash = run(constraint, pod(), uid_range="2000-2999")
    assert container_sc(dash)["runAsUser"] == 2000
    bad = run(constraint, pod(), uid_range="lots")
    assert reasons(bad) == (
        "unable to find pre-allocated uid annotation for namespace team while trying to "
        'configure SCC restricted: block not in the format "<start>-<end>"',
    )
    empty = run(constraint, pod(), uid_range="")
    assert reasons(empty) == (
        "unable to find pre-allocated uid annotation for namespace team while trying to "
        "configure SCC restricted: found annotation openshift.io/sa.scc.uid-range but it was empty",
    )


def test_pod_level_run_as_user_is_inherited_not_copied() -> None:
    manifest = pod(securityContext={"runAsUser": 1000680005})
    sc = container_sc(run(scc("restricted"), manifest))
    assert "runAsUser" not in sc
    assert sc["runAsNonRoot"] is True


def test_must_run_as_non_root() -> None:
    constraint = scc("nonroot", runAsUser={"type": "MustRunAsNonRoot"})
    # no UID: runAsNonRoot is set so the kubelet checks the image's user
    assert container_sc(run(constraint, pod()))["runAsNonRoot"] is True
    assert reasons(run(constraint, pod(container(runAsUser=0)))) == (
        "spec.containers[0].securityContext.runAsUser: Invalid value: 0: "
        "running with the root UID is forbidden",
    )
    assert reasons(run(constraint, pod(container(runAsNonRoot=False)))) == (
        "spec.containers[0].securityContext.runAsNonRoot: Invalid value: false: must be true",
    )


def test_run_as_any_sets_no_user() -> None:
    constraint = scc("any", runAsUser={"type": "RunAsAny"})
    sc = container_sc(run(constraint, pod()))
    assert "runAsUser" not in sc and "runAsNonRoot" not in sc
    assert container_sc(run(constraint, pod(container(runAsUser=0))))["runAsUser"] == 0


# --- SELinux ---------------------------------------------------------------------------


def test_selinux_level_must_match_in_any_category_order() -> None:
    constraint = scc("restricted")
    ok = run(constraint, pod(securityContext={"seLinuxOptions": {"level": "s0:c5,c26"}}))
    assert pod_sc(ok)["seLinuxOptions"] == {"level": "s0:c5,c26"}
    assert reasons(run(constraint, pod(container(seLinuxOptions={"level": "s0:c1,c2"})))) == (
        "spec.containers[0].securityContext.seLinuxOptions.level: Invalid value: "
        '"s0:c1,c2": must be s0:c26,c5',
    )


def test_selinux_type_must_match_the_scc() -> None:
    constraint = scc("restricted")
    # the container inherits the pod's options and is checked with them too
    manifest = pod(securityContext={"seLinuxOptions": {"type": "spc_t"}})
    assert reasons(run(constraint, manifest)) == (
        'spec.securityContext.seLinuxOptions.level: Invalid value: "": must be s0:c26,c5',
        'spec.securityContext.seLinuxOptions.type: Invalid value: "spc_t": must be ',
        'spec.containers[0].securityContext.seLinuxOptions.level: Invalid value: "": '
        "must be s0:c26,c5",
        'spec.containers[0].securityContext.seLinuxOptions.type: Invalid value: "spc_t": must be ',
    )


def test_selinux_options_of_the_scc_with_namespace_level() -> None:
    constraint = scc(
        "engine",
        seLinuxContext={"type": "MustRunAs", "seLinuxOptions": {"type": "container_engine_t"}},
    )
    assert pod_sc(run(constraint, pod()))["seLinuxOptions"] == {
        "type": "container_engine_t",
        "level": "s0:c26,c5",
    }


# --- groups ----------------------------------------------------------------------------


def test_fs_group_must_be_in_range() -> None:
    constraint = scc("restricted")
    assert reasons(run(constraint, pod(securityContext={"fsGroup": 2000}))) == (
        "spec.securityContext.fsGroup: Invalid value: [2000]: 2000 is not an allowed group",
    )


def test_supplemental_groups_must_run_as_uses_every_block() -> None:
    constraint = scc("groups", supplementalGroups={"type": "MustRunAs"})
    annotated = {"openshift.io/sa.scc.supplemental-groups": "5000/10,7000/10"}
    result = run(constraint, pod(), **annotated)
    assert pod_sc(result)["supplementalGroups"] == [5000]
    # fsGroup takes the first block's start from the same annotation
    assert pod_sc(result)["fsGroup"] == 5000
    assert run(constraint, pod(securityContext={"supplementalGroups": [7005]}), **annotated).allowed
    assert reasons(
        run(constraint, pod(securityContext={"supplementalGroups": [7005, 1]}), **annotated)
    ) == (
        "spec.securityContext.supplementalGroups: Invalid value: [7005,1]: "
        "1 is not an allowed group",
    )


def test_explicit_group_ranges() -> None:
    constraint = scc("groups", fsGroup={"type": "MustRunAs", "ranges": [{"min": 10, "max": 20}]})
    assert pod_sc(run(constraint, pod()))["fsGroup"] == 10


# --- capabilities ------------------------------------------------------------------------


def test_required_drop_and_allowed_add() -> None:
    constraint = scc("restricted")
    sc = container_sc(run(constraint, pod(container(capabilities={"add": ["NET_BIND_SERVICE"]}))))
    assert sc["capabilities"] == {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}
    assert reasons(run(constraint, pod(container(capabilities={"add": ["NET_ADMIN"]})))) == (
        'spec.containers[0].securityContext.capabilities.add: Invalid value: "NET_ADMIN": '
        "capability may not be added",
    )


def test_default_add_capabilities_unless_dropped() -> None:
    constraint = scc(
        "adds",
        requiredDropCapabilities=["KILL"],
        defaultAddCapabilities=["NET_RAW", "CHOWN"],
        allowedCapabilities=None,
    )
    sc = container_sc(run(constraint, pod()))
    assert sc["capabilities"] == {"add": ["CHOWN", "NET_RAW"], "drop": ["KILL"]}
    dropped = container_sc(run(constraint, pod(container(capabilities={"drop": ["NET_RAW"]}))))
    assert dropped["capabilities"] == {"add": ["CHOWN"], "drop": ["KILL", "NET_RAW"]}


def test_any_capability_with_wildcard() -> None:
    constraint = permissive("open")
    sc = container_sc(run(constraint, pod(container(capabilities={"add": ["SYS_ADMIN"]}))))
    assert sc == {"capabilities": {"add": ["SYS_ADMIN"]}}


# --- seccomp ----------------------------------------------------------------------------


def test_seccomp_profile_not_allowed() -> None:
    constraint = scc("restricted")
    manifest = pod(securityContext={"seccompProfile": {"type": "Unconfined"}})
    assert reasons(run(constraint, manifest)) == (
        "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Forbidden: "
        "unconfined is not an allowed seccomp profile. Valid values are [runtime/default]",
        "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]: Forbidden: "
        "unconfined is not an allowed seccomp profile. Valid values are [runtime/default]",
    )


def test_seccomp_may_not_be_set_without_profiles() -> None:
    constraint = scc("noseccomp", seccompProfiles=None)
    manifest = pod(container(seccompProfile={"type": "RuntimeDefault"}))
    assert reasons(run(constraint, manifest)) == (
        "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]: Forbidden: "
        "seccomp may not be set",
    )
    plain = run(constraint, pod())
    assert "seccompProfile" not in pod_sc(plain)
    assert "seccomp.security.alpha.kubernetes.io/pod" not in plain.pod["metadata"]["annotations"]  # type: ignore[index]


def test_docker_default_stands_for_runtime_default() -> None:
    constraint = scc("docker", seccompProfiles=["docker/default"])
    result = run(constraint, pod(container(seccompProfile={"type": "RuntimeDefault"})))
    assert pod_sc(result)["seccompProfile"] == {"type": "RuntimeDefault"}
    assert result.pod["metadata"]["annotations"]["seccomp.security.alpha.kubernetes.io/pod"] == (  # type: ignore[index]
        "docker/default"
    )


def test_localhost_profile_from_the_pod_annotation() -> None:
    constraint = scc("local", seccompProfiles=["localhost/profile.json"])
    manifest = pod()
    manifest["metadata"]["annotations"] = {
        "seccomp.security.alpha.kubernetes.io/pod": "localhost/profile.json"
    }
    assert pod_sc(run(constraint, manifest))["seccompProfile"] == {
        "type": "Localhost",
        "localhostProfile": "profile.json",
    }


def test_container_seccomp_annotation_sets_the_container_field() -> None:
    constraint = scc("both", seccompProfiles=["runtime/default", "unconfined"])
    manifest = pod()
    manifest["metadata"]["annotations"] = {
        "container.seccomp.security.alpha.kubernetes.io/app": "unconfined"
    }
    sc = container_sc(run(constraint, manifest))
    assert sc["seccompProfile"] == {"type": "Unconfined"}


# --- privilege, escalation, read-only root ------------------------------------------------


def test_privilege_escalation_defaults_and_checks() -> None:
    constraint = scc("restricted")
    assert reasons(run(constraint, pod(container(allowPrivilegeEscalation=True)))) == (
        "spec.containers[0].securityContext.allowPrivilegeEscalation: Invalid value: true: "
        "Allowing privilege escalation for containers is not allowed",
    )
    lax = scc("lax", allowPrivilegeEscalation=True, defaultAllowPrivilegeEscalation=False)
    assert container_sc(run(lax, pod()))["allowPrivilegeEscalation"] is False
    assert (
        container_sc(run(lax, pod(container(allowPrivilegeEscalation=True))))[
            "allowPrivilegeEscalation"
        ]
        is True
    )


def test_default_escalation_spares_privileged_and_sys_admin() -> None:
    constraint = permissive("open", defaultAllowPrivilegeEscalation=False)
    privileged = container_sc(run(constraint, pod(container(privileged=True))))
    assert "allowPrivilegeEscalation" not in privileged
    sys_admin = container_sc(
        run(constraint, pod(container(capabilities={"add": ["CAP_SYS_ADMIN"]})))
    )
    assert "allowPrivilegeEscalation" not in sys_admin
    plain = container_sc(run(constraint, pod()))
    assert plain == {"allowPrivilegeEscalation": False}


def test_unset_allow_privilege_escalation_means_allowed() -> None:
    constraint = scc("old")
    del constraint["allowPrivilegeEscalation"]
    assert run(constraint, pod(container(allowPrivilegeEscalation=True))).allowed


def test_read_only_root_filesystem() -> None:
    constraint = scc("ro", readOnlyRootFilesystem=True)
    assert container_sc(run(constraint, pod()))["readOnlyRootFilesystem"] is True
    assert reasons(run(constraint, pod(container(readOnlyRootFilesystem=False)))) == (
        "spec.containers[0].securityContext.readOnlyRootFilesystem: Invalid value: false: "
        "ReadOnlyRootFilesystem must be set to true",
    )


# --- host namespaces, ports, user namespaces -----------------------------------------------


def test_host_namespaces() -> None:
    manifest = pod(hostPID=True, hostIPC=True, hostNetwork=True)
    assert reasons(run(scc("restricted"), manifest)) == (
        "spec.hostPID: Invalid value: true: Host PID is not allowed to be used",
        "spec.hostNetwork: Invalid value: true: Host network is not allowed to be used",
        "spec.hostIPC: Invalid value: true: Host IPC is not allowed to be used",
    )


def test_host_ports_of_each_container() -> None:
    manifest = pod(
        {
            "name": "a",
            "image": "x",
            "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 81}],
        },
        {"name": "b", "image": "x", "ports": [{"containerPort": 90, "hostPort": 9090}]},
    )
    assert reasons(run(scc("restricted"), manifest)) == (
        "spec.containers[0].ports[1].hostPort: Invalid value: 81: "
        "Host ports are not allowed to be used",
        "spec.containers[1].ports[0].hostPort: Invalid value: 9090: "
        "Host ports are not allowed to be used",
    )


def test_user_namespace_level() -> None:
    constraint = scc("userns", userNamespaceLevel="RequirePodLevel")
    assert reasons(run(constraint, pod(hostUsers=True))) == (
        "spec.hostUsers: Invalid value: true: Host Users must be set to false",
    )
    assert run(constraint, pod(hostUsers=False)).allowed
    assert run(scc("hostlevel", userNamespaceLevel="AllowHostLevel"), pod(hostUsers=True)).allowed


# --- sysctls ----------------------------------------------------------------------------


def sysctl_pod(*names: str) -> dict[str, Any]:
    return pod(securityContext={"sysctls": [{"name": n, "value": "1"} for n in names]})


def test_sysctls() -> None:
    constraint = scc(
        "restricted", forbiddenSysctls=["net.ipv4.tcp_fin*"], allowedUnsafeSysctls=["kernel.msg*"]
    )
    assert run(constraint, sysctl_pod("net.ipv4.tcp_syncookies", "kernel.msgmax")).allowed
    assert reasons(run(constraint, sysctl_pod("net.ipv4.tcp_fin_timeout", "vm.swappiness"))) == (
        "spec.securityContext.sysctls[0]: Forbidden: "
        'sysctl "net.ipv4.tcp_fin_timeout" is not allowed',
        'spec.securityContext.sysctls[1]: Forbidden: unsafe sysctl "vm.swappiness" is not allowed',
    )


# --- volumes ----------------------------------------------------------------------------


def test_volume_types() -> None:
    manifest = pod(
        volumes=[{"name": "host", "hostPath": {"path": "/"}}, {"name": "cache", "emptyDir": {}}]
    )
    assert reasons(run(scc("restricted"), manifest)) == (
        'spec.volumes[0]: Invalid value: "hostPath": hostPath volumes are not allowed to be used',
    )
    assert run(permissive("open"), manifest).allowed


def test_unknown_volume_source() -> None:
    manifest = pod(volumes=[{"name": "odd", "emptyDir": None}])
    assert reasons(run(scc("restricted"), manifest)) == (
        "spec.volumes[0]: Invalid value: \"\": unknown volume type for volume 'odd'",
    )


def test_service_account_token_projection_rides_on_secret() -> None:
    token = {
        "name": "kube-api-access",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
                {
                    "configMap": {
                        "name": "openshift-service-ca.crt",
                        "items": [{"key": "service-ca.crt", "path": "service-ca.crt"}],
                    }
                },
            ]
        },
    }
    secrets_only = scc("secrets", volumes=["secret"])
    assert run(secrets_only, pod(volumes=[token])).allowed
    other = deep(token)
    other["projected"]["sources"].append({"secret": {"name": "db"}})
    assert not run(secrets_only, pod(volumes=[other])).allowed


def test_empty_volume_list_allows_none() -> None:
    constraint = scc("novolumes", volumes=[])
    assert reasons(run(constraint, pod(volumes=[{"name": "c", "emptyDir": {}}]))) == (
        'spec.volumes[0]: Invalid value: "emptyDir": emptyDir volumes are not allowed to be used',
    )


def test_wildcard_volumes_without_host_dir_plugin_exclude_host_path() -> None:
    constraint = permissive("nohost", allowHostDirVolumePlugin=False)
    assert not run(constraint, pod(volumes=[{"name": "h", "hostPath": {"path": "/"}}])).allowed
    assert run(
        constraint, pod(volumes=[{"name": "n", "nfs": {"server": "s", "path": "/"}}])
    ).allowed


def test_flex_volume_drivers() -> None:
    constraint = permissive("flex", allowedFlexVolumes=[{"driver": "example/ok"}])
    ok = pod(volumes=[{"name": "f", "flexVolume": {"driver": "example/ok"}}])
    assert run(constraint, ok).allowed
    bad = pod(volumes=[{"name": "f", "flexVolume": {"driver": "example/bad"}}])
    assert reasons(run(constraint, bad)) == (
        'spec.volumes[0].flexVolume.driver: Invalid value: "example/bad": '
        "Flexvolume driver is not allowed to be used",
    )


# --- containers of every kind --------------------------------------------------------------


def test_init_and_ephemeral_containers_are_checked_and_defaulted() -> None:
    manifest = pod(
        container("main"),
        initContainers=[container("init", privileged=True)],
        ephemeralContainers=[container("debug", runAsUser=1)],
    )
    assert reasons(run(scc("restricted"), manifest)) == (
        "spec.initContainers[0].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed",
        "spec.ephemeralContainers[0].securityContext.runAsUser: Invalid value: 1: "
        "must be in the ranges: [1000680000, 1000689999]",
    )
    fine = pod(container("main"), initContainers=[container("init")])
    result = run(scc("restricted"), fine)
    assert container_sc(result, 0, "initContainers")["runAsUser"] == 1000680000


def test_unknown_fields_are_kept() -> None:
    manifest = pod(container(procMount="Default", windowsOptions={"x": 1}))
    manifest["spec"]["tolerations"] = [{"operator": "Exists"}]
    result = run(scc("restricted"), manifest)
    assert result.pod is not None
    assert result.pod["spec"]["tolerations"] == [{"operator": "Exists"}]
    sc = container_sc(result)
    assert sc["procMount"] == "Default" and sc["windowsOptions"] == {"x": 1}
