"""The RBAC authorizer: bindings, roles, rules and subjects as Kubernetes matches them."""

from __future__ import annotations

from typing import Any

import pytest

from tenlayer.errors import BadInput
from tenlayer.rbac import Authorizer, Grant, UserInfo

ALICE = UserInfo("alice", ("system:authenticated",))


def cluster_role(name: str, *rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"kind": "ClusterRole", "metadata": {"name": name}, "rules": list(rules), **extra}


def role(name: str, ns: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": list(rules)}


def rule(verbs: list[str], groups: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"verbs": verbs, "apiGroups": groups, "resources": resources, **extra}


def binding(
    kind: str, name: str, role_kind: str, role_name: str, *subjects: dict[str, str], ns: str = ""
) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": ns} if ns else {})}
    return {
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": list(subjects),
    }


def subject(kind: str, name: str, ns: str | None = None) -> dict[str, str]:
    out = {"kind": kind, "name": name}
    if ns is not None:
        out["namespace"] = ns
    return out


USE_SCC = rule(["use"], ["security.openshift.io"], ["securitycontextconstraints"])
READ_PODS = rule(["get", "list"], [""], ["pods"])


def test_cluster_role_binding_grants_everywhere() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role("reader", READ_PODS),
            binding(
                "ClusterRoleBinding", "readers", "ClusterRole", "reader", subject("User", "alice")
            ),
        ]
    )
    assert authz.can(ALICE, "get", "", "pods", "web", "team")
    assert authz.can(ALICE, "list", "", "pods")
    assert not authz.can(ALICE, "delete", "", "pods", "web", "team")
    assert not authz.can(UserInfo("bob"), "get", "", "pods", "web", "team")
    assert authz.authorize(ALICE, "get", "", "pods", "web", "team") == Grant(
        "ClusterRoleBinding/readers", "ClusterRole/reader"
    )


def test_cluster_role_through_a_rolebinding_is_namespaced() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role("scc-user", USE_SCC),
            binding(
                "RoleBinding", "b", "ClusterRole", "scc-user", subject("User", "alice"), ns="team"
            ),
        ]
    )
    grant = authz.authorize(
        ALICE, "use", "security.openshift.io", "securitycontextconstraints", "x", "team"
    )
    assert grant is not None
    assert grant.describe() == "RoleBinding/team/b -> ClusterRole/scc-user"
    assert not authz.can(
        ALICE, "use", "security.openshift.io", "securitycontextconstraints", "x", "other"
    )
    # a cluster-scoped request is not granted by a RoleBinding
    assert not authz.can(ALICE, "use", "security.openshift.io", "securitycontextconstraints", "x")


def test_role_must_be_in_the_bindings_namespace() -> None:
    authz = Authorizer.from_objects(
        [
            role("local", "team", READ_PODS),
            binding("RoleBinding", "here", "Role", "local", subject("User", "alice"), ns="team"),
            binding("RoleBinding", "there", "Role", "local", subject("User", "alice"), ns="other"),
        ]
    )
    assert authz.authorize(ALICE, "get", "", "pods", "p", "team") == Grant(
        "RoleBinding/team/here", "Role/team/local"
    )
    assert not authz.can(ALICE, "get", "", "pods", "p", "other")


def test_resource_names_limit_the_rule() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role(
                "anyuid",
                rule(
                    ["use"],
                    ["security.openshift.io"],
                    ["securitycontextconstraints"],
                    resourceNames=["anyuid"],
                ),
            ),
            binding(
                "ClusterRoleBinding",
                "b",
                "ClusterRole",
                "anyuid",
                subject("Group", "system:authenticated"),
            ),
        ]
    )
    assert authz.can(
        ALICE, "use", "security.openshift.io", "securitycontextconstraints", "anyuid", "ns"
    )
    assert not authz.can(
        ALICE, "use", "security.openshift.io", "securitycontextconstraints", "privileged", "ns"
    )


@pytest.mark.parametrize(
    "wild",
    [
        rule(["*"], ["security.openshift.io"], ["securitycontextconstraints"]),
        rule(["use"], ["*"], ["securitycontextconstraints"]),
        rule(["use"], ["security.openshift.io"], ["*"]),
        rule(["*"], ["*"], ["*"]),
    ],
)
def test_wildcards(wild: dict[str, Any]) -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role("wild", wild),
            binding("ClusterRoleBinding", "b", "ClusterRole", "wild", subject("User", "alice")),
        ]
    )
    assert authz.can(
        ALICE, "use", "security.openshift.io", "securitycontextconstraints", "any", "ns"
    )


def test_subresources() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role(
                "exec", rule(["create"], [""], ["pods/exec"]), rule(["get"], [""], ["*/log"])
            ),
            binding("ClusterRoleBinding", "b", "ClusterRole", "exec", subject("User", "alice")),
        ]
    )
    assert authz.can(ALICE, "create", "", "pods/exec", "p", "ns")
    assert not authz.can(ALICE, "create", "", "pods", "p", "ns")
    assert authz.can(ALICE, "get", "", "pods/log", "p", "ns")
    assert not authz.can(ALICE, "get", "", "pods", "p", "ns")


def test_groups() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role("reader", READ_PODS),
            binding("ClusterRoleBinding", "b", "ClusterRole", "reader", subject("Group", "devs")),
        ]
    )
    assert authz.can(UserInfo("carol", ("devs",)), "get", "", "pods", "p", "ns")
    assert not authz.can(UserInfo("devs"), "get", "", "pods", "p", "ns")


