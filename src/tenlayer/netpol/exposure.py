"""Exposure analysis, as netpol-analyzer's `list --exposure` does it: to what a workload is
open beyond the workloads in the input.

A workload no policy selects in a direction (NetworkPolicy, or an AdminNetworkPolicy or the
BaselineAdminNetworkPolicy with rules in that direction) is open to the entire cluster there.
For a protected one, the policies are evaluated (AdminNetworkPolicies first, then
NetworkPolicies, then the baseline, as for the connection list) against peers that may exist:
- the `entire-cluster`, which only rules naming every namespace match (no peers,
  `namespaceSelector: {}` with no or an empty podSelector, `namespaces: {}`);
- a *representative peer* for every other pod peer of a rule (`[namespace with {team=a}]/
  [pod with {app=x}]`, `ns/[all pods]`), which a rule matches only when its selectors are
  the peer's own (or empty). One exactly matched (matchLabels only) by a workload of the
  input is left out: that workload is in the connection list already.
A representative peer's line is left out when its connections are the entire cluster's.
Connections with external addresses from the connection list are repeated under the
workload they reach or leave from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tenlayer.netpol.admin import ALLOW, DENY, AdminPolicy, AdminRule, PodsSelector
from tenlayer.netpol.connectivity import EXTERNAL
from tenlayer.netpol.endpoints import PodClass
from tenlayer.netpol.networkpolicy import NetworkPolicy, PeerRule, Rule
from tenlayer.netpol.ports import ALL, NONE, PROTOCOLS, ConnectionSet
from tenlayer.netpol.resources import NAMESPACE_NAME_LABEL, Workload
from tenlayer.netpol.selectors import EVERYTHING, Requirement, Selector

if TYPE_CHECKING:
    from tenlayer.netpol.connectivity import Cluster, Connection

ENTIRE_CLUSTER = "entire-cluster"


@dataclass(frozen=True, slots=True)
class Exposure:
    """One exposure line: `workload => peer : conns` (egress) or `workload <= peer` (ingress)."""

    workload: str
    peer: str
    conns: str
    ingress: bool
    representative: Representative | None = None
    """The representative peer the line is about, if it is about one."""
    ports: Ports | None = field(default=None, compare=False)
    """The connections, for --focus-conn (None on address lines, filtered already)."""


@dataclass(frozen=True, slots=True)
class ExposureResult:
    egress: tuple[Exposure, ...]
    ingress: tuple[Exposure, ...]
    unprotected: tuple[str, ...]
    """`ns/name[Kind] is not protected on Ingress`, sorted."""
    width: int
    """The longest exposed workload's name: txt lines align on it."""
    focus_conn: str | None = None
    """`TCP 8080` with --focus-conn: lines name pairs only."""

    @property
    def header(self) -> str:
        on = "" if self.focus_conn is None else f" On {self.focus_conn}"
        return f"Exposure Analysis Result{on}:"


@dataclass(frozen=True, slots=True)
class Representative:
    """Pods a rule names that may exist: its namespace and pod selectors."""

    namespace: str
    """The policy's namespace when the rule had no namespaceSelector, else empty."""
    namespaces: Selector
    pods: Selector | None
    """None: any pod."""
    entire: bool = False
    """The entire cluster: matched only by rules naming every namespace."""

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

    def _full(self) -> set[str]:
        """Protocols with every port: they hold any named port of theirs."""
        return {protocol for protocol, ranges in self.numbers.ports if ranges == ((1, 65535),)}

    def union(self, other: Ports) -> Ports:
        return Ports(self.numbers.union(other.numbers), self.names | other.names)

    def subtract(self, other: Ports) -> Ports:
        full = other._full()
        return Ports(self.numbers.subtract(other.numbers), frozenset(
            n for n in self.names if n not in other.names and n[0] not in full))

    def intersection(self, other: Ports) -> Ports:
        mine, theirs = self._full(), other._full()
        names = {n for n in self.names if n in other.names or n[0] in theirs}
        names.update(n for n in other.names if n[0] in mine)
        return Ports(self.numbers.intersection(other.numbers), frozenset(names))

    def text(self) -> str:
        """`TCP 80,http`; a named port of an AdminNetworkPolicy has no protocol
        (` local-port`, as netpol-analyzer writes it)."""
        if not self.names or self.numbers.is_all:
            return self.numbers.text()
        numbers = dict(self.numbers.ports)
        parts = []
        for protocol in ("", *PROTOCOLS):
            items = [str(a) if a == b else f"{a}-{b}" for a, b in numbers.get(protocol, ())]
            items.extend(sorted(n for p, n in self.names if p == protocol))
            if items:
                parts.append(f"{protocol} " + ",".join(items))
        return ",".join(parts)


EVERY_PORT = Ports(ALL)


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


def _all_pods(selector: PodsSelector) -> bool:
    return selector.namespaces.is_empty and (selector.pods is None or selector.pods.is_empty)


ENTIRE = Representative("", EVERYTHING, None, entire=True)


