"""A Kubernetes RBAC authorizer over roles and bindings read from manifests.

It answers what the API server's authorizer chain answers for resource requests: members of
`system:masters` may do anything (the privileged-group authorizer that precedes RBAC), then
ClusterRoleBindings grant their ClusterRole everywhere, and RoleBindings grant their Role or
ClusterRole inside the binding's namespace only. A binding whose role is absent grants
nothing. Each answer names the binding and role that granted it, for explanations.

Bindings are indexed by subject once, so a check only looks at the bindings that name the
user or one of its groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tenlayer.rbac.model import (
    BINDING_KINDS,
    ROLE_KINDS,
    Binding,
    Role,
    parse_binding,
    parse_role,
)

SUPERUSER_GROUP = "system:masters"


class Identity(Protocol):
    """Who asks: a user name and its groups (Requester and UserInfo both fit)."""

    @property
    def user(self) -> str: ...

    @property
    def groups(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class UserInfo:
    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Grant:
    """Why a request is allowed: the binding and the role it refers to."""

    binding: str
    """`ClusterRoleBinding/name`, `RoleBinding/namespace/name`, or "" for the superuser group."""
    role: str
    """`ClusterRole/name` or `Role/namespace/name`; "" for the superuser group."""

    def describe(self) -> str:
        if not self.binding:
            return f"group {SUPERUSER_GROUP} (superuser)"
        return f"{self.binding} -> {self.role}"


_SUPERUSER_GRANT = Grant("", "")


class Authorizer:
    """RBAC decisions for resource requests; build once, ask many times."""

    def __init__(self, roles: Iterable[Role], bindings: Iterable[Binding]) -> None:
        self.roles: dict[tuple[str, str, str], Role] = {
            (r.kind, r.namespace, r.name): r for r in roles
        }
        self.bindings: tuple[Binding, ...] = tuple(
            sorted(bindings, key=lambda b: (b.kind != "ClusterRoleBinding", b.namespace, b.name))
        )
        # (binding order, binding, role) by subject key, cluster-wide or per namespace
        self._cluster: dict[tuple[str, str], list[tuple[int, Binding, Role]]] = defaultdict(list)
        self._namespaced: dict[str, dict[tuple[str, str], list[tuple[int, Binding, Role]]]] = (
            defaultdict(lambda: defaultdict(list))
        )
        for order, binding in enumerate(self.bindings):
            role_namespace = binding.namespace if binding.role_kind == "Role" else ""
            role = self.roles.get((binding.role_kind, role_namespace, binding.role_name))
            if role is None:
                continue
            index = (
                self._cluster
                if binding.kind == "ClusterRoleBinding"
                else self._namespaced[binding.namespace]
            )
            entry = (order, binding, role)
            for user in binding.subject_usernames():
                index[("user", user)].append(entry)
            for group in binding.subject_groups():
                index[("group", group)].append(entry)

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]]) -> Authorizer:
        """From manifests of any kinds; only (Cluster)Roles and (Cluster)RoleBindings count."""
        roles: list[Role] = []
        bindings: list[Binding] = []
        for obj in objects:
            kind = obj.get("kind")
            if kind in ROLE_KINDS:
                roles.append(parse_role(obj))
            elif kind in BINDING_KINDS:
                bindings.append(parse_binding(obj))
        return cls(roles, bindings)

    def authorize(
        self,
        subject: Identity,
        verb: str,
        api_group: str,
        resource: str,
        name: str = "",
        namespace: str = "",
    ) -> Grant | None:
        """The grant allowing the request, or None. `resource` may be `resource/subresource`;
        `namespace` "" asks about a cluster-scoped request (only ClusterRoleBindings apply)."""
        if SUPERUSER_GROUP in subject.groups:
            return _SUPERUSER_GRANT
        keys = [("user", subject.user), *(("group", g) for g in subject.groups)]
        candidates = [entry for key in keys for entry in self._cluster.get(key, ())]
        if namespace:
            local = self._namespaced.get(namespace)
            if local:
                candidates.extend(entry for key in keys for entry in local.get(key, ()))
        for _, binding, role in sorted(candidates, key=lambda entry: entry[0]):
            if any(rule.allows(verb, api_group, resource, name) for rule in role.rules):
                return Grant(binding.ref, role.ref)
        return None

    def can(
        self,
        subject: Identity,
        verb: str,
        api_group: str,
        resource: str,
        name: str = "",
        namespace: str = "",
    ) -> bool:
        return self.authorize(subject, verb, api_group, resource, name, namespace) is not None
