"""Which networks a workload is on: its primary network and secondary attachments.

OVN-Kubernetes gives a namespace labelled `k8s.ovn.org/primary-user-defined-network` the
primary network of the UserDefinedNetwork in it (or of the ClusterUserDefinedNetwork whose
namespaceSelector selects it); pods there are isolated from every other primary network.
Multus attaches pods to NetworkAttachmentDefinitions named in their
`k8s.v1.cni.cncf.io/networks` annotation (VirtualMachines: `multus.networkName`); there,
MultiNetworkPolicies with `k8s.v1.cni.cncf.io/policy-for` naming the network decide.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from tenlayer.errors import BadInput
from tenlayer.kube.containers import sequence
from tenlayer.kube.objects import KubeObject
from tenlayer.kube.workloads import DEFAULT_NAMESPACE
from tenlayer.netpol.selectors import parse_selector

PRIMARY_UDN_LABEL = "k8s.ovn.org/primary-user-defined-network"
NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"
POLICY_FOR_ANNOTATION = "k8s.v1.cni.cncf.io/policy-for"
NETWORK_KINDS = frozenset({"UserDefinedNetwork", "ClusterUserDefinedNetwork",
                           "NetworkAttachmentDefinition"})


@dataclass(frozen=True, slots=True, order=True)
class Network:
    order: int
    """0 pod network, 1 UDN, 2 CUDN, 3 NAD: the order of the output's sections."""
    kind: str
    name: str

    @property
    def label(self) -> str:
        """As the workload-to-networks mapping names it: `pod-network`, `blue[UDN]`."""
        return "pod-network" if self.order == 0 else f"{self.name}[{self.kind}]"

    @property
    def section(self) -> str:
        if self.order == 0:
            return "Pod network"
        role = "secondary" if self.kind == "NAD" else "primary"
        return f"{role} {self.kind} {self.name}"


POD_NETWORK = Network(0, "pod-network", "")


TOPOLOGIES = {"Layer2": "layer2", "Layer3": "layer3"}
ROLES = ("Primary", "Secondary")


def _role(spec: Mapping[str, Any], place: str) -> str | None:
    """The role of a (C)UDN's network, after the checks OVN-Kubernetes makes."""
    topology = spec.get("topology")
    if topology is None:
        return None
    if topology not in TOPOLOGIES:
        raise BadInput(f"{place}: invalid value {topology!r} for key topology "
                       f"(one of {', '.join(TOPOLOGIES)})")
    layer = spec.get(TOPOLOGIES[topology])
    if not isinstance(layer, dict):
        raise BadInput(f"{place}: topology is {topology} but there is no "
                       f"{TOPOLOGIES[topology]} configuration")
    role = layer.get("role")
    if role not in ROLES:
        raise BadInput(f"{place}: invalid value {role!r} for key role (one of "
                       f"{', '.join(ROLES)})")
    return str(role)


def primary_networks(objects: Sequence[KubeObject],
                     namespaces: Mapping[str, Mapping[str, str]]) -> dict[str, Network]:
    """Namespace -> its primary user-defined network (absent: the pod network)."""
    result: dict[str, Network] = {}
    owners: dict[str, str] = {}
    wanting = {name for name, labels in namespaces.items() if PRIMARY_UDN_LABEL in labels}

    def assign(namespace: str, network: Network, owner: str, place: str) -> None:
        if namespace in result:
            raise BadInput(f"{place}: namespace {namespace} can have one primary user-defined "
                           f"network, and has {owners[namespace]} and {owner}")
        result[namespace], owners[namespace] = network, owner

    for obj in objects:
        spec = obj.body.get("spec")
        if not isinstance(spec, dict):
            continue
        if obj.kind == "UserDefinedNetwork":
            namespace = obj.namespace or DEFAULT_NAMESPACE
            place = f"{obj.source}: UserDefinedNetwork {namespace}/{obj.name}"
            if obj.name == "default":
                raise BadInput(f"{place}: a UserDefinedNetwork cannot be named 'default'")
            if namespace == "default" or namespace.startswith("openshift"):
                raise BadInput(f"{place}: a UserDefinedNetwork cannot be in namespace "
                               f"{namespace}")
            if _role(spec, place) == "Primary" and namespace in wanting:
                assign(namespace, Network(1, "UDN", namespace), f"{namespace}/{obj.name}",
                       place)
        elif obj.kind == "ClusterUserDefinedNetwork":
            place = f"{obj.source}: ClusterUserDefinedNetwork {obj.name}"
            network = spec.get("network")
            if not isinstance(network, dict) or _role(network, place) != "Primary":
                continue
            selector = parse_selector(spec.get("namespaceSelector") or {},
                                      f"{place}: spec.namespaceSelector")
            for name in sorted(wanting):
                if selector.matches(namespaces[name]):
                    assign(name, Network(2, "CUDN", obj.name), obj.name, place)
    return result