def representatives(policies: Iterable[NetworkPolicy],
                    admins: Iterable[AdminPolicy]) -> list[Representative]:
    """One representative peer a distinct rule selector pair, in policy order."""
    found: dict[object, Representative] = {}

    def add(namespace: str, namespaces: Selector, pods: Selector | None) -> None:
        key = (_canonical(namespaces), _canonical(pods) if pods is not None else ())
        found.setdefault(key, Representative(namespace, namespaces, pods))

    for policy in policies:
        rules = [*(policy.ingress if policy.affects_ingress else ()),
                 *(policy.egress if policy.affects_egress else ())]
        for rule in rules:
            for peer in rule.peers:
                if peer.ips is not None:
                    continue
                if _all_namespaces(peer):
                    break  # the rule opens to the entire cluster: its other peers add nothing
                if peer.namespaces is None:  # the policy's namespace
                    add(policy.namespace, Selector((Requirement(
                        NAMESPACE_NAME_LABEL, "In", frozenset({policy.namespace})),)), peer.pods)
                else:
                    add("", peer.namespaces, peer.pods)
    for admin in admins:
        for admin_rule in (*admin.ingress, *admin.egress):
            for selector in admin_rule.peers:
                if _all_pods(selector):
                    break
                add("", selector.namespaces, selector.pods)
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


def _rule_matches(rule: Rule, peer: Representative, policy: NetworkPolicy) -> bool:
    if not rule.peers:
        return True
    for entry in rule.peers:
        if entry.ips is not None:
            continue
        if peer.entire:
            if _all_namespaces(entry):
                return True
            continue
        if entry.namespaces is None:
            if peer.namespace != policy.namespace:
                continue
        elif not _full_match(entry.namespaces, peer.namespaces):
            continue
        if entry.pods is None or _full_match(entry.pods, peer.pods):
            return True
    return False


def _admin_rule_matches(rule: AdminRule, peer: Representative) -> bool:
    for selector in rule.peers:
        if peer.entire:
            if _all_pods(selector):
                return True
        elif _full_match(selector.namespaces, peer.namespaces) and (
                selector.pods is None or _full_match(selector.pods, peer.pods)):
            return True
    return False


@dataclass(slots=True)
class _Exposer:
    """One workload's policies, evaluated against peers that may exist."""

    cluster: Cluster
    pod: PodClass

    def _ports(self, ports: Iterable[tuple[str, int, int, str | None]] | None,
               ingress: bool, resolve: ConnectionSet) -> Ports:
        """Into the workload (ingress) named ports resolve on it (`resolve`); towards a
        peer that may exist they stay names."""
        if ports is None:
            return EVERY_PORT
        if ingress:
            return Ports(resolve)
        numbers, names = NONE, set()
        for protocol, start, end, name in ports:
            if name is None:
                numbers = numbers.union(ConnectionSet.of(protocol, [(start, end)]))
            else:
                names.add((protocol, name))
        return Ports(numbers, frozenset(names))

    def _rule_ports(self, rule: Rule, policy: NetworkPolicy, ingress: bool) -> Ports:
        if not rule.ports:
            return EVERY_PORT
        return self._ports(
            [(p.protocol, p.start or 1, p.end or p.start or 65535, p.name) for p in rule.ports],
            ingress, rule.connections(self.pod, policy.where, self.cluster.warnings)
            if ingress else NONE)

    def _admin_ports(self, rule: AdminRule, place: str, ingress: bool) -> Ports:
        if rule.ports is None:
            return EVERY_PORT
        # an AdminNetworkPolicy named port names no protocol
        return self._ports(
            [(p.protocol if p.name is None else "", p.start, p.end, p.name)
             for p in rule.ports], ingress,
            rule.connections(self.pod, place, self.cluster.warnings) if ingress else NONE)

    def _verdict(self, admin: AdminPolicy, peer: Representative, ingress: bool,
                 decided: tuple[Ports, Ports, Ports]) -> tuple[Ports, Ports, Ports]:
        allowed, denied, passed = decided
        for rule in admin.ingress if ingress else admin.egress:
            if not _admin_rule_matches(rule, peer):
                continue
            fresh = self._admin_ports(rule, admin.where, ingress).subtract(
                allowed.union(denied).union(passed))
            if rule.action == ALLOW:
                allowed = allowed.union(fresh)
            elif rule.action == DENY:
                denied = denied.union(fresh)
            else:
                passed = passed.union(fresh)
        return allowed, denied, passed

    def protected(self, ingress: bool) -> bool:
        cluster, pod = self.cluster, self.pod
        if cluster.selected_by(pod)[0 if ingress else 1]:
            return True
        baseline = [cluster.baseline] if cluster.baseline is not None else []
        return any(admin.subject.matches(pod) and (admin.ingress if ingress else admin.egress)
                   for admin in (*cluster.admin, *baseline))

    def allowed(self, peer: Representative, ingress: bool) -> Ports:
        """As Cluster._direction, with rules matching `peer` as they match one that may
        exist."""
        cluster, pod = self.cluster, self.pod
        policies = cluster.selected_by(pod)[0 if ingress else 1]
        admins = [a for a in cluster.admin if a.subject.matches(pod)]

        def by_policies() -> Ports:
            result = Ports()
            for policy in policies:
                for rule in policy.ingress if ingress else policy.egress:
                    if _rule_matches(rule, peer, policy):
                        result = result.union(self._rule_ports(rule, policy, ingress))
            return result

        if not admins and (policies or cluster.baseline is None):
            return by_policies() if policies else EVERY_PORT
        decided = (Ports(), Ports(), Ports())
        for admin in admins:
            decided = self._verdict(admin, peer, ingress, decided)
        allowed, denied, _passed = decided
        rest = EVERY_PORT.subtract(allowed.union(denied))
        if rest.is_empty:
            return allowed
        if policies:
            return allowed.union(by_policies().intersection(rest))
        baseline = cluster.baseline
        if baseline is not None and baseline.subject.matches(pod):
            _allowed, baseline_denied, _passed = self._verdict(
                baseline, peer, ingress, (Ports(), Ports(), Ports()))
            rest = rest.subtract(baseline_denied)
        return allowed.union(rest)


