"""AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1).

Order of evaluation, as the API defines it and netpol-analyzer implements it: the
AdminNetworkPolicies that select a pod, lowest `priority` first, each rule in order; the
first rule that matches a connection decides it (Allow, Deny, or Pass: hand it to the
NetworkPolicies). What no AdminNetworkPolicy decided goes to the NetworkPolicies when any
selects the pod in that direction, else to the BaselineAdminNetworkPolicy (Allow, Deny),
else it is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject
from tenlayer.netpol.endpoints import Endpoint, ExternalRange, PodClass
from tenlayer.netpol.ipranges import IPSet, cidr_set, parse_cidr
from tenlayer.netpol.networkpolicy import as_list, check_port_number, parse_protocol
from tenlayer.netpol.ports import NONE, ConnectionSet, normalize, union_of
from tenlayer.netpol.resources import where
from tenlayer.netpol.selectors import EVERYTHING, Selector, parse_selector

MAX_PRIORITY = 1000
ALLOW, DENY, PASS = "Allow", "Deny", "Pass"


@dataclass(frozen=True, slots=True)
class PodsSelector:
    """`namespaces: {…}` (pods: None) or `pods: {namespaceSelector, podSelector}`."""

    namespaces: Selector
    pods: Selector | None = None

    def matches(self, pod: PodClass) -> bool:
        return self.namespaces.matches(pod.namespace_label_map) and (
            self.pods is None or self.pods.matches(pod.label_map))


@dataclass(frozen=True, slots=True)
class AdminPort:
    protocol: str
    start: int
    end: int
    name: str | None = None

    def connections(self, dst: Endpoint, place: str, warnings: set[str]) -> ConnectionSet:
        if self.name is None:
            return ConnectionSet.of(self.protocol, [(self.start, self.end)])
        if isinstance(dst, ExternalRange):
            warnings.add(f"{place}: named port {self.name!r} is ignored for IP-based peers")
            return NONE
        port = dst.named_port(self.name, None)
        if port is None:
            warnings.add(f"{place}: named port {self.name!r} matches no container port")
            return NONE
        return ConnectionSet.of(port.protocol, [(port.port, port.port)])


@dataclass(frozen=True, slots=True)
class AdminRule:
    action: str
    peers: tuple[PodsSelector, ...]
    networks: IPSet | None
    ports: tuple[AdminPort, ...] | None
    """None: all ports."""
    nodes: bool = False
    """The rule names `nodes` peers, which are not modelled (they match nothing here)."""
    ipv6: bool = False
    """The rule names IPv6 networks, which are not analysed (IPv4 only)."""

    def matches(self, peer: Endpoint) -> bool:
        if isinstance(peer, ExternalRange):
            return self.networks is not None and self.networks.contains(peer.interval)
        return any(p.matches(peer) for p in self.peers)

    def connections(self, dst: Endpoint, place: str, warnings: set[str]) -> ConnectionSet:
        if self.ports is None:
            return ConnectionSet.all()
        return union_of(port.connections(dst, place, warnings) for port in self.ports)


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """An AdminNetworkPolicy (priority set) or the BaselineAdminNetworkPolicy (None)."""

    name: str
    source: str
    kind: str
    priority: int | None
    subject: PodsSelector
    ingress: tuple[AdminRule, ...]
    egress: tuple[AdminRule, ...]

    @property
    def where(self) -> str:
        return f"{self.source}: {self.kind} {self.name}"

    def warnings(self) -> list[str]:
        notes = []
        for index, rule in enumerate(self.egress):
            if rule.nodes:
                notes.append(f"{self.where}: spec.egress[{index}]: `nodes` peers are not "
                             "supported and match nothing")
            if rule.ipv6:
                notes.append(f"{self.where}: spec.egress[{index}]: IPv6 networks are not "
                             "analysed (IPv4 only): they match nothing here")
        return notes

    def networks(self) -> list[IPSet]:
        return [r.networks for r in self.egress if r.networks is not None]


@dataclass(slots=True)
class Verdict:
    """Connections decided so far in one direction."""

    allowed: ConnectionSet = NONE
    denied: ConnectionSet = NONE
    passed: ConnectionSet = NONE

    def decided(self) -> ConnectionSet:
        return self.allowed.union(self.denied).union(self.passed)

    def apply(self, rules: tuple[AdminRule, ...], peer: Endpoint, dst: Endpoint, place: str,
              warnings: set[str]) -> None:
        for rule in rules:
            if not rule.matches(peer):
                continue
            fresh = rule.connections(dst, place, warnings).subtract(self.decided())
            if rule.action == ALLOW:
                self.allowed = self.allowed.union(fresh)
            elif rule.action == DENY:
                self.denied = self.denied.union(fresh)
            else:
                self.passed = self.passed.union(fresh)


def parse_admin_policy(obj: KubeObject, baseline: bool) -> AdminPolicy:
    place = where(obj)
    spec = obj.body.get("spec")
    if not isinstance(spec, dict):
        raise BadInput(f"{place}: spec must be an object")
    priority: int | None = None
    if baseline:
        if obj.name != "default":
            raise BadInput(f"{place}: a BaselineAdminNetworkPolicy must be named 'default'")
    else:
        value = spec.get("priority")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRIORITY:
            raise BadInput(f"{place}: invalid priority {value!r}: must be a number in "
                           f"0-{MAX_PRIORITY}")
        priority = value
    subject = _subject(spec.get("subject"), f"{place}: spec.subject")
    actions = (ALLOW, DENY) if baseline else (ALLOW, DENY, PASS)
    ingress = tuple(_rule(r, "from", actions, f"{place}: spec.ingress[{i}]")
                    for i, r in enumerate(as_list(spec.get("ingress"), f"{place}: spec.ingress")))
    egress = tuple(_rule(r, "to", actions, f"{place}: spec.egress[{i}]")
                   for i, r in enumerate(as_list(spec.get("egress"), f"{place}: spec.egress")))
    return AdminPolicy(obj.name, obj.source, obj.kind, priority, subject, ingress, egress)


def _one_field(node: Any, allowed: tuple[str, ...], place: str, what: str) -> tuple[str, Any]:
    if not isinstance(node, dict):
        raise BadInput(f"{place}: {what} must be an object with exactly one of "
                       f"{', '.join(allowed)}")
    present = [k for k in allowed if node.get(k) is not None]
    if len(present) != 1:
        raise BadInput(f"{place}: exactly one field must be set in {what} "
                       f"(one of {', '.join(allowed)})")
    return present[0], node[present[0]]


def _subject(node: Any, place: str) -> PodsSelector:
    field, value = _one_field(node, ("namespaces", "pods"), place, "the subject")
    return _pods_selector(field, value, f"{place}.{field}")


def _pods_selector(field: str, value: Any, place: str) -> PodsSelector:
    if field == "namespaces":
        return PodsSelector(parse_selector(value, place))
    if not isinstance(value, dict):
        raise BadInput(f"{place} must be an object")
    return PodsSelector(
        parse_selector(value.get("namespaceSelector"), f"{place}.namespaceSelector")
        if value.get("namespaceSelector") is not None else EVERYTHING,
        parse_selector(value.get("podSelector") or {}, f"{place}.podSelector"),
    )


def _rule(node: Any, peers_key: str, actions: tuple[str, ...], place: str) -> AdminRule:
    if not isinstance(node, dict):
        raise BadInput(f"{place} must be an object")
    action = node.get("action")
    if action not in actions:
        raise BadInput(f"{place}: unknown rule action {action!r} (one of {', '.join(actions)})")
    peers = node.get(peers_key)
    if not isinstance(peers, list) or not peers:
        direction = "ingress" if peers_key == "from" else "egress"
        raise BadInput(f"{place}: an {direction} rule needs at least one peer in "
                       f"'{peers_key}'")
    kinds = ("namespaces", "pods") if peers_key == "from" else (
        "namespaces", "pods", "networks", "nodes")
    selectors: list[PodsSelector] = []
    networks: list[IPSet] = []
    has_nodes = has_ipv6 = False
    for index, peer in enumerate(peers):
        peer_place = f"{place}.{peers_key}[{index}]"
        field, value = _one_field(peer, kinds, peer_place, "a rule peer")
        if field == "networks":
            texts = as_list(value, peer_place)
            networks.append(cidr_set(texts, f"{peer_place}.networks"))
            has_ipv6 = has_ipv6 or any(
                parse_cidr(t, f"{peer_place}.networks").version == 6 for t in texts)
        elif field == "nodes":
            has_nodes = True
        else:
            selectors.append(_pods_selector(field, value, f"{peer_place}.{field}"))
    ip_set = IPSet(normalize(i for n in networks for i in n.intervals)) if networks else None
    ports = node.get("ports")
    parsed = None if ports is None else tuple(
        _port(p, f"{place}.ports[{i}]") for i, p in enumerate(as_list(ports, f"{place}.ports")))
    return AdminRule(str(action), tuple(selectors), ip_set, parsed, has_nodes, has_ipv6)


def _port(node: Any, place: str) -> AdminPort:
    field, value = _one_field(node, ("portNumber", "namedPort", "portRange"), place,
                              "an AdminNetworkPolicy port")
    if field == "namedPort":
        if not isinstance(value, str) or not value:
            raise BadInput(f"{place}.namedPort must be a port name")
        return AdminPort("TCP", 0, 0, value)
    if not isinstance(value, dict):
        raise BadInput(f"{place}.{field} must be an object")
    protocol = parse_protocol(value.get("protocol"), f"{place}.{field}")
    if field == "portNumber":
        number = check_port_number(value.get("port"), f"{place}.portNumber")
        return AdminPort(protocol, number, number)
    start = check_port_number(value.get("start"), f"{place}.portRange")
    end = check_port_number(value.get("end"), f"{place}.portRange")
    if end < start:
        raise BadInput(f"{place}.portRange: illegal port range {start}-{end} (end below start)")
    return AdminPort(protocol, start, end)


def sort_admin_policies(policies: list[AdminPolicy]) -> list[AdminPolicy]:
    """By priority; two with one priority or one name are refused (their order is undefined)."""
    seen: dict[int, AdminPolicy] = {}
    names: set[str] = set()
    for policy in policies:
        if policy.name in names:
            raise BadInput(f"{policy.where}: two AdminNetworkPolicies named {policy.name!r}")
        names.add(policy.name)
        assert policy.priority is not None
        if policy.priority in seen:
            raise BadInput(f"{policy.where}: same priority {policy.priority} as "
                           f"AdminNetworkPolicy {seen[policy.priority].name}: their order "
                           "would be undefined")
        seen[policy.priority] = policy
    return sorted(policies, key=lambda p: p.priority or 0)