def uses_networks(objects: Sequence[KubeObject]) -> bool:
    return any(obj.kind in NETWORK_KINDS for obj in objects)


def _network_name(text: str) -> str:
    return text.strip().rpartition("/")[2].partition("@")[0]


Addresses = tuple[tuple[str, int], ...]
"""(secondary network name, IPv4 address as a number) pairs."""


def attachments(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[
        tuple[str, ...], Addresses]:
    """Secondary networks a pod template (or VirtualMachine template) names, and the static
    addresses it has on them (the annotation's `ips`; a VirtualMachine's cloud-init
    networkData, which counts for each of its secondary networks)."""
    names: list[str] = []
    addresses: list[tuple[str, int]] = []
    annotations = metadata.get("annotations")
    value = annotations.get(NETWORKS_ANNOTATION) if isinstance(annotations, dict) else None
    if isinstance(value, str) and value.strip():
        if value.strip().startswith("["):
            try:
                items = json.loads(value)
            except ValueError:
                items = []
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    name = _network_name(str(item.get("name", "")))
                    names.append(name)
                    addresses.extend((name, a) for a in _ipv4s(item.get("ips")))
        else:
            names.extend(_network_name(part) for part in value.split(","))
    for network in sequence(spec.get("networks")):
        multus = network.get("multus") if isinstance(network, dict) else None
        if isinstance(multus, dict) and not multus.get("default") and multus.get("networkName"):
            names.append(_network_name(str(multus["networkName"])))
    unique = tuple(dict.fromkeys(n for n in names if n))
    vm_addresses = _cloud_init_addresses(spec)
    addresses.extend((name, a) for name in unique for a in vm_addresses)
    return unique, tuple(dict.fromkeys(addresses))


def _ipv4s(values: Any) -> list[int]:
    result = []
    for value in values if isinstance(values, list) else []:
        try:
            interface = ipaddress.ip_interface(str(value))
        except ValueError:
            continue
        if isinstance(interface, ipaddress.IPv4Interface):
            result.append(int(interface.ip))
    return result


def _cloud_init_addresses(spec: Mapping[str, Any]) -> list[int]:
    result: list[int] = []
    for volume in sequence(spec.get("volumes")):
        cloud_init = volume.get("cloudInitNoCloud") if isinstance(volume, dict) else None
        data = cloud_init.get("networkData") if isinstance(cloud_init, dict) else None
        if not isinstance(data, str):
            continue
        try:
            parsed = yaml.safe_load(data[:65536])
        except yaml.YAMLError:
            continue
        ethernets = parsed.get("ethernets") if isinstance(parsed, dict) else None
        for interface in ethernets.values() if isinstance(ethernets, dict) else ():
            if isinstance(interface, dict):
                result.extend(_ipv4s(interface.get("addresses")))
    return result


def policy_networks(obj: KubeObject) -> tuple[str, ...]:
    """The networks a MultiNetworkPolicy is for."""
    metadata = obj.body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(POLICY_FOR_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(value, str):
        return ()
    return tuple(_network_name(part) for part in value.split(",") if part.strip())
