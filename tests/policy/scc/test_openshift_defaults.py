"""SCC admission with the SCCs, ClusterRoles and ClusterRoleBindings OpenShift ships."""

from __future__ import annotations

from typing import Any

import pytest

from tenlayer.policy.scc import Admission, Refusal, Requester, SCCPolicy
from tests.policy.scc.builders import (
    cluster_role_binding,
    container,
    deep,
    group,
    namespace,
    pod,
    role_binding,
    service_account,
    shipped_dir,
    user,
)

pytestmark = pytest.mark.conformance

ALICE = Requester.parse_user("alice")


@pytest.fixture(scope="module")
def defaults() -> SCCPolicy:
    return SCCPolicy.openshift_defaults(shipped_dir())


def admit(
    policy: SCCPolicy, manifest: dict[str, Any], who: Requester = ALICE, **ns: Any
) -> Admission:
    before = deep(manifest)
    result = policy.admit(manifest, who, namespace(**ns))
    assert manifest == before, "the input pod was modified"
    return result


def test_order_is_openshifts(defaults: SCCPolicy) -> None:
    # the order a 4.21 cluster lists in its refusal message (kueue issue output), less the
    # SCCs of optional operators: anyuid by priority 10, then by restrictiveness; v2 and v3
    # score the same (userNamespaceLevel earns no points) and are ordered by name
    assert [s.name for s in defaults.sccs] == [
        "anyuid",
        "restricted-v2",
        "restricted-v3",
        "restricted",
        "nested-container",
        "nonroot-v2",
        "nonroot",
        "hostmount-anyuid",
        "hostmount-anyuid-v2",
        "hostnetwork-v2",
        "hostnetwork",
        "hostaccess",
        "privileged",
    ]


def test_plain_pod_by_a_user_gets_restricted_v2(defaults: SCCPolicy) -> None:
    result = admit(defaults, pod())
    assert result.allowed
    assert result.scc == "restricted-v2"
    assert result.tried == ("restricted-v2",)
    assert result.refusals == ()
    assert result.granted_by["restricted-v2"] == (
        "ClusterRoleBinding/system:openshift:scc:restricted-v2 -> "
        "ClusterRole/system:openshift:scc:restricted-v2"
    )
    assert result.granted_to["restricted-v2"] == "user"
    assert set(result.not_usable) == {s.name for s in defaults.sccs} - {
        "restricted-v2",
        "restricted-v3",
    }
    # What OpenShift writes, strategy by strategy (provider.go and the strategies):
    # - MustRunAsRange without a range takes the namespace's uid-range; its first UID is set
    #   on the container, which then is known non-root, so runAsNonRoot: true is added;
    # - SELinux MustRunAs takes the namespace's MCS level, set once on the pod (containers
    #   inherit it, so nothing is written to them);
    # - fsGroup MustRunAs takes the first ID of the range; supplementalGroups is RunAsAny;
    # - requiredDropCapabilities [ALL] becomes capabilities.drop;
    # - the first seccomp profile is set on the pod, as field and (deprecated) annotation;
    # - allowPrivilegeEscalation: false in the SCC defaults the container to false;
    # - the admission plugin annotates the chosen SCC and whose permission made it usable.
    assert result.pod == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web",
            "namespace": "team",
            "annotations": {
                "openshift.io/scc": "restricted-v2",
                "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
                "security.openshift.io/validated-scc-subject-type": "user",
            },
        },
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example/app:1",
                    "securityContext": {
                        "runAsUser": 1000680000,
                        "runAsNonRoot": True,
                        "capabilities": {"drop": ["ALL"]},
                        "allowPrivilegeEscalation": False,
                    },
                }
            ],
            "securityContext": {
                "seLinuxOptions": {"level": "s0:c26,c5"},
                "fsGroup": 1000680000,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        },
    }


def test_privileged_pod_by_a_user_is_refused_by_each_usable_scc(defaults: SCCPolicy) -> None:
    result = admit(defaults, pod(container(privileged=True)))
    assert not result.allowed
    assert result.scc is None
    assert result.pod is None
    assert result.tried == ("restricted-v2", "restricted-v3")
    assert result.refusals == (
        Refusal(
            "restricted-v2",
            (
                "spec.containers[0].securityContext.privileged: Invalid value: true: "
                "Privileged containers are not allowed",
            ),
        ),
        Refusal(
            "restricted-v3",
            (
                "spec.hostUsers: Invalid value: null: Host Users must be set to false",
                "spec.containers[0].securityContext.privileged: Invalid value: true: "
                "Privileged containers are not allowed",
            ),
        ),
    )
    assert "privileged" in result.not_usable


