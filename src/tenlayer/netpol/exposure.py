"""Exposure analysis, as netpol-analyzer's `list --exposure` does it: to what a workload is
open beyond the workloads in the input.

A workload no NetworkPolicy selects in a direction is open to the entire cluster there. A
protected one is exposed through its policies' rules:
- a rule without peers, or with a peer selecting every namespace (`namespaceSelector: {}`
  with no or an empty podSelector), opens it to the `entire-cluster`;
- every other pod peer of a rule stands for pods that may exist, a *representative peer*
  (`[namespace with {team=a}]/[pod with {app=x}]`, `ns/[all pods]`), and the connections
  the workload's rules allow with it are listed unless the entire-cluster line already
  holds them. A rule matches a representative peer only when its selectors are the
  peer's own (or empty); a representative peer exactly matched (matchLabels only) by a
  workload in the input is left out: that workload is in the connection list already.
Connections with external addresses from the connection list are repeated under the
workload they reach or leave from.

AdminNetworkPolicies are not part of this analysis here (netpol-analyzer's handling of
them is not reproduced yet): an input with them is refused with --exposure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenlayer.errors import BadInput
from tenlayer.netpol.endpoints import PodClass
from tenlayer.netpol.networkpolicy import NetworkPolicy, PeerRule, Rule
from tenlayer.netpol.ports import ALL, NONE, PROTOCOLS, ConnectionSet
from tenlayer.netpol.resources import NAMESPACE_NAME_LABEL, Workload
from tenlayer.netpol.selectors import Requirement, Selector

if TYPE_CHECKING:
    from tenlayer.netpol.connectivity import Cluster

ENTIRE_CLUSTER = "entire-cluster"
EXTERNAL = "[External]"


@dataclass(frozen=True, slots=True)
class Exposure:
    """One exposure line: `workload => peer : conns` (egress) or `workload <= peer` (ingress)."""

    workload: str
    peer: str
    conns: str
    ingress: bool
    representative: Representative | None = None
    """The representative peer the line is about, if it is about one."""


@dataclass(frozen=True, slots=True)
class ExposureResult:
    egress: tuple[Exposure, ...]
    ingress: tuple[Exposure, ...]
    unprotected: tuple[str, ...]
    """`ns/name[Kind] is not protected on Ingress`, sorted."""
    width: int
    """The longest exposed workload's name: txt lines align on it."""


@dataclass(frozen=True, slots=True)
class Representative:
    """Pods a rule names that may exist: its namespace and pod selectors."""

    namespace: str
    """The policy's namespace when the rule had no namespaceSelector, else empty."""
    namespaces: Selector
    pods: Selector | None
    """None: any pod."""

    @property
    def text(self) -> str:
        """`ns/[pod with {app=x}]`, `[namespace with {team=a}]/[all pods]`, …"""
        namespace = self.namespace_label
        return (f"{namespace if self.named_namespace else f'[{namespace}]'}/"
                f"[{self.pod_label}]")

    @property
    def named_namespace(self) -> bool:
        """Whether the namespace selector names one namespace (then shown bare)."""
        requirements = self.namespaces.requirements
        return (len(requirements) == 1 and requirements[0].ordered is None
                and requirements[0].key == NAMESPACE_NAME_LABEL)

    @property
    def namespace_label(self) -> str:
        """`ns`, `all namespaces` or `namespace with {…}` (txt adds brackets to the last two)."""
        if self.named_namespace:
            return next(iter(self.namespaces.requirements[0].values))
        if self.namespaces.is_empty:
            return "all namespaces"
        return "namespace with {" + _selector_text(self.namespaces) + "}"

    @property
    def pod_label(self) -> str:
        if self.pods is None or self.pods.is_empty:
            return "all pods"
        return "pod with {" + _selector_text(self.pods) + "}"


