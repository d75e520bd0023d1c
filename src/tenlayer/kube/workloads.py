"""The pod template of every workload kind, and where it sits in its object.

Pod Security admission and SCC admission judge pods; a Deployment is judged by the pods its
template makes. `PodTemplate.object_path` turns a path in the pod (`spec.containers[0]…`)
back into a path in the object the user wrote (`spec.template.spec.containers[0]…`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenlayer.kube.objects import KubeObject
from tenlayer.kube.paths import join
from tenlayer.kube.values import type_name

_APPS = frozenset({"apps", "extensions"})
_TEMPLATE_PATHS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "Pod": (frozenset({""}), ()),
    "PodTemplate": (frozenset({""}), ("template",)),
    "ReplicationController": (frozenset({""}), ("spec", "template")),
    "Deployment": (_APPS, ("spec", "template")),
    "ReplicaSet": (_APPS, ("spec", "template")),
    "DaemonSet": (_APPS, ("spec", "template")),
    "StatefulSet": (frozenset({"apps"}), ("spec", "template")),
    "Job": (frozenset({"batch"}), ("spec", "template")),
    "CronJob": (frozenset({"batch"}), ("spec", "jobTemplate", "spec", "template")),
    "DeploymentConfig": (frozenset({"apps.openshift.io", ""}), ("spec", "template")),
}
"""kind -> (API groups that define it, path of its pod template). Old groups count (the
extensions/v1beta1 Deployments many example repositories still hold)."""

WORKLOAD_KINDS = frozenset(_TEMPLATE_PATHS)
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True, slots=True)
class PodTemplate:
    owner: KubeObject
    namespace: str
    """The namespace the pods run in: the object's, else the default the caller chose."""
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]
    prefix: str
    """The template's path in the object: "" for a Pod, `spec.template` for a Deployment."""
    namespace_given: bool = True
    """False when neither the object nor the caller chose the namespace (kubectl's default)."""

    @property
    def subject(self) -> str:
        return self.owner.subject(self.namespace)

    def object_path(self, pod_path: str) -> str:
        return join(self.prefix, pod_path)

    def line_of(self, pod_path: str) -> int:
        return self.owner.line_of(self.object_path(pod_path))

    def as_pod(self) -> dict[str, Any]:
        """The pod the template makes, as a Pod object (for SCC admission)."""
        metadata = dict(self.metadata)
        metadata.setdefault("name", self.owner.name)
        if self.namespace_given:
            metadata["namespace"] = self.namespace
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": self.spec}


def pod_template(obj: KubeObject, default_namespace: str | None) -> PodTemplate | None:
    """The object's pod template, or None for kinds without one (and for a workload whose
    template is missing or not a mapping, which the API server would refuse anyway).
    `default_namespace` is where objects without one go; None: `default`, implicitly."""
    entry = _TEMPLATE_PATHS.get(obj.kind)
    if entry is None or obj.group not in entry[0]:
        return None
    steps = entry[1]
    node: Any = obj.body
    for step in steps:
        node = node.get(step) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return None
    spec = node.get("spec")
    if not isinstance(spec, dict):
        return None
    metadata = node.get("metadata")
    return PodTemplate(
        owner=obj,
        namespace=obj.namespace or default_namespace or DEFAULT_NAMESPACE,
        metadata=metadata if isinstance(metadata, dict) else {},
        spec=spec,
        prefix=".".join(steps),
        namespace_given=bool(obj.namespace or default_namespace),
    )


def template_problem(obj: KubeObject) -> tuple[str, str] | None:
    """For a workload whose pod template is missing or not an object: (path, problem)."""
    entry = _TEMPLATE_PATHS.get(obj.kind)
    if entry is None or obj.group not in entry[0]:
        return None
    node: Any = obj.body
    path: list[str] = []
    for step in (*entry[1], "spec"):
        if not isinstance(node, dict) or step not in node:
            where = ".".join(path)
            return where, f"{obj.kind} has no {'.'.join((*path, step))}"
        node = node[step]
        path.append(step)
        if not isinstance(node, dict):
            return ".".join(path), f"{'.'.join(path)} is {type_name(node)}, not an object"
    return None


def pod_templates(
    objects: Sequence[KubeObject], default_namespace: str | None
) -> Iterator[PodTemplate]:
    for obj in objects:
        template = pod_template(obj, default_namespace)
        if template is not None:
            yield template