def test_privileged_pod_by_a_user_bound_to_the_privileged_role(defaults: SCCPolicy) -> None:
    binding = cluster_role_binding("ops-privileged", "system:openshift:scc:privileged", user("ops"))
    policy = defaults.merged(SCCPolicy.from_objects([binding]))
    result = admit(policy, pod(container(privileged=True)), Requester.parse_user("ops"))
    assert result.allowed
    assert result.scc == "privileged"
    assert result.tried == ("restricted-v2", "restricted-v3", "privileged")
    assert [r.scc for r in result.refusals] == ["restricted-v2", "restricted-v3"]
    assert result.granted_by["privileged"] == (
        "ClusterRoleBinding/ops-privileged -> ClusterRole/system:openshift:scc:privileged"
    )
    # privileged sets nothing: RunAsAny strategies, no required drops, '*' seccomp
    assert result.pod is not None
    assert result.pod["spec"] == pod(container(privileged=True))["spec"]
    assert result.pod["metadata"]["annotations"] == {
        "openshift.io/scc": "privileged",
        "security.openshift.io/validated-scc-subject-type": "user",
    }


def test_anyuid_granted_to_the_service_account_by_a_rolebinding(defaults: SCCPolicy) -> None:
    binding = role_binding(
        "app-anyuid", "team", "system:openshift:scc:anyuid", service_account("app")
    )
    policy = defaults.merged(SCCPolicy.from_objects([binding]))
    manifest = pod(container(runAsUser=0), serviceAccountName="app")
    result = admit(policy, manifest)
    assert result.allowed
    assert result.scc == "anyuid"  # priority 10: tried first
    assert result.tried == ("anyuid",)
    assert result.granted_to["anyuid"] == "serviceaccount"
    assert result.granted_by["anyuid"] == (
        "RoleBinding/team/app-anyuid -> ClusterRole/system:openshift:scc:anyuid"
    )
    assert result.pod is not None
    # RunAsAny keeps UID 0 (and says nothing of non-root); SELinux level from the namespace;
    # requiredDropCapabilities [MKNOD]; no seccomp profiles in anyuid, so none is set
    assert result.pod["spec"]["containers"][0]["securityContext"] == {
        "runAsUser": 0,
        "capabilities": {"drop": ["MKNOD"]},
    }
    assert result.pod["spec"]["securityContext"] == {"seLinuxOptions": {"level": "s0:c26,c5"}}
    assert result.pod["metadata"]["annotations"] == {
        "openshift.io/scc": "anyuid",
        "security.openshift.io/validated-scc-subject-type": "serviceaccount",
    }


def test_image_user_is_kept_under_anyuid(defaults: SCCPolicy) -> None:
    binding = role_binding(
        "app-anyuid", "team", "system:openshift:scc:anyuid", service_account("app", "team")
    )
    policy = defaults.merged(SCCPolicy.from_objects([binding]))
    result = admit(policy, pod(serviceAccountName="app"))
    assert result.scc == "anyuid"
    assert result.pod is not None
    assert "runAsUser" not in result.pod["spec"]["containers"][0]["securityContext"]


def test_rolebinding_in_another_namespace_grants_nothing_here(defaults: SCCPolicy) -> None:
    binding = role_binding(
        "app-anyuid", "other", "system:openshift:scc:anyuid", service_account("app", "team")
    )
    policy = defaults.merged(SCCPolicy.from_objects([binding]))
    result = admit(policy, pod(container(runAsUser=0), serviceAccountName="app"))
    assert not result.allowed
    assert "anyuid" in result.not_usable
    assert result.refusals[0] == Refusal(
        "restricted-v2",
        (
            "spec.containers[0].securityContext.runAsUser: Invalid value: 0: "
            "must be in the ranges: [1000680000, 1000689999]",
        ),
    )


def test_namespace_without_uid_range(defaults: SCCPolicy) -> None:
    result = admit(defaults, pod(), uid_range=None)
    assert not result.allowed
    assert result.refusals[0] == Refusal(
        "restricted-v2",
        (
            "unable to find pre-allocated uid annotation for namespace team while trying to "
            "configure SCC restricted-v2: unable to find annotation openshift.io/sa.scc.uid-range",
        ),
    )
    # restricted-v3 carries its own ranges, so only the user namespace stops it
    assert result.refusals[1] == Refusal(
        "restricted-v3", ("spec.hostUsers: Invalid value: null: Host Users must be set to false",)
    )


def test_restricted_v3_admits_a_user_namespace_pod(defaults: SCCPolicy) -> None:
    result = admit(defaults, pod(hostUsers=False), uid_range=None)
    assert result.allowed
    assert result.scc == "restricted-v3"
    assert result.pod is not None
    assert result.pod["spec"]["containers"][0]["securityContext"]["runAsUser"] == 1000
    assert result.pod["spec"]["securityContext"]["fsGroup"] == 1000
    assert result.pod["spec"]["securityContext"]["supplementalGroups"] == [1000]


