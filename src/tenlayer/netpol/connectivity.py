"""Allowed connections between every pair of workloads, and between workloads and addresses.

Pods are grouped into `PodClass`es (namespace, namespace labels, pod labels, named ports); each
pair of classes is evaluated once and the result is shared by their workloads, so the work
grows with distinct label sets, not with pods.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple

from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject
from tenlayer.kube.workloads import pod_template, template_problem
from tenlayer.netpol.admin import (
    AdminPolicy,
    PodsSelector,
    Verdict,
    parse_admin_policy,
    sort_admin_policies,
)
from tenlayer.netpol.endpoints import Endpoint, ExternalRange, PodClass
from tenlayer.netpol.ingress import IngressTraffic, ingress_traffic
from tenlayer.netpol.ipranges import IPSet, interval_text, split_points
from tenlayer.netpol.kinds import ANP_KIND, BANP_KIND, check_api_kind
from tenlayer.netpol.networkpolicy import NetworkPolicy, PeerRule, parse_network_policy
from tenlayer.netpol.networks import (
    POD_NETWORK,
    Network,
    policy_networks,
    primary_networks,
    uses_networks,
)
from tenlayer.netpol.ports import ALL, MAX_PORT, MIN_PORT, NONE, PROTOCOLS, ConnectionSet
from tenlayer.netpol.resources import (
    WORKLOAD_KINDS,
    Workload,
    default_namespace_labels,
    namespace_labels,
    workloads_of,
)
from tenlayer.netpol.selectors import Selector

if TYPE_CHECKING:
    from tenlayer.netpol.exposure import ExposureResult

INGRESS_CONTROLLER = "{ingress-controller}"
EXTERNAL = "[External]"
"""The suffix of an address range's name in the list."""
INGRESS_CONTROLLER_NAMESPACE = "ingress-controller-ns"


@dataclass(frozen=True, slots=True)
class Options:
    focus_workloads: tuple[str, ...] = ()
    """Only connections from or to these workloads (`name` or `namespace/name`)."""
    focus_workload_peers: tuple[str, ...] = ()
    """With focus_workloads: only connections whose other end is one of these."""
    focus_direction: str | None = None
    """With focus_workloads: `ingress` (into them) or `egress` (out of them)."""
    focus_conn: tuple[str, int] | None = None
    """Only connections that allow this (protocol, port)."""
    exposure: bool = False
    """Add the exposure analysis (see exposure.py)."""


class Connection(NamedTuple):
    """One line of the list (a named tuple: millions are made at scale, cheaply)."""

    src: str
    dst: str
    conns: ConnectionSet
    network: Network = POD_NETWORK


@dataclass(frozen=True, slots=True)
class NetworkMapping:
    """One workload's line in the workload-to-networks mapping."""

    workload: str
    primary: Network
    secondary: tuple[Network, ...]


@dataclass(frozen=True, slots=True)
class ListedWorkload:
    """A workload as the graph formats (dot) draw it, in its namespace's box."""

    name: str
    """As the list names it: `ns/name[Kind]`, or `ns[udn]/name[Kind]` on a primary UDN."""
    namespace: str
    """The box: `ns`, or `ns[udn]`."""
    label: str
    """`name[Kind]`."""
    udn: bool


@dataclass(frozen=True, slots=True)
class ConnectionTable:
    """One network's unfocused list, kept as shared rows rather than one object per line.

    At scale the list has millions of lines (5,000 workloads: ~10 million) but few distinct
    rows: senders alike to every policy (same egress profile, matched by the same peer
    rules) reach every receiver alike. So the table holds, per row, the connections to each
    receiver, and per sender its row; lines are made only when something reads them.
    """

    network: Network
    receivers: tuple[str, ...]
    """Receiver names, sorted."""
    senders: tuple[tuple[str, int, int], ...]
    """(name, row, the sender's own position among the receivers or -1), sorted by name."""
    rows: tuple[tuple[tuple[int, ConnectionSet], ...], ...]
    """Per row, (receiver position, connections) for each receiver it reaches, in order."""

    def __iter__(self) -> Iterator[Connection]:
        receivers, rows, network = self.receivers, self.rows, self.network
        new = tuple.__new__
        for name, row, own in self.senders:
            for position, conns in rows[row]:
                if position != own:
                    yield new(Connection, (name, receivers[position], conns, network))

    def with_addresses(self, external: str) -> Iterator[Connection]:
        """The lines with an end named `…{external}` (an address range), in order,
        without visiting the others: each row's such receivers are found once."""
        receivers, network = self.receivers, self.network
        new = tuple.__new__
        outward = [tuple((p, c) for p, c in row if receivers[p].endswith(external))
                   for row in self.rows]
        for name, row, own in self.senders:
            entries = self.rows[row] if name.endswith(external) else outward[row]
            for position, conns in entries:
                if position != own:
                    yield new(Connection, (name, receivers[position], conns, network))

    def __len__(self) -> int:
        rows, total = self.rows, 0
        for _name, row, own in self.senders:
            total += len(rows[row]) - (own >= 0 and any(p == own for p, _c in rows[row]))
        return total


