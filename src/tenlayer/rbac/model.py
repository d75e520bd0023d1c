"""RBAC objects read from untrusted manifests: (Cluster)Roles, (Cluster)RoleBindings.

Parsing checks every field's type, so the authorizer never meets a surprise; a malformed
object raises `BadInput` naming the object and the field. Aggregated ClusterRoles
(`aggregationRule`) keep only the rules written in them: the controller that fills them in
on a live cluster is not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from tenlayer.errors import BadInput
from tenlayer.kube.values import type_name

ROLE_KINDS = frozenset({"Role", "ClusterRole"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
SUBJECT_KINDS = frozenset({"User", "Group", "ServiceAccount"})
DEFAULT_NAMESPACE = "default"
"""Namespace of a namespaced object whose manifest names none (as `kubectl apply` would)."""


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule of a role. Empty `resource_names` means every name."""

    verbs: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str]
    non_resource_urls: frozenset[str]

    def allows(self, verb: str, api_group: str, resource: str, name: str) -> bool:
        """Whether this rule allows a resource request (the Kubernetes RBAC rule match)."""
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.api_groups and api_group not in self.api_groups:
            return False
        if "*" not in self.resources and resource not in self.resources:
            sub = resource.partition("/")[2]
            if not sub or f"*/{sub}" not in self.resources:
                return False
        return not self.resource_names or name in self.resource_names


@dataclass(frozen=True, slots=True)
class Role:
    kind: str
    """Role or ClusterRole."""
    name: str
    namespace: str
    """"" for a ClusterRole."""
    rules: tuple[PolicyRule, ...]
    aggregated: bool = False
    """The ClusterRole has an aggregationRule (its rules may be incomplete here)."""

    @property
    def ref(self) -> str:
        return (
            f"{self.kind}/{self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind}/{self.name}")
        )


@dataclass(frozen=True, slots=True)
class BindingSubject:
    kind: str
    """User, Group or ServiceAccount."""
    name: str
    namespace: str = ""


@dataclass(frozen=True, slots=True)
class Binding:
    kind: str
    """RoleBinding or ClusterRoleBinding."""
    name: str
    namespace: str
    """"" for a ClusterRoleBinding."""
    role_kind: str
    role_name: str
    subjects: tuple[BindingSubject, ...]

    @property
    def ref(self) -> str:
        return (
            f"{self.kind}/{self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind}/{self.name}")
        )

    def subject_usernames(self) -> tuple[str, ...]:
        """User names this binding names directly (ServiceAccounts as their user names).

        A ServiceAccount subject without a namespace means the binding's own namespace; in a
        ClusterRoleBinding it matches nobody, as in Kubernetes.
        """
        names = []
        for subject in self.subjects:
            if subject.kind == "User":
                names.append(subject.name)
            elif subject.kind == "ServiceAccount":
                namespace = subject.namespace or self.namespace
                if namespace:
                    names.append(f"system:serviceaccount:{namespace}:{subject.name}")
        return tuple(names)

    def subject_groups(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subjects if s.kind == "Group")


class _Fields:
    """Type-checked reads from one object; failures name the object and the field."""

    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, path: str, message: str) -> NoReturn:
        raise BadInput(f"{self.what}: {path}: {message}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping, got {type_name(value)}")
        return value

    def string(self, value: Any, path: str, *, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            self.fail(path, f"expected a non-empty string, got {type_name(value)}")
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, f"expected a list of strings, got {type_name(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(f"{path}[{index}]", f"expected a string, got {type_name(item)}")
        return tuple(value)

    def mappings(self, value: Any, path: str) -> tuple[Mapping[str, Any], ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {type_name(value)}")
        return tuple(self.mapping(item, f"{path}[{i}]") for i, item in enumerate(value))


def _identify(obj: Mapping[str, Any], kind: str) -> tuple[_Fields, str, str]:
    """The reader for `obj`, its name and namespace ("" for cluster-scoped kinds)."""
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    label = name if isinstance(name, str) and name else "<unnamed>"
    fields = _Fields(f"{kind}/{label}")
    meta = fields.mapping(metadata, "metadata")
    name = fields.string(meta.get("name"), "metadata.name", required=True)
    namespace = ""
    if not kind.startswith("Cluster"):
        namespace = fields.string(meta.get("namespace"), "metadata.namespace") or (
            DEFAULT_NAMESPACE
        )
        fields.what = f"{kind}/{namespace}/{name}"
    return fields, name, namespace


def parse_role(obj: Mapping[str, Any]) -> Role:
    """A Role or ClusterRole; BadInput when a field has the wrong type."""
    kind = str(obj.get("kind"))
    fields, name, namespace = _identify(obj, kind)
    rules = []
    for index, rule in enumerate(fields.mappings(obj.get("rules"), "rules")):
        path = f"rules[{index}]"
        rules.append(
            PolicyRule(
                verbs=frozenset(fields.strings(rule.get("verbs"), f"{path}.verbs")),
                api_groups=frozenset(fields.strings(rule.get("apiGroups"), f"{path}.apiGroups")),
                resources=frozenset(fields.strings(rule.get("resources"), f"{path}.resources")),
                resource_names=frozenset(
                    fields.strings(rule.get("resourceNames"), f"{path}.resourceNames")
                ),
                non_resource_urls=frozenset(
                    fields.strings(rule.get("nonResourceURLs"), f"{path}.nonResourceURLs")
                ),
            )
        )
    aggregated = kind == "ClusterRole" and obj.get("aggregationRule") is not None
    return Role(kind, name, namespace, tuple(rules), aggregated)


def parse_binding(obj: Mapping[str, Any]) -> Binding:
    """A RoleBinding or ClusterRoleBinding; BadInput when a field is missing or mistyped."""
    kind = str(obj.get("kind"))
    fields, name, namespace = _identify(obj, kind)
    if obj.get("roleRef") is None:
        fields.fail("roleRef", "is required")
    role_ref = fields.mapping(obj.get("roleRef"), "roleRef")
    role_kind = fields.string(role_ref.get("kind"), "roleRef.kind", required=True)
    allowed = ("ClusterRole",) if kind == "ClusterRoleBinding" else ("Role", "ClusterRole")
    if role_kind not in allowed:
        fields.fail("roleRef.kind", f"must be {' or '.join(allowed)}, got {role_kind!r}")
    role_name = fields.string(role_ref.get("name"), "roleRef.name", required=True)
    subjects = []
    for index, subject in enumerate(fields.mappings(obj.get("subjects"), "subjects")):
        path = f"subjects[{index}]"
        subject_kind = fields.string(subject.get("kind"), f"{path}.kind", required=True)
        if subject_kind not in SUBJECT_KINDS:
            fields.fail(f"{path}.kind", f"unknown subject kind {subject_kind!r}")
        subjects.append(
            BindingSubject(
                subject_kind,
                fields.string(subject.get("name"), f"{path}.name", required=True),
                fields.string(subject.get("namespace"), f"{path}.namespace"),
            )
        )
    return Binding(kind, name, namespace, role_kind, role_name, tuple(subjects))