def test_missing_mcs_annotation(defaults: SCCPolicy) -> None:
    result = admit(defaults, pod(), mcs=None)
    assert result.refusals[0].reasons == (
        "unable to find pre-allocated mcs annotation for namespace team while trying to "
        "configure SCC restricted-v2: unable to find annotation openshift.io/sa.scc.mcs",
    )


def test_cluster_admins_get_anyuid_first(defaults: SCCPolicy) -> None:
    admin = Requester("kube-admin", ("system:cluster-admins", "system:authenticated"))
    result = admit(defaults, pod(), admin)
    assert result.scc == "anyuid"
    assert result.granted_by["anyuid"] == "scc groups"


def test_superuser_may_use_every_scc(defaults: SCCPolicy) -> None:
    root = Requester("system:admin", ("system:masters", "system:authenticated"))
    result = admit(defaults, pod(container(privileged=True), hostNetwork=True), root)
    assert result.allowed
    assert result.scc == "privileged"
    assert result.not_usable == ()
    assert result.granted_by["privileged"] == "scc users"
    assert result.granted_by["hostaccess"] == "group system:masters (superuser)"


def test_host_network_pod_gets_hostnetwork_v2(defaults: SCCPolicy) -> None:
    binding = cluster_role_binding("net", "system:openshift:scc:hostnetwork-v2", group("netops"))
    policy = defaults.merged(SCCPolicy.from_objects([binding]))
    manifest = pod(
        {"name": "app", "image": "x", "ports": [{"containerPort": 8080}]}, hostNetwork=True
    )
    result = admit(policy, manifest, Requester("bob", ("netops", "system:authenticated")))
    assert result.scc == "hostnetwork-v2"
    # API defaulting gives host-network ports a hostPort, which restricted-v2 refuses too
    assert result.refusals[0].reasons == (
        "spec.hostNetwork: Invalid value: true: Host network is not allowed to be used",
        "spec.containers[0].ports[0].hostPort: Invalid value: 8080: "
        "Host ports are not allowed to be used",
    )


def test_hint_when_restricted_would_have_admitted(defaults: SCCPolicy) -> None:
    result = admit(defaults, pod(container(allowPrivilegeEscalation=True)))
    assert not result.allowed
    assert result.notes == (
        "no access to scc/restricted: Forbidden: the pod fails to validate against the "
        "`restricted-v2` security context constraint, but would validate successfully against "
        "the `restricted` security context constraint",
    )


def test_service_account_as_requester(defaults: SCCPolicy) -> None:
    deployer = Requester.service_account("kube-system", "replicaset-controller")
    result = admit(defaults, pod(), deployer)
    assert result.scc == "restricted-v2"
    assert result.granted_to["restricted-v2"] == "user"


def test_required_scc_annotation(defaults: SCCPolicy) -> None:
    manifest = pod()
    manifest["metadata"]["annotations"] = {"openshift.io/required-scc": "restricted-v3"}
    result = admit(defaults, manifest)
    assert not result.allowed
    assert result.tried == ("restricted-v3",)
    manifest["metadata"]["annotations"] = {"openshift.io/required-scc": "nope"}
    result = admit(defaults, manifest)
    assert result.notes == (
        'failed to retrieve the required SCC "nope": '
        'securitycontextconstraints.security.openshift.io "nope" not found',
    )


def test_windows_pods_are_not_subject_to_scc(defaults: SCCPolicy) -> None:
    manifest = pod(container(privileged=True), os={"name": "windows"})
    result = admit(defaults, manifest)
    assert result.allowed
    assert result.scc is None
    assert result.pod == manifest
    assert result.skipped == "Windows pods are not subject to SCC admission"


@pytest.mark.parametrize("name", ["default", "kube-system", "openshift-infra"])
def test_run_level_namespaces_are_exempt(defaults: SCCPolicy, name: str) -> None:
    manifest = pod(container(privileged=True), namespace=name)
    result = defaults.admit(manifest, ALICE, namespace(name))
    assert result.allowed and result.scc is None and result.pod == manifest
    assert result.skipped.startswith(f"SCC admission does not run in namespace {name} (run level")


def test_run_level_label_exempts_a_namespace(defaults: SCCPolicy) -> None:
    ns = namespace("infra")
    ns["metadata"]["labels"] = {"openshift.io/run-level": "1"}
    result = defaults.admit(pod(container(privileged=True), namespace="infra"), ALICE, ns)
    assert result.allowed and result.scc is None
    ns["metadata"]["labels"] = {"openshift.io/run-level": "2"}
    result = defaults.admit(pod(container(privileged=True), namespace="infra"), ALICE, ns)
    assert not result.allowed


def test_a_pod_without_namespace_is_not_assumed_exempt(defaults: SCCPolicy) -> None:
    manifest = pod(container(privileged=True))
    del manifest["metadata"]["namespace"]
    result = defaults.admit(manifest, ALICE)
    assert not result.allowed
    assert result.skipped == ""