def _exposures(exposer: _Exposer, peers: list[Representative],
               focus_conn: tuple[str, int] | None) -> tuple[list[Exposure], list[bool]]:
    """A workload class's lines (named ``), and whether it is open on ingress, egress."""
    focus = None if focus_conn is None else ConnectionSet.of(
        focus_conn[0], [(focus_conn[1], focus_conn[1])])
    open_in: list[bool] = []
    items = _all_exposures(exposer, peers, open_in)
    if focus is not None:
        items = [item for item in items if item.ports is not None
                 and not item.ports.numbers.intersection(focus).is_empty]
    return items, open_in


def _all_exposures(exposer: _Exposer, peers: list[Representative],
                   open_in: list[bool]) -> list[Exposure]:
    items: list[Exposure] = []
    for ingress in (True, False):
        if not exposer.protected(ingress):
            items.append(Exposure("", ENTIRE_CLUSTER, ALL.text(), ingress, ports=EVERY_PORT))
            open_in.append(True)
            continue
        open_in.append(False)
        wide = exposer.allowed(ENTIRE, ingress)
        if not wide.is_empty:
            items.append(Exposure("", ENTIRE_CLUSTER, wide.text(), ingress, ports=wide))
        for representative in peers:
            conns = exposer.allowed(representative, ingress)
            # only what differs from the entire cluster's: more (a rule naming these
            # pods), or less (an AdminNetworkPolicy denying them: `No Connections`)
            if conns != wide:
                items.append(Exposure("", representative.text, conns.text(), ingress,
                                      representative, conns))
    return items


def analyze_exposure(cluster: Cluster, workloads: list[tuple[Workload, PodClass, str]],
                     external_lines: Iterable[Connection], direction: str | None = None,
                     focus_conn: tuple[str, int] | None = None) -> ExposureResult:
    """`workloads`: (workload, its class, its listed name) for those to report;
    `external_lines`: the lines of the connection list with an address range (already
    restricted to `focus_conn`); `direction` (`ingress`, `egress`) keeps that section only;
    `focus_conn` keeps the lines that allow that protocol and port."""
    all_pods = [cluster.pod_class(w) for w in cluster.workloads]
    admins = [*cluster.admin, *([cluster.baseline] if cluster.baseline is not None else [])]
    peers = [r for r in representatives(cluster.policies, admins)
             if not _redundant(r, all_pods)]
    lines: dict[bool, list[Exposure]] = {True: [], False: []}
    unprotected: list[str] = []
    exposed: set[str] = set()
    found: dict[PodClass, tuple[list[Exposure], list[bool]]] = {}
    for _workload, pod, name in workloads:
        if pod not in found:  # workloads of one class are exposed alike
            found[pod] = _exposures(_Exposer(cluster, pod), peers, focus_conn)
        items, open_in = found[pod]
        for item in items:
            lines[item.ingress].append(Exposure(name, item.peer, item.conns, item.ingress,
                                                item.representative))
        unprotected.extend(f"{name} is not protected on {direction}" for direction, is_open
                           in zip(("Ingress", "Egress"), open_in, strict=True) if is_open)
        if items:
            exposed.add(name)
    texts: dict[int, str] = {}
    for connection in external_lines:
        src, dst, conns = connection.src, connection.dst, connection.conns
        text = texts.get(id(conns))
        if text is None:
            text = texts[id(conns)] = conns.text()
        if dst in exposed and src.endswith(EXTERNAL):
            lines[True].append(Exposure(dst, src, text, True))
        elif src in exposed and dst.endswith(EXTERNAL):
            lines[False].append(Exposure(src, dst, text, False))

    def ordered(items: list[Exposure], ingress: bool) -> tuple[Exposure, ...]:
        if direction is not None and (direction == "ingress") != ingress:
            return ()
        return tuple(sorted(items, key=lambda e: (e.workload, e.peer)))

    if direction is not None:
        unprotected = [u for u in unprotected if u.endswith(direction.capitalize())]
    return ExposureResult(ordered(lines[False], False), ordered(lines[True], True),
                          tuple(sorted(unprotected)),
                          max((len(n) for n in exposed), default=0),
                          None if focus_conn is None else f"{focus_conn[0]} {focus_conn[1]}")