@dataclass(frozen=True, slots=True)
class Ports:
    """Connections to a peer that may not exist: named ports stay names."""

    numbers: ConnectionSet = NONE
    names: frozenset[tuple[str, str]] = frozenset()
    """(protocol, port name)."""

    @property
    def is_empty(self) -> bool:
        return self.numbers.is_empty and not self.names

    def union(self, other: Ports) -> Ports:
        return Ports(self.numbers.union(other.numbers), self.names | other.names)

    def within(self, other: Ports) -> bool:
        if not self.numbers.subtract(other.numbers).is_empty:
            return False
        full = {protocol for protocol, ranges in other.numbers.ports if ranges == ((1, 65535),)}
        return all(name in other.names or name[0] in full for name in self.names)

    def text(self) -> str:
        if not self.names or self.numbers.is_all:
            return self.numbers.text()
        numbers = dict(self.numbers.ports)
        parts = []
        for protocol in PROTOCOLS:
            items = [str(a) if a == b else f"{a}-{b}" for a, b in numbers.get(protocol, ())]
            items.extend(sorted(n for p, n in self.names if p == protocol))
            if items:
                parts.append(f"{protocol} " + ",".join(items))
        return ",".join(parts)


def _canonical(selector: Selector) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Requirements as the API compares them: `In` with one value is `=`."""
    return tuple(sorted(
        (r.key, "=" if r.operator == "In" and len(r.values) == 1 else r.operator,
         tuple(sorted(r.values))) for r in selector.requirements))


def _full_match(rule: Selector, representative: Selector | None) -> bool:
    """A rule selector matches a representative peer's when it is empty or the same."""
    if rule.is_empty:
        return True
    return representative is not None and _canonical(rule) == _canonical(representative)


def _selector_text(selector: Selector) -> str:
    labels = sorted(f"{r.key}={next(iter(r.values))}" for r in selector.requirements
                    if r.ordered is None)
    expressions = sorted(
        "{Key:" + r.key + ",Operator:" + r.operator + ",Values:[" + " ".join(r.ordered)
        + "],}" for r in selector.requirements if r.ordered is not None)
    return ",".join(labels + expressions)


def _all_namespaces(peer: PeerRule) -> bool:
    return peer.ips is None and peer.namespaces is not None and peer.namespaces.is_empty and (
        peer.pods is None or peer.pods.is_empty)


def _cluster_wide(rule: Rule) -> bool:
    return not rule.peers or any(_all_namespaces(p) for p in rule.peers)


def representatives(policies: Iterable[NetworkPolicy]) -> list[Representative]:
    """One representative peer a distinct rule selector pair, in policy order."""
    found: dict[object, Representative] = {}
    for policy in policies:
        rules = [*(policy.ingress if policy.affects_ingress else ()),
                 *(policy.egress if policy.affects_egress else ())]
        for rule in rules:
            for peer in rule.peers:
                if peer.ips is not None:
                    continue
                if _all_namespaces(peer):
                    break  # the rule opens to the entire cluster: its other peers add nothing
                namespaces = peer.namespaces if peer.namespaces is not None else Selector(
                    (Requirement(NAMESPACE_NAME_LABEL, "In", frozenset({policy.namespace})),))
                key = (_canonical(namespaces),
                       _canonical(peer.pods) if peer.pods is not None else ())
                found.setdefault(key, Representative(
                    policy.namespace if peer.namespaces is None else "", namespaces, peer.pods))
    return list(found.values())


def _matched_by_labels(selector: Selector) -> bool:
    return not selector.is_empty and all(r.ordered is None for r in selector.requirements)


def _redundant(representative: Representative, workloads: Iterable[PodClass]) -> bool:
    """A representative peer with plain labels that a workload of the input has."""
    pods = representative.pods
    if pods is None or not _matched_by_labels(pods) or not _matched_by_labels(
            representative.namespaces):
        return False
    return any(pods.matches(p.label_map) and representative.namespaces.matches(
        p.namespace_label_map) for p in workloads)


def _rule_matches(rule: Rule, representative: Representative, policy: NetworkPolicy) -> bool:
    if not rule.peers:
        return True
    for peer in rule.peers:
        if peer.ips is not None:
            continue
        if peer.namespaces is None:
            if representative.namespace != policy.namespace:
                continue
        elif not _full_match(peer.namespaces, representative.namespaces):
            continue
        if peer.pods is None or _full_match(peer.pods, representative.pods):
            return True
    return False