def test_service_account_subjects() -> None:
    sa = UserInfo(
        "system:serviceaccount:team:app", ("system:serviceaccounts", "system:serviceaccounts:team")
    )
    authz = Authorizer.from_objects(
        [
            cluster_role("reader", READ_PODS),
            # no namespace in a RoleBinding: the binding's own namespace
            binding(
                "RoleBinding",
                "implicit",
                "ClusterRole",
                "reader",
                subject("ServiceAccount", "app"),
                ns="team",
            ),
            # another namespace's service account may be bound here
            binding(
                "RoleBinding",
                "foreign",
                "ClusterRole",
                "reader",
                subject("ServiceAccount", "app", "team"),
                ns="shared",
            ),
            # no namespace in a ClusterRoleBinding: matches nobody
            binding(
                "ClusterRoleBinding",
                "nobody",
                "ClusterRole",
                "reader",
                subject("ServiceAccount", "app"),
            ),
            binding(
                "ClusterRoleBinding",
                "all-sas",
                "ClusterRole",
                "reader",
                subject("Group", "system:serviceaccounts:team"),
            ),
        ]
    )
    assert authz.authorize(sa, "get", "", "pods", "p", "team") == Grant(
        "ClusterRoleBinding/all-sas", "ClusterRole/reader"
    )
    assert authz.can(sa, "get", "", "pods", "p", "shared")
    only_bindings = Authorizer.from_objects(
        [
            cluster_role("reader", READ_PODS),
            binding(
                "RoleBinding",
                "implicit",
                "ClusterRole",
                "reader",
                subject("ServiceAccount", "app"),
                ns="team",
            ),
            binding(
                "ClusterRoleBinding",
                "nobody",
                "ClusterRole",
                "reader",
                subject("ServiceAccount", "app"),
            ),
        ]
    )
    assert only_bindings.authorize(sa, "get", "", "pods", "p", "team") == Grant(
        "RoleBinding/team/implicit", "ClusterRole/reader"
    )
    assert not only_bindings.can(sa, "get", "", "pods", "p", "elsewhere")


def test_missing_role_grants_nothing() -> None:
    authz = Authorizer.from_objects(
        [binding("ClusterRoleBinding", "dangling", "ClusterRole", "gone", subject("User", "alice"))]
    )
    assert not authz.can(ALICE, "get", "", "pods", "p", "ns")


def test_superuser_group() -> None:
    root = UserInfo("system:admin", ("system:masters",))
    grant = Authorizer.from_objects([]).authorize(root, "delete", "", "nodes", "n")
    assert grant is not None
    assert grant.describe() == "group system:masters (superuser)"


def test_aggregated_roles_keep_only_their_own_rules() -> None:
    # the aggregation controller is not modelled: an aggregated ClusterRole grants the rules
    # written in it, not those of the roles it selects
    authz = Authorizer.from_objects(
        [
            cluster_role(
                "view", aggregationRule={"clusterRoleSelectors": [{"matchLabels": {"agg": "view"}}]}
            ),
            {
                **cluster_role("piece", READ_PODS),
                "metadata": {"name": "piece", "labels": {"agg": "view"}},
            },
            binding("ClusterRoleBinding", "b", "ClusterRole", "view", subject("User", "alice")),
        ]
    )
    assert authz.roles[("ClusterRole", "", "view")].aggregated
    assert not authz.can(ALICE, "get", "", "pods", "p", "ns")


def test_first_binding_in_order_is_reported() -> None:
    authz = Authorizer.from_objects(
        [
            cluster_role("reader", READ_PODS),
            binding(
                "RoleBinding", "a-local", "ClusterRole", "reader", subject("User", "alice"), ns="ns"
            ),
            binding(
                "ClusterRoleBinding", "z-global", "ClusterRole", "reader", subject("User", "alice")
            ),
        ]
    )
    grant = authz.authorize(ALICE, "get", "", "pods", "p", "ns")
    assert grant == Grant("ClusterRoleBinding/z-global", "ClusterRole/reader")


def test_other_kinds_are_ignored() -> None:
    authz = Authorizer.from_objects(
        [{"kind": "ConfigMap", "metadata": {"name": "x"}, "data": "junk"}]
    )
    assert authz.bindings == ()


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"kind": "ClusterRole", "metadata": {}}, "ClusterRole/<unnamed>: metadata.name"),
        (
            {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": "all"},
            "ClusterRole/r: rules",
        ),
        (
            {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [{"verbs": "get"}]},
            "rules[0].verbs",
        ),
        ({"kind": "Role", "metadata": {"name": "r", "namespace": 3}}, "metadata.namespace"),
        (
            {"kind": "ClusterRoleBinding", "metadata": {"name": "b"}},
            "ClusterRoleBinding/b: roleRef",
        ),
        (binding("ClusterRoleBinding", "b", "Role", "r"), "roleRef.kind"),
        (
            binding("RoleBinding", "b", "ClusterRole", "r", {"kind": "Robot", "name": "x"}, ns="n"),
            "RoleBinding/n/b: subjects[0].kind",
        ),
        (
            binding("RoleBinding", "b", "ClusterRole", "r", {"kind": "User"}, ns="n"),
            "subjects[0].name",
        ),
        ({"kind": "RoleBinding", "metadata": ["b"]}, "metadata"),
    ],
)
def test_malformed_objects(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        Authorizer.from_objects([obj])