@dataclass(frozen=True, slots=True)
class Analysis:
    tables: tuple[ConnectionTable, ...]
    """The bulk of the list, in order (see ConnectionTable)."""
    extra: tuple[Connection, ...] = ()
    """Lines after the tables' (ingress-controller lines; every line when sorted)."""
    warnings: tuple[str, ...] = ()
    networks: tuple[NetworkMapping, ...] = ()
    """Set when the input has user-defined or secondary networks: output is per network."""
    pod_network_workloads: int = 0
    focus_conn: str | None = None
    """`TCP 80` when the list was restricted to one connection."""
    workloads: tuple[ListedWorkload, ...] = ()
    """The workloads listed (with a focus, the focused ones), in input order."""
    exposure: ExposureResult | None = None
    """With Options.exposure."""

    def iter_connections(self) -> Iterator[Connection]:
        for table in self.tables:
            yield from table
        yield from self.extra

    @property
    def connections(self) -> tuple[Connection, ...]:
        """Every line, in order (made on each call: at scale, prefer iter_connections)."""
        return tuple(self.iter_connections())


@dataclass(slots=True)
class Cluster:
    """The parsed input: what the engine evaluates."""

    workloads: list[Workload]
    namespaces: dict[str, dict[str, str]]
    policies: list[NetworkPolicy]
    admin: list[AdminPolicy]
    baseline: AdminPolicy | None
    ingress: IngressTraffic
    warnings: set[str] = field(default_factory=set)
    secondary_network: str | None = None
    """Set for a NetworkAttachmentDefinition's evaluation: pods carry their addresses there."""
    _selecting: dict[PodClass, tuple[list[NetworkPolicy], list[NetworkPolicy]]] = field(
        default_factory=dict)
    _classes: dict[tuple[object, ...], PodClass] = field(default_factory=dict)
    _admins: dict[PodClass, list[AdminPolicy]] = field(default_factory=dict)
    _profiles: dict[tuple[PodClass, bool], int] = field(default_factory=dict)
    _signatures: dict[tuple[object, ...], int] = field(default_factory=dict)
    _sides: dict[tuple[object, ...], ConnectionSet] = field(default_factory=dict)
    _peer_rules: tuple[tuple[PeerRule | PodsSelector, str], ...] | None = None
    _peer_ids: dict[PodClass, int] = field(default_factory=dict)
    _peer_signatures: dict[tuple[bool, ...], int] = field(default_factory=dict)

    @staticmethod
    def from_objects(objects: Sequence[KubeObject]) -> Cluster:
        for obj in objects:
            _check_kind(obj)
        policies: list[NetworkPolicy] = []
        names: set[tuple[str, str]] = set()
        admin: list[AdminPolicy] = []
        baseline: AdminPolicy | None = None
        for obj in objects:
            if obj.kind == "NetworkPolicy" and obj.group == "networking.k8s.io":
                policy = parse_network_policy(obj)
                key = (policy.namespace, policy.name)
                if key in names:
                    raise BadInput(f"{policy.where}: a NetworkPolicy named "
                                   f"{policy.namespace}/{policy.name} already exists")
                names.add(key)
                policies.append(policy)
            elif obj.kind == ANP_KIND:
                admin.append(parse_admin_policy(obj, baseline=False))
            elif obj.kind == BANP_KIND:
                if baseline is not None:
                    raise BadInput(f"{baseline.where}: only one BaselineAdminNetworkPolicy "
                                   "may exist")
                baseline = parse_admin_policy(obj, baseline=True)
        workloads = workloads_of(objects)
        namespaces = namespace_labels(objects)
        for workload in workloads:
            namespaces.setdefault(workload.namespace, default_namespace_labels(workload.namespace))
        cluster = Cluster(workloads, namespaces, policies, sort_admin_policies(admin), baseline,
                          IngressTraffic())
        cluster.check_owner_variants()
        for admin_policy in (*cluster.admin, *([baseline] if baseline else [])):
            cluster.warnings.update(admin_policy.warnings())
        for policy in policies:
            cluster.warnings.update(policy.warnings())
        cluster.ingress = ingress_traffic(objects, cluster.workloads, cluster.warnings)
        return cluster

    def pod_selectors(self) -> list[Selector]:
        """Every selector of pods (not namespaces) the policies hold."""
        selectors = [p.selector for p in self.policies]
        for policy in self.policies:
            selectors.extend(peer.pods for rule in (*policy.ingress, *policy.egress)
                             for peer in rule.peers if peer.pods is not None)
        for admin in (*self.admin, *([self.baseline] if self.baseline else [])):
            for pods in (admin.subject, *(p for r in (*admin.ingress, *admin.egress)
                                          for p in r.peers)):
                if pods.pods is not None:
                    selectors.append(pods.pods)
        return selectors

    def check_owner_variants(self) -> None:
        """Pods of one owner with labels a policy tells apart cannot be one workload (so
        netpol-analyzer refuses them too)."""
        variable = [w for w in self.workloads if w.variants]
        if not variable:
            return
        selectors = self.pod_selectors()
        for workload in variable:
            label_sets = [workload.label_map, *(dict(v) for v in workload.variants)]
            for selector in selectors:
                if len({selector.matches(labels) for labels in label_sets}) > 1:
                    raise BadInput(
                        f"pods of {workload.namespace}/{workload.name} (one owner) have labels "
                        "that a policy selects differently: not supported, as one workload "
                        "has one set of labels")

    def pod_class(self, workload: Workload) -> PodClass:
        """The one PodClass of the workload's namespace, labels, ports (and addresses)."""
        addresses = () if self.secondary_network is None else tuple(
            a for n, a in workload.addresses if n == self.secondary_network)
        key = (workload.namespace, workload.labels, workload.ports, addresses)
        found = self._classes.get(key)
        if found is None:
            found = PodClass.make(workload.namespace, self.namespaces[workload.namespace],
                                  workload.label_map, workload.ports, addresses)
            self._classes[key] = found
        return found

    def ingress_controller(self) -> PodClass:
        namespace = INGRESS_CONTROLLER_NAMESPACE
        return PodClass.make(namespace, self.namespaces.get(
            namespace, default_namespace_labels(namespace)), {}, ())

    def external_ranges(self) -> tuple[list[ExternalRange], list[ExternalRange]]:
        """Sources (split by ingress ipBlocks) and destinations (split by egress ipBlocks and
        admin networks)."""
        sources: list[IPSet] = []
        destinations: list[IPSet] = []
        for policy in self.policies:
            sources.extend(p.ips for r in policy.ingress for p in r.peers if p.ips is not None)
            destinations.extend(p.ips for r in policy.egress for p in r.peers
                                if p.ips is not None)
        for admin in (*self.admin, *([self.baseline] if self.baseline else [])):
            destinations.extend(admin.networks())
        return ([ExternalRange(i) for i in split_points(sources)],
                [ExternalRange(i) for i in split_points(destinations)])

    def selected_by(self, pod: PodClass) -> tuple[list[NetworkPolicy], list[NetworkPolicy]]:
        """The NetworkPolicies that select the pod for ingress, and for egress."""
        return self._selected_by(pod)

    def _selected_by(self, pod: PodClass) -> tuple[list[NetworkPolicy], list[NetworkPolicy]]:
        cached = self._selecting.get(pod)
        if cached is None:
            selecting = [p for p in self.policies if p.selects(pod)]
            cached = ([p for p in selecting if p.affects_ingress],
                      [p for p in selecting if p.affects_egress])
            self._selecting[pod] = cached
        return cached

    def _admins_of(self, pod: PodClass) -> list[AdminPolicy]:
        cached = self._admins.get(pod)
        if cached is None:
            cached = self._admins[pod] = [a for a in self.admin if a.subject.matches(pod)]
        return cached

    def _direction(self, pod: PodClass, peer: Endpoint, dst: Endpoint,
                   ingress: bool) -> ConnectionSet:
        """What `pod` lets in from `peer` (ingress) or out to `peer` (egress)."""
        admins = self._admins_of(pod)
        policies = self._selected_by(pod)[0 if ingress else 1]
        if not admins and (policies or self.baseline is None):
            if not policies:
                return ALL
            allowed = NONE
            for policy in policies:
                allowed = allowed.union(policy.allowed(peer, dst, ingress=ingress,
                                                       warnings=self.warnings))
            return allowed
        verdict = Verdict()
        for admin in admins:
            verdict.apply(admin.ingress if ingress else admin.egress, peer, dst,
                          admin.where, self.warnings)
        rest = ALL.subtract(verdict.allowed.union(verdict.denied))
        if rest.is_empty:
            return verdict.allowed
        if policies:
            allowed = NONE
            for policy in policies:
                allowed = allowed.union(policy.allowed(peer, dst, ingress=ingress,
                                                       warnings=self.warnings))
            return verdict.allowed.union(allowed.intersection(rest))
        if self.baseline is not None and self.baseline.subject.matches(pod):
            baseline = Verdict()
            baseline.apply(self.baseline.ingress if ingress else self.baseline.egress, peer,
                           dst, self.baseline.where, self.warnings)
            rest = rest.subtract(baseline.denied)
        return verdict.allowed.union(rest)

    def _profile(self, pod: PodClass, ingress: bool) -> int:
        """Pods with one profile are treated alike in that direction: the same admin
        policies, NetworkPolicies and baseline select them (and, for ingress, where the
        named ports resolve is the same)."""
        key = (pod, ingress)
        found = self._profiles.get(key)
        if found is None:
            signature = (
                ingress,
                tuple(id(a) for a in self._admins_of(pod)),
                tuple(id(p) for p in self._selected_by(pod)[0 if ingress else 1]),
                self.baseline is not None and self.baseline.subject.matches(pod),
                pod.ports if ingress else (),
            )
            found = self._profiles[key] = self._signatures.setdefault(
                signature, len(self._signatures))
        return found

    def _side(self, pod: PodClass, peer: Endpoint, dst: Endpoint, ingress: bool
              ) -> ConnectionSet:
        # a pod peer counts by its peer signature (and, as the destination of egress, by
        # its named ports): peers alike share one evaluation
        key: tuple[object, ...] = (self._profile(pod, ingress), peer) if isinstance(
            peer, ExternalRange) else (self._profile(pod, ingress), self.peer_id(peer)) if (
            ingress) else (self._profile(pod, ingress), self.peer_id(peer), peer.ports)
        found = self._sides.get(key)
        if found is None:
            found = self._sides[key] = self._direction(pod, peer, dst, ingress)
        return found

    def peer_id(self, pod: PodClass) -> int:
        """The pod's peer signature, as a small number: which peer rules (NetworkPolicy
        from/to entries, AdminNetworkPolicy peers) match it. Policies see a peer only through
        these matches, so pods with one signature are the same peer to every policy."""
        found = self._peer_ids.get(pod)
        if found is None:
            rules = self._peer_rules
            if rules is None:
                rules = self._peer_rules = self._collect_peer_rules()
            signature = tuple(rule.matches(pod, namespace) if isinstance(rule, PeerRule)
                              else rule.matches(pod) for rule, namespace in rules)
            found = self._peer_ids[pod] = self._peer_signatures.setdefault(
                signature, len(self._peer_signatures))
        return found

    def _collect_peer_rules(self) -> tuple[tuple[PeerRule | PodsSelector, str], ...]:
        rules: dict[tuple[PeerRule | PodsSelector, str], None] = {}
        for policy in self.policies:
            for rule in (*policy.ingress, *policy.egress):
                for peer in rule.peers:
                    # the policy's namespace counts only for a peer without namespaceSelector
                    rules[(peer, policy.namespace if peer.namespaces is None else "")] = None
        for admin in (*self.admin, *([self.baseline] if self.baseline else [])):
            for admin_rule in (*admin.ingress, *admin.egress):
                for pods in admin_rule.peers:
                    rules[(pods, "")] = None
        return tuple(rules)

    def sender_key(self, pod: PodClass) -> tuple[object, ...]:
        """Senders with one key reach every receiver alike: the same policies govern their
        egress, and every policy sees them alike as a peer."""
        return (self._profile(pod, False), self.peer_id(pod))

    def receiver_key(self, pod: PodClass) -> tuple[object, ...]:
        """Receivers with one key are reached alike: the same ingress policies, the same
        peer matches, and the same named ports (egress rules resolve them at the receiver)."""
        return (self._profile(pod, True), self.peer_id(pod), pod.ports)

    def allowed(self, src: Endpoint, dst: Endpoint) -> ConnectionSet:
        result = ALL
        if isinstance(src, PodClass):
            result = self._side(src, dst, dst, ingress=False)
        if isinstance(dst, PodClass) and not result.is_empty:
            result = result.intersection(self._side(dst, src, dst, ingress=True))
        return result


