"""Kubernetes NetworkPolicy (networking.k8s.io/v1): parsing, validation and evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject
from tenlayer.netpol.endpoints import Endpoint, ExternalRange, PodClass
from tenlayer.netpol.ipranges import IPSet, ip_block, parse_cidr
from tenlayer.netpol.ports import MAX_PORT, MIN_PORT, NONE, ConnectionSet, union_of
from tenlayer.netpol.resources import object_namespace
from tenlayer.netpol.selectors import Selector, parse_selector

PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True, slots=True)
class PortRule:
    """One `ports` entry: a protocol with all its ports, a range, or a named port."""

    protocol: str
    start: int | None = None
    end: int | None = None
    name: str | None = None

    def connections(self, dst: Endpoint, where: str, warnings: set[str]) -> ConnectionSet:
        if self.name is not None:
            if not isinstance(dst, PodClass):
                raise BadInput(f"{where}: named port error: cannot convert named port "
                               f"{self.name!r} for an IP-based peer")
            port = dst.named_port(self.name, self.protocol)
            if port is None:
                warnings.add(f"{where}: named port {self.name!r} matches no container port")
                return NONE
            return ConnectionSet.of(self.protocol, [(port.port, port.port)])
        if self.start is None:
            return ConnectionSet.of(self.protocol, [(MIN_PORT, MAX_PORT)])
        return ConnectionSet.of(self.protocol, [(self.start, self.end or self.start)])


@dataclass(frozen=True, slots=True)
class PeerRule:
    """One `from`/`to` entry: pods by selectors (namespace and/or pod), or an ipBlock."""

    pods: Selector | None = None
    namespaces: Selector | None = None
    ips: IPSet | None = None
    ipv6: bool = False
    """An IPv6 ipBlock: not analysed (addresses here are IPv4), so the engine warns."""

    def matches(self, peer: Endpoint, policy_namespace: str) -> bool:
        if isinstance(peer, ExternalRange):
            return self.ips is not None and self.ips.contains(peer.interval)
        if self.ips is not None:
            return any(self.ips.contains((a, a)) for a in peer.addresses)
        if self.namespaces is None:
            if peer.namespace != policy_namespace:
                return False
        elif not self.namespaces.matches(peer.namespace_label_map):
            return False
        return self.pods is None or self.pods.matches(peer.label_map)


@dataclass(frozen=True, slots=True)
class Rule:
    peers: tuple[PeerRule, ...]
    """Empty: every peer (pods of all namespaces and every address)."""
    ports: tuple[PortRule, ...]
    """Empty: every port of every protocol."""
    fixed: ConnectionSet | None = None
    """The connections when no port is named (the same for every destination)."""

    def matches(self, peer: Endpoint, policy_namespace: str) -> bool:
        return not self.peers or any(p.matches(peer, policy_namespace) for p in self.peers)

    def connections(self, dst: Endpoint, where: str, warnings: set[str]) -> ConnectionSet:
        if self.fixed is not None:
            return self.fixed
        if not self.ports:
            return ConnectionSet.all()
        return union_of(port.connections(dst, where, warnings) for port in self.ports)


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    source: str
    selector: Selector
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    affects_ingress: bool
    affects_egress: bool

    @property
    def where(self) -> str:
        return f"{self.source}: NetworkPolicy {self.namespace}/{self.name}"

    def warnings(self) -> list[str]:
        if any(p.ipv6 for r in (*self.ingress, *self.egress) for p in r.peers):
            return [f"{self.where}: IPv6 ipBlocks are not analysed (IPv4 only): they match "
                    "nothing here"]
        return []

    def selects(self, pod: PodClass) -> bool:
        return pod.namespace == self.namespace and self.selector.matches(pod.label_map)

    def allowed(self, peer: Endpoint, dst: Endpoint, *, ingress: bool,
                warnings: set[str]) -> ConnectionSet:
        """What this policy's ingress (or egress) rules allow between `peer` and the selected
        pod, `dst` being the destination of the traffic (for named ports)."""
        result = NONE
        for rule in self.ingress if ingress else self.egress:
            if rule.matches(peer, self.namespace):
                result = result.union(rule.connections(dst, self.where, warnings))
                if result.is_all:
                    break
        return result


def parse_network_policy(obj: KubeObject) -> NetworkPolicy:
    place = f"{obj.source}: NetworkPolicy {object_namespace(obj)}/{obj.name}"
    spec = obj.body.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise BadInput(f"{place}: spec must be an object")
    namespace = object_namespace(obj)
    selector = parse_selector(spec.get("podSelector") or {}, f"{place}: spec.podSelector")
    ingress = tuple(_rule(r, "from", f"{place}: spec.ingress[{i}]")
                    for i, r in enumerate(as_list(spec.get("ingress"), f"{place}: spec.ingress")))
    egress = tuple(_rule(r, "to", f"{place}: spec.egress[{i}]")
                   for i, r in enumerate(as_list(spec.get("egress"), f"{place}: spec.egress")))
    types = spec.get("policyTypes")
    if types is None:
        affects_ingress, affects_egress = True, bool(egress)
    else:
        types = as_list(types, f"{place}: spec.policyTypes")
        for kind in types:
            if kind not in ("Ingress", "Egress"):
                raise BadInput(f"{place}: spec.policyTypes: {kind!r} is neither Ingress nor Egress")
        affects_ingress, affects_egress = "Ingress" in types, "Egress" in types
    return NetworkPolicy(namespace, obj.name, obj.source, selector, ingress, egress,
                         affects_ingress, affects_egress)


def as_list(node: Any, place: str) -> list[Any]:
    """A list field (None: empty); anything else is refused, naming `place`."""
    if node is None:
        return []
    if not isinstance(node, list):
        raise BadInput(f"{place} must be a list")
    return node


def _rule(node: Any, peers_key: str, place: str) -> Rule:
    if node is None:
        node = {}
    if not isinstance(node, dict):
        raise BadInput(f"{place} must be an object")
    peers = tuple(_peer(p, f"{place}.{peers_key}[{i}]")
                  for i, p in enumerate(as_list(node.get(peers_key), f"{place}.{peers_key}")))
    ports = tuple(parse_port(p, f"{place}.ports[{i}]")
                  for i, p in enumerate(as_list(node.get("ports"), f"{place}.ports")))
    fixed = None
    if all(port.name is None for port in ports):
        fixed = Rule(peers, ports).connections(ExternalRange((0, 0)), place, set())
    return Rule(peers, ports, fixed)


def _peer(node: Any, place: str) -> PeerRule:
    if not isinstance(node, dict) or not any(
            node.get(k) is not None for k in ("podSelector", "namespaceSelector", "ipBlock")):
        raise BadInput(f"{place}: rule NetworkPolicyPeer error: empty peer (give podSelector, "
                       "namespaceSelector or ipBlock)")
    block = node.get("ipBlock")
    if block is not None:
        if node.get("podSelector") is not None or node.get("namespaceSelector") is not None:
            raise BadInput(f"{place}: rule NetworkPolicyPeer error: ipBlock cannot be combined "
                           "with podSelector or namespaceSelector")
        if not isinstance(block, dict) or "cidr" not in block:
            raise BadInput(f"{place}.ipBlock: CIDR error: ipBlock needs a cidr")
        ipv6 = parse_cidr(block["cidr"], f"{place}.ipBlock: CIDR error").version == 6
        return PeerRule(ips=ip_block(block["cidr"], as_list(block.get("except"),
                                                          f"{place}.ipBlock.except"),
                                     f"{place}.ipBlock: CIDR error"), ipv6=ipv6)
    pods = node.get("podSelector")
    namespaces = node.get("namespaceSelector")
    return PeerRule(
        pods=None if pods is None else parse_selector(pods, f"{place}.podSelector"),
        namespaces=None if namespaces is None else parse_selector(
            namespaces, f"{place}.namespaceSelector"),
    )


def parse_protocol(node: Any, place: str) -> str:
    protocol = "TCP" if node is None else node
    if protocol not in PROTOCOLS:
        raise BadInput(f"{place}: protocol {protocol!r} is not TCP, UDP or SCTP")
    return str(protocol)


def check_port_number(value: Any, place: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_PORT <= value <= MAX_PORT:
        raise BadInput(f"{place}: port {value!r} is not a number in {MIN_PORT}-{MAX_PORT}")
    return value


def parse_port(node: Any, place: str) -> PortRule:
    if not isinstance(node, dict):
        raise BadInput(f"{place} must be an object")
    protocol = parse_protocol(node.get("protocol"), place)
    port = node.get("port")
    end_port = node.get("endPort")
    if port is None:
        if end_port is not None:
            raise BadInput(f"{place}: endPort needs port")
        return PortRule(protocol)
    if isinstance(port, str):
        if end_port is not None:
            raise BadInput(f"{place}: endPort cannot be used with the named port {port!r}")
        if not port:
            raise BadInput(f"{place}: empty port name")
        return PortRule(protocol, name=port)
    start = check_port_number(port, place)
    if end_port is None:
        return PortRule(protocol, start, start)
    end = check_port_number(end_port, place)
    if end < start:
        raise BadInput(f"{place}: illegal port range {start}-{end} (endPort below port)")
    return PortRule(protocol, start, end)
