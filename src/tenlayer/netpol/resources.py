"""The objects the engine reads, parsed from manifests into plain frozen records.

Workloads are what netpol-analyzer reports: a Pod without an owner is itself; a Pod with
`ownerReferences` is its controller (`ns/name[ReplicaSet]`); every other workload kind is
itself with its pod template's labels. Everything about a policy that the API server would
refuse raises BadInput naming the policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.containers import containers_of, sequence
from tenlayer.kube.objects import KubeObject
from tenlayer.kube.workloads import pod_template
from tenlayer.netpol.networks import Addresses, attachments
from tenlayer.netpol.selectors import string_labels

DEFAULT_NAMESPACE = "default"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
VIRTUAL_MACHINE = "VirtualMachine"
WORKLOAD_KINDS = frozenset({
    "Pod", "ReplicaSet", "ReplicationController", "Deployment", "StatefulSet", "DaemonSet",
    "Job", "CronJob", "DeploymentConfig",
})


@dataclass(frozen=True, slots=True)
class NamedPort:
    name: str
    protocol: str
    port: int


@dataclass(frozen=True, slots=True)
class Workload:
    namespace: str
    name: str
    kind: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[NamedPort, ...]
    variants: tuple[tuple[tuple[str, str], ...], ...] = ()
    """Other label sets of Pods with the same owner: policies must not tell them apart."""
    secondary: tuple[str, ...] = ()
    """Secondary networks (NetworkAttachmentDefinition names) the pods are attached to."""
    addresses: Addresses = ()
    """Static addresses on those networks, which MultiNetworkPolicy ipBlocks can match."""

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def named_port(self, name: str) -> NamedPort | None:
        for port in self.ports:
            if port.name == name:
                return port
        return None


def object_namespace(obj: KubeObject) -> str:
    return obj.namespace or DEFAULT_NAMESPACE


def where(obj: KubeObject) -> str:
    """How messages name an object: `file: Kind ns/name`."""
    namespace = f"{obj.namespace}/" if obj.namespace else ""
    return f"{obj.source}: {obj.kind} {namespace}{obj.name}"


def namespace_labels(objects: Iterable[KubeObject]) -> dict[str, dict[str, str]]:
    """Declared namespaces' labels, each with the name label the API server adds."""
    result: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj.kind != "Namespace" or obj.group != "":
            continue
        if obj.name in result:
            raise BadInput(f"{where(obj)}: namespace {obj.name!r} is defined twice")
        metadata = obj.body.get("metadata")
        labels = string_labels(metadata.get("labels") if isinstance(metadata, dict) else None)
        labels[NAMESPACE_NAME_LABEL] = obj.name
        result[obj.name] = labels
    return result


def default_namespace_labels(name: str) -> dict[str, str]:
    return {NAMESPACE_NAME_LABEL: name}


def workloads_of(objects: Iterable[KubeObject]) -> list[Workload]:
    """One Workload per workload object, and one per owner for owned Pods."""
    found: dict[tuple[str, str, str], Workload] = {}
    for obj in objects:
        found_template = _template(obj)
        if found_template is None:
            continue
        metadata, spec = found_template
        labels = tuple(sorted(string_labels(metadata.get("labels")).items()))
        key = workload_key(obj)
        first = found.get(key)
        if first is None:
            secondary, addresses = attachments(metadata, spec)
            found[key] = Workload(*key, labels, _named_ports(spec),
                                  secondary=secondary, addresses=addresses)
        elif labels != first.labels and labels not in first.variants:
            found[key] = replace(first, variants=(*first.variants, labels))
    return list(found.values())


def workload_key(obj: KubeObject) -> tuple[str, str, str]:
    """(namespace, name, kind) of the workload `obj` is: an owned Pod's is its controller's."""
    name, kind = obj.name, obj.kind
    if obj.kind == "Pod":
        owner = _controller(obj.body.get("metadata"))
        if owner is not None:
            kind, name = owner
    return object_namespace(obj), name, kind


def _template(obj: KubeObject) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(metadata, spec) of the pods a workload makes (of a VirtualMachine's template)."""
    if obj.kind == VIRTUAL_MACHINE and obj.group == "kubevirt.io":
        spec = obj.body.get("spec")
        template = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(template, dict):
            return None
        metadata, vm_spec = template.get("metadata"), template.get("spec")
        return (metadata if isinstance(metadata, dict) else {},
                vm_spec if isinstance(vm_spec, dict) else {})
    if obj.kind not in WORKLOAD_KINDS:
        return None
    template = pod_template(obj, None)
    return None if template is None else (template.metadata, template.spec)


def _controller(metadata: Any) -> tuple[str, str] | None:
    if not isinstance(metadata, dict):
        return None
    owners = metadata.get("ownerReferences")
    if not isinstance(owners, list):
        return None
    for owner in owners:
        if isinstance(owner, dict) and owner.get("name"):
            return str(owner.get("kind") or "Pod"), str(owner["name"])
    return None


def _named_ports(spec: Mapping[str, Any]) -> tuple[NamedPort, ...]:
    ports: list[NamedPort] = []
    for container in containers_of(spec, ("containers", "initContainers")):
        for port in sequence(container.body.get("ports")):
            if (isinstance(port, dict) and isinstance(port.get("name"), str)
                    and isinstance(port.get("containerPort"), int)):
                protocol = port.get("protocol") or "TCP"
                ports.append(NamedPort(port["name"], str(protocol), port["containerPort"]))
    return tuple(ports)
