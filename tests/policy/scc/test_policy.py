"""SCCPolicy: building, merging, usability, and stability of what it admits."""

from __future__ import annotations

from typing import Any

import pytest

from tenlayer.errors import BadInput
from tenlayer.policy.scc import Requester, SCCPolicy
from tenlayer.rbac import Authorizer
from tests.policy.scc.builders import (
    cluster_role,
    container,
    namespace,
    permissive,
    pod,
    role_binding,
    scc,
    service_account,
    shipped_dir,
    use_scc_rule,
    user,
)

ALICE = Requester.parse_user("alice")


def test_other_kinds_are_ignored() -> None:
    policy = SCCPolicy.from_objects([scc("a"), {"kind": "ConfigMap", "metadata": {"name": "x"}}])
    assert [s.name for s in policy.sccs] == ["a"]


def test_merged_objects_override_by_name() -> None:
    base = SCCPolicy.from_objects([scc("a", groups=[]), scc("b")])
    override = SCCPolicy.from_objects([scc("a", groups=["system:authenticated"], priority=5)])
    merged = base.merged(override)
    assert [s.name for s in merged.sccs] == ["a", "b"]
    assert merged.admit(pod(), ALICE, namespace()).scc == "a"
    assert base.admit(pod(), ALICE, namespace()).scc == "b"


def test_scc_users_name_the_service_account() -> None:
    policy = SCCPolicy.from_objects(
        [scc("restricted"), permissive("wide", groups=[], users=["system:serviceaccount:team:ci"])]
    )
    result = policy.admit(
        pod(container(privileged=True), serviceAccountName="ci"), ALICE, namespace()
    )
    assert result.scc == "wide"
    assert result.granted_by["wide"] == "scc users"
    assert result.granted_to["wide"] == "serviceaccount"


def test_service_account_group_in_scc_groups() -> None:
    policy = SCCPolicy.from_objects([permissive("wide", groups=["system:serviceaccounts:team"])])
    assert policy.admit(pod(), Requester("bob"), namespace()).granted_to["wide"] == "serviceaccount"
    assert not policy.admit(pod(namespace="other"), Requester("bob"), namespace("other")).allowed


def test_rbac_grant_by_role_in_the_pods_namespace() -> None:
    objects = [
        permissive("wide", groups=[]),
        cluster_role("use-wide", use_scc_rule("wide")),
        role_binding("bob-wide", "team", "use-wide", user("bob")),
        role_binding("sa-wide", "team", "use-wide", service_account("builder")),
    ]
    policy = SCCPolicy.from_objects(objects)
    bob = Requester.parse_user("bob")
    assert policy.admit(pod(), bob, namespace()).granted_by["wide"] == (
        "RoleBinding/team/bob-wide -> ClusterRole/use-wide"
    )
    assert not policy.admit(pod(namespace="prod"), bob, namespace("prod")).allowed
    with_sa = policy.admit(pod(serviceAccountName="builder"), ALICE, namespace())
    assert with_sa.granted_by["wide"] == "RoleBinding/team/sa-wide -> ClusterRole/use-wide"


def test_requester_is_an_rbac_identity() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role("use-wide", use_scc_rule()),
            role_binding("b", "team", "use-wide", user("alice")),
        ]
    )
    assert authz.can(
        ALICE, "use", "security.openshift.io", "securitycontextconstraints", "x", "team"
    )


def test_namespace_must_be_the_pods() -> None:
    with pytest.raises(
        BadInput, match="the namespace given is other, not the pod's namespace team"
    ):
        SCCPolicy.from_objects([scc("a")]).admit(pod(), ALICE, namespace("other"))


def test_pod_without_namespace_takes_the_given_namespace() -> None:
    manifest = pod()
    del manifest["metadata"]["namespace"]
    result = SCCPolicy.from_objects([scc("a")]).admit(manifest, ALICE, namespace())
    assert result.allowed
    assert result.pod is not None
    assert "namespace" not in result.pod["metadata"]


def test_no_sccs_at_all() -> None:
    result = SCCPolicy.from_objects([]).admit(pod(), ALICE, namespace())
    assert not result.allowed
    assert result.notes == ("no SecurityContextConstraints found in cluster",)


STABLE_PODS = [
    pod(),
    pod(container(runAsUser=1000680001, capabilities={"add": ["NET_BIND_SERVICE"]})),
    pod(
        container("a"), container("b", readOnlyRootFilesystem=True), initContainers=[container("i")]
    ),
    pod(securityContext={"seccompProfile": {"type": "RuntimeDefault"}, "fsGroup": 1000680000}),
    pod(hostUsers=False),
]


@pytest.mark.parametrize("manifest", STABLE_PODS)
def test_admitted_pod_needs_no_further_change(manifest: dict[str, Any]) -> None:
    # OpenShift validates the pod again after mutating admission and refuses it if that
    # would change anything: what admission returns must come back unchanged
    policy = SCCPolicy.openshift_defaults(shipped_dir())
    first = policy.admit(manifest, ALICE, namespace())
    assert first.allowed and first.pod is not None
    again = policy.admit(first.pod, ALICE, namespace())
    assert again.scc == first.scc
    assert again.pod == first.pod