def _check_kind(obj: KubeObject) -> None:
    check_api_kind(obj)
    if obj.kind in WORKLOAD_KINDS and pod_template(obj, None) is None:
        problem = template_problem(obj)
        if problem is None:
            raise BadInput(f"{obj.source}: {obj.kind} {obj.name}: no such kind in "
                           f"{obj.api_version}")
        raise BadInput(f"{obj.source}: {obj.kind} {obj.name}: {problem[1]}: no pods to analyse")


def _first(item: tuple[str, Endpoint]) -> str:
    return item[0]


def parse_focus_conn(text: str) -> tuple[str, int]:
    """`tcp-80` -> ("TCP", 80), as netpol-analyzer's --focus-conn takes it."""
    protocol, dash, port = text.strip().partition("-")
    if not dash or protocol.upper() not in PROTOCOLS or not port.isdigit() or not (
            MIN_PORT <= int(port) <= MAX_PORT):
        raise BadInput(f"--focus-conn {text!r}: expected PROTOCOL-PORT, e.g. tcp-8080 "
                       "(TCP, UDP or SCTP; port 1-65535)")
    return protocol.upper(), int(port)


def _name_matches(workload: Workload, wanted: tuple[str, ...]) -> bool:
    return workload.name in wanted or f"{workload.namespace}/{workload.name}" in wanted