def _ports(rule: Rule) -> Ports:
    """What a rule allows to a peer whose container ports are unknown."""
    if not rule.ports:
        return Ports(ALL)
    numbers, names = NONE, set()
    for port in rule.ports:
        if port.name is not None:
            names.add((port.protocol, port.name))
        else:
            numbers = numbers.union(ConnectionSet.of(
                port.protocol, [(port.start or 1, port.end or port.start or 65535)]))
    return Ports(numbers, frozenset(names))


@dataclass(slots=True)
class _Exposer:
    pod: PodClass
    warnings: set[str]

    def allowed(self, rule: Rule, policy: NetworkPolicy, ingress: bool) -> Ports:
        if ingress:  # into the workload: its named ports resolve
            return Ports(rule.connections(self.pod, policy.where, self.warnings))
        return _ports(rule)

    def wide(self, policies: list[NetworkPolicy], ingress: bool) -> Ports:
        result = Ports()
        for policy in policies:
            for rule in policy.ingress if ingress else policy.egress:
                if _cluster_wide(rule):
                    result = result.union(self.allowed(rule, policy, ingress))
        return result

    def towards(self, representative: Representative, policies: list[NetworkPolicy],
                ingress: bool) -> Ports:
        result = Ports()
        for policy in policies:
            for rule in policy.ingress if ingress else policy.egress:
                if _rule_matches(rule, representative, policy):
                    result = result.union(self.allowed(rule, policy, ingress))
        return result


def analyze_exposure(cluster: Cluster, workloads: list[tuple[Workload, PodClass, str]],
                     external_lines: Iterable[tuple[str, str, str]]) -> ExposureResult:
    """`workloads`: (workload, its class, its listed name) for those to report;
    `external_lines`: the (src, dst, conns) of the connection list."""
    if cluster.admin or cluster.baseline is not None:
        raise BadInput("--exposure: inputs with AdminNetworkPolicy or "
                       "BaselineAdminNetworkPolicy are not supported yet")
    all_pods = [cluster.pod_class(w) for w in cluster.workloads]
    peers = [r for r in representatives(cluster.policies) if not _redundant(r, all_pods)]
    lines: dict[bool, list[Exposure]] = {True: [], False: []}
    unprotected: list[str] = []
    exposed: set[str] = set()
    for _workload, pod, name in workloads:
        exposer = _Exposer(pod, cluster.warnings)
        selecting = cluster.selected_by(pod)
        for ingress in (True, False):
            policies = selecting[0 if ingress else 1]
            direction = "Ingress" if ingress else "Egress"
            if not policies:
                lines[ingress].append(Exposure(name, ENTIRE_CLUSTER, ALL.text(), ingress))
                unprotected.append(f"{name} is not protected on {direction}")
                exposed.add(name)
                continue
            wide = exposer.wide(policies, ingress)
            if not wide.is_empty:
                lines[ingress].append(Exposure(name, ENTIRE_CLUSTER, wide.text(), ingress))
                exposed.add(name)
            for representative in peers:
                conns = exposer.towards(representative, policies, ingress)
                if conns.is_empty or (not wide.is_empty and conns.within(wide)):
                    continue
                lines[ingress].append(Exposure(name, representative.text, conns.text(),
                                               ingress, representative))
                exposed.add(name)
    for src, dst, text in external_lines:
        if dst in exposed and src.endswith(EXTERNAL):
            lines[True].append(Exposure(dst, src, text, True))
        elif src in exposed and dst.endswith(EXTERNAL):
            lines[False].append(Exposure(src, dst, text, False))

    def ordered(items: list[Exposure]) -> tuple[Exposure, ...]:
        return tuple(sorted(items, key=lambda e: (e.workload, e.peer)))

    return ExposureResult(ordered(lines[False]), ordered(lines[True]),
                          tuple(sorted(unprotected)),
                          max((len(n) for n in exposed), default=0))
