"""Small manifests for SCC tests: SCCs, pods, namespaces and RBAC objects as plain dicts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

SHIPPED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "openshift-scc"

UID_RANGE = "1000680000/10000"
MCS = "s0:c26,c5"


def shipped_dir() -> Path:
    if not SHIPPED.is_dir():
        pytest.skip(f"OpenShift's default SCCs are not present at {SHIPPED}")
    return SHIPPED


def scc(name: str, **fields: Any) -> dict[str, Any]:
    """An SCC as restrictive as restricted-v2 (explicit fields override)."""
    obj: dict[str, Any] = {
        "apiVersion": "security.openshift.io/v1",
        "kind": "SecurityContextConstraints",
        "metadata": {"name": name},
        "priority": None,
        "allowPrivilegedContainer": False,
        "allowHostDirVolumePlugin": False,
        "allowHostIPC": False,
        "allowHostNetwork": False,
        "allowHostPID": False,
        "allowHostPorts": False,
        "allowPrivilegeEscalation": False,
        "allowedCapabilities": ["NET_BIND_SERVICE"],
        "defaultAddCapabilities": None,
        "requiredDropCapabilities": ["ALL"],
        "readOnlyRootFilesystem": False,
        "runAsUser": {"type": "MustRunAsRange"},
        "seLinuxContext": {"type": "MustRunAs"},
        "fsGroup": {"type": "MustRunAs"},
        "supplementalGroups": {"type": "RunAsAny"},
        "seccompProfiles": ["runtime/default"],
        "users": [],
        "groups": ["system:authenticated"],
        "volumes": ["configMap", "downwardAPI", "emptyDir", "projected", "secret"],
    }
    obj.update(fields)
    return obj


def permissive(name: str, **fields: Any) -> dict[str, Any]:
    """An SCC that allows everything (like privileged)."""
    base = scc(
        name,
        allowPrivilegedContainer=True,
        allowHostDirVolumePlugin=True,
        allowHostIPC=True,
        allowHostNetwork=True,
        allowHostPID=True,
        allowHostPorts=True,
        allowPrivilegeEscalation=True,
        allowedCapabilities=["*"],
        requiredDropCapabilities=None,
        runAsUser={"type": "RunAsAny"},
        seLinuxContext={"type": "RunAsAny"},
        fsGroup={"type": "RunAsAny"},
        seccompProfiles=["*"],
        allowedUnsafeSysctls=["*"],
        volumes=["*"],
    )
    base.update(fields)
    return base


def pod(
    *containers: dict[str, Any],
    namespace: str = "team",
    name: str = "web",
    **spec: Any,
) -> dict[str, Any]:
    """A Pod; containers default to one plain `app` container."""
    items = list(containers) or [{"name": "app", "image": "registry.example/app:1"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": items, **spec},
    }


def container(name: str = "app", **security_context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": "registry.example/app:1"}
    if security_context:
        out["securityContext"] = security_context
    return out


def namespace(
    name: str = "team", uid_range: str | None = UID_RANGE, mcs: str | None = MCS, **extra: str
) -> dict[str, Any]:
    annotations = dict(extra)
    if uid_range is not None:
        annotations["openshift.io/sa.scc.uid-range"] = uid_range
    if mcs is not None:
        annotations["openshift.io/sa.scc.mcs"] = mcs
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "annotations": annotations},
    }


def cluster_role_binding(name: str, role: str, *subjects: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


def role_binding(
    name: str, ns: str, role: str, *subjects: dict[str, str], role_kind: str = "ClusterRole"
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": list(subjects),
    }


def cluster_role(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": list(rules),
    }


def use_scc_rule(*names: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "apiGroups": ["security.openshift.io"],
        "resources": ["securitycontextconstraints"],
        "verbs": ["use"],
    }
    if names:
        rule["resourceNames"] = list(names)
    return rule


def user(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def group(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def service_account(name: str, ns: str | None = None) -> dict[str, str]:
    out = {"kind": "ServiceAccount", "name": name}
    if ns is not None:
        out["namespace"] = ns
    return out


def deep(obj: Any) -> Any:
    return copy.deepcopy(obj)