@dataclass(slots=True)
class _Lister:
    """Lists the connections of one network's workloads, honouring the focus options."""

    cluster: Cluster
    options: Options
    names: dict[Workload, str]
    result: list[Connection] = field(default_factory=list)
    tables: list[ConnectionTable] = field(default_factory=list)
    cache: dict[Endpoint, dict[Endpoint, ConnectionSet]] = field(default_factory=dict)
    """Source -> destination -> allowed: one evaluation per pair of classes."""

    def focused(self, workload: Workload) -> bool:
        return not self.options.focus_workloads or _name_matches(
            workload, self.options.focus_workloads)

    def include(self, src: Workload | None, dst: Workload | None) -> bool:
        options = self.options
        if not options.focus_workloads:
            return True

        def peer_ok(workload: Workload | None) -> bool:
            return not options.focus_workload_peers or (
                workload is not None and _name_matches(workload, options.focus_workload_peers))

        src_focus = src is not None and self.focused(src)
        dst_focus = dst is not None and self.focused(dst)
        if options.focus_direction == "ingress":
            return dst_focus and peer_ok(src)
        if options.focus_direction == "egress":
            return src_focus and peer_ok(dst)
        return (src_focus and peer_ok(dst)) or (dst_focus and peer_ok(src))

    def between(self, src: Endpoint, dst: Endpoint) -> ConnectionSet:
        row = self.cache.setdefault(src, {})
        conns = row.get(dst)
        if conns is None:
            conns = row[dst] = self.cluster.allowed(src, dst)
        return conns

    def add(self, src: str, dst: str, conns: ConnectionSet, network: Network) -> None:
        focus = self.options.focus_conn
        if focus is not None:
            conns = conns.intersection(ConnectionSet.of(focus[0], [(focus[1], focus[1])]))
        if not conns.is_empty:
            self.result.append(Connection(src, dst, conns, network))

    def list_network(self, workloads: list[Workload], network: Network,
                     external: bool) -> None:
        cluster = self.cluster
        members = [(w, cluster.pod_class(w), self.names[w]) for w in workloads]
        sources, destinations = cluster.external_ranges() if external else ([], [])
        source_names = [(s, interval_text(s.interval) + EXTERNAL) for s in sources]
        destination_names = [(d, interval_text(d.interval) + EXTERNAL) for d in destinations]
        if self.options.focus_workloads or self.options.focus_conn:
            self._list_focused(members, source_names, destination_names, network)
            return
        # sources and destinations in name order: the list comes out sorted
        ends: list[tuple[str, Endpoint]] = [(n, p) for _w, p, n in members]
        senders = sorted([*((n, s) for s, n in source_names), *ends], key=_first)
        receivers = sorted([*((n, d) for d, n in destination_names), *ends], key=_first)
        # receivers alike (see Cluster.receiver_key) are evaluated once, through one of them
        groups: dict[object, int] = {}
        representatives: list[Endpoint] = []
        group_of: list[int] = []
        for _name, receiver in receivers:
            key: object = receiver if isinstance(receiver, ExternalRange) else (
                cluster.receiver_key(receiver))
            group = groups.get(key)
            if group is None:
                group = groups[key] = len(representatives)
                representatives.append(receiver)
            group_of.append(group)
        position = {name: index for index, (name, _r) in enumerate(receivers)}
        members_of: list[list[int]] = [[] for _r in representatives]
        for index, group in enumerate(group_of):
            members_of[group].append(index)
        row_of: dict[object, int] = {}
        rows: list[tuple[tuple[int, ConnectionSet], ...]] = []
        table_senders: list[tuple[str, int, int]] = []
        for name, sender in senders:
            pod_sender = isinstance(sender, PodClass)
            key = cluster.sender_key(sender) if isinstance(sender, PodClass) else sender
            row = row_of.get(key)
            if row is None:
                reached = [self.between(sender, r) if pod_sender or isinstance(r, PodClass)
                           else NONE for r in representatives]
                row = row_of[key] = len(rows)
                # the receivers reached, in order, without a Python-level step per receiver
                positions = sorted(chain.from_iterable(
                    members_of[g] for g, conns in enumerate(reached) if conns.ports))
                rows.append(tuple(zip(positions, map(
                    reached.__getitem__, map(group_of.__getitem__, positions)), strict=True)))
            table_senders.append((name, row, position.get(name, -1)))
        self.tables.append(ConnectionTable(network, tuple(n for n, _r in receivers),
                                           tuple(table_senders), tuple(rows)))

    def _list_focused(self, members: list[tuple[Workload, PodClass, str]],
                      source_names: list[tuple[ExternalRange, str]],
                      destination_names: list[tuple[ExternalRange, str]],
                      network: Network) -> None:
        for workload, pod, name in members:
            for source, source_name in source_names:
                if self.include(None, workload):
                    self.add(source_name, name, self.between(source, pod), network)
            for destination, destination_name in destination_names:
                if self.include(workload, None):
                    self.add(name, destination_name, self.between(pod, destination), network)
            for other, other_pod, other_name in members:
                if other_name != name and self.include(workload, other):
                    self.add(name, other_name, self.between(pod, other_pod), network)

    def list_ingress(self, networks: dict[Workload, Network]) -> None:
        cluster, options = self.cluster, self.options
        controller = cluster.ingress_controller()
        for backend, conns in cluster.ingress.backends.items():
            if options.focus_workloads and not (
                    self.focused(backend) or INGRESS_CONTROLLER in options.focus_workloads):
                continue
            if options.focus_direction == "egress" or options.focus_workload_peers:
                continue
            allowed = conns.intersection(cluster.allowed(controller, cluster.pod_class(backend)))
            if allowed.is_empty:
                cluster.warnings.add(f"the traffic from the ingress controller to {backend} is "
                                     "blocked by network policies")
            self.add(INGRESS_CONTROLLER, self.names[backend], allowed, networks[backend])


def analyze(objects: Sequence[KubeObject], options: Options | None = None) -> Analysis:
    """The connection list of `objects`, as netpol-analyzer's `list` command gives it."""
    options = options or Options()
    cluster = Cluster.from_objects(objects)
    if not cluster.workloads:
        raise BadInput("no workloads in the input (Pods, Deployments, StatefulSets, "
                       "DaemonSets, ReplicaSets, Jobs, CronJobs, VirtualMachines …): nothing "
                       "to analyse")
    for name in options.focus_workloads:
        if not any(_name_matches(w, (name,)) for w in cluster.workloads) and not (
                name == INGRESS_CONTROLLER and cluster.ingress.backends):
            cluster.warnings.add(f"workload {name} does not exist in the input resources")
    primaries = primary_networks(objects, cluster.namespaces)
    networks = {w: primaries.get(w.namespace, POD_NETWORK) for w in cluster.workloads}
    names = {w: (f"{w.namespace}[udn]/{w.name}[{w.kind}]" if networks[w].kind == "UDN"
                 else str(w)) for w in cluster.workloads}
    lister = _Lister(cluster, options, names)
    for network in sorted(set(networks.values())):
        members = [w for w in cluster.workloads if networks[w] == network]
        lister.list_network(members, network, True)
    lister.list_ingress(networks)
    secondary = _secondary_networks(objects, cluster)
    for nad_name, (workloads, policies) in sorted(secondary.items()):
        nad = Network(3, "NAD", nad_name)
        nad_cluster = Cluster(workloads, cluster.namespaces, policies, [], None,
                              IngressTraffic(), cluster.warnings, nad_name)
        _Lister(nad_cluster, options, names, lister.result, lister.tables).list_network(
            workloads, nad, False)
    mapping: tuple[NetworkMapping, ...] = ()
    if uses_networks(objects) or secondary:
        mapping = tuple(sorted(
            (NetworkMapping(str(w), networks[w], tuple(
                Network(3, "NAD", n) for n in sorted(w.secondary) if n in secondary))
             for w in cluster.workloads),
            key=lambda m: m.workload))
    tables = tuple(lister.tables)
    if len(set(networks.values())) > 1 or secondary or options.focus_workloads or (
            options.focus_conn):
        merged = [c for table in tables for c in table]
        merged.extend(lister.result)
        merged.sort(key=lambda c: (c.src, c.dst))
        tables, lister.result = (), merged
    # else one network listed in order, and `{ingress-controller}` sorts after every name
    exposure = None
    if options.exposure:
        from tenlayer.netpol.exposure import analyze_exposure

        exposure = analyze_exposure(
            cluster, [(w, cluster.pod_class(w), names[w]) for w in cluster.workloads
                      if lister.focused(w) and networks[w] == POD_NETWORK],
            chain(chain.from_iterable(t.with_addresses(EXTERNAL) for t in tables),
                  (c for c in lister.result
                   if c.src.endswith(EXTERNAL) or c.dst.endswith(EXTERNAL))),
            options.focus_direction, options.focus_conn)
    return Analysis(tables, tuple(lister.result),
                    tuple(sorted(cluster.warnings)), mapping,
                    sum(1 for n in networks.values() if n == POD_NETWORK),
                    None if options.focus_conn is None
                    else f"{options.focus_conn[0]} {options.focus_conn[1]}",
                    tuple(ListedWorkload(names[w], names[w].split("/", 1)[0],
                                         f"{w.name}[{w.kind}]", networks[w].kind == "UDN")
                          for w in cluster.workloads if lister.focused(w)),
                    exposure)


def _secondary_networks(
    objects: Sequence[KubeObject], cluster: Cluster
) -> dict[str, tuple[list[Workload], list[NetworkPolicy]]]:
    """NetworkAttachmentDefinition name -> (workloads attached, its MultiNetworkPolicies)."""
    defined = {obj.name for obj in objects if obj.kind == "NetworkAttachmentDefinition"}
    result: dict[str, tuple[list[Workload], list[NetworkPolicy]]] = {}
    for workload in cluster.workloads:
        for name in workload.secondary:
            if name in defined:
                result.setdefault(name, ([], []))[0].append(workload)
    for obj in objects:
        if obj.kind == "MultiNetworkPolicy" and obj.group == "k8s.cni.cncf.io":
            policy = parse_network_policy(obj)
            for name in policy_networks(obj):
                if name in result:
                    result[name][1].append(policy)
    return result
