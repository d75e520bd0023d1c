"""Allowed connections between every pair of workloads, and between workloads and addresses.

Pods are grouped into `PodClass`es (namespace, namespace labels, pod labels, named ports); each
pair of classes is evaluated once and the result is shared by their workloads, so the work
grows with distinct label sets, not with pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject
from tenlayer.netpol.admin import AdminPolicy, Verdict, parse_admin_policy, sort_admin_policies
from tenlayer.netpol.endpoints import Endpoint, ExternalRange, PodClass
from tenlayer.netpol.ingress import IngressTraffic, ingress_traffic
from tenlayer.netpol.ipranges import IPSet, interval_text, split_points
from tenlayer.netpol.networkpolicy import NetworkPolicy, parse_network_policy
from tenlayer.netpol.ports import ALL, NONE, ConnectionSet
from tenlayer.netpol.resources import (
    Workload,
    default_namespace_labels,
    namespace_labels,
    workloads_of,
)
from tenlayer.netpol.selectors import Selector

INGRESS_CONTROLLER = "{ingress-controller}"
INGRESS_CONTROLLER_NAMESPACE = "ingress-controller-ns"
ANP_KIND = "AdminNetworkPolicy"
BANP_KIND = "BaselineAdminNetworkPolicy"


@dataclass(frozen=True, slots=True)
class Options:
    focus_workloads: tuple[str, ...] = ()
    """Only connections from or to these workloads (`name` or `namespace/name`)."""
    focus_workload_peers: tuple[str, ...] = ()
    """With focus_workloads: only connections whose other end is one of these."""
    focus_direction: str | None = None
    """With focus_workloads: `ingress` (into them) or `egress` (out of them)."""


@dataclass(frozen=True, slots=True)
class Connection:
    src: str
    dst: str
    conns: ConnectionSet


@dataclass(frozen=True, slots=True)
class Analysis:
    connections: tuple[Connection, ...]
    warnings: tuple[str, ...] = ()


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
    _selecting: dict[PodClass, tuple[list[NetworkPolicy], list[NetworkPolicy]]] = field(
        default_factory=dict)

    @staticmethod
    def from_objects(objects: Sequence[KubeObject]) -> Cluster:
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
        return PodClass.make(workload.namespace, self.namespaces[workload.namespace],
                             workload.label_map, workload.ports)

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

    def _selected_by(self, pod: PodClass) -> tuple[list[NetworkPolicy], list[NetworkPolicy]]:
        cached = self._selecting.get(pod)
        if cached is None:
            selecting = [p for p in self.policies if p.selects(pod)]
            cached = ([p for p in selecting if p.affects_ingress],
                      [p for p in selecting if p.affects_egress])
            self._selecting[pod] = cached
        return cached

    def _direction(self, pod: PodClass, peer: Endpoint, dst: Endpoint,
                   ingress: bool) -> ConnectionSet:
        """What `pod` lets in from `peer` (ingress) or out to `peer` (egress)."""
        verdict = Verdict()
        for admin in self.admin:
            if admin.subject.matches(pod):
                verdict.apply(admin.ingress if ingress else admin.egress, peer, dst,
                              admin.where, self.warnings)
        rest = ALL.subtract(verdict.allowed.union(verdict.denied))
        if rest.is_empty:
            return verdict.allowed
        policies = self._selected_by(pod)[0 if ingress else 1]
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

    def allowed(self, src: Endpoint, dst: Endpoint) -> ConnectionSet:
        result = ALL
        if isinstance(src, PodClass):
            result = self._direction(src, dst, dst, ingress=False)
        if isinstance(dst, PodClass) and not result.is_empty:
            result = result.intersection(self._direction(dst, src, dst, ingress=True))
        return result


def _name_matches(name: str, namespace: str, wanted: tuple[str, ...]) -> bool:
    return name in wanted or f"{namespace}/{name}" in wanted


def analyze(objects: Sequence[KubeObject], options: Options = Options()) -> Analysis:
    """The connection list of `objects`, as netpol-analyzer's `list` command gives it."""
    cluster = Cluster.from_objects(objects)
    if not cluster.workloads:
        raise BadInput("no workloads in the input (Pods, Deployments, StatefulSets, "
                       "DaemonSets, ReplicaSets, Jobs, CronJobs …): nothing to analyse")
    focus = options.focus_workloads
    warnings = set(cluster.warnings)
    for name in focus:
        if not any(_name_matches(w.name, w.namespace, (name,)) for w in cluster.workloads) and not (
                name == INGRESS_CONTROLLER and cluster.ingress.backends):
            warnings.add(f"workload {name} does not exist in the input resources")
    classes = {w: cluster.pod_class(w) for w in cluster.workloads}
    sources, destinations = cluster.external_ranges()

    def focused(workload: Workload) -> bool:
        return not focus or _name_matches(workload.name, workload.namespace, focus)

    def peer_ok(workload: Workload | None) -> bool:
        if not options.focus_workload_peers:
            return True
        return workload is not None and _name_matches(
            workload.name, workload.namespace, options.focus_workload_peers)

    def include(src: Workload | None, dst: Workload | None) -> bool:
        if not focus:
            return True
        src_focus = src is not None and focused(src)
        dst_focus = dst is not None and focused(dst)
        if options.focus_direction == "ingress":
            return dst_focus and peer_ok(src)
        if options.focus_direction == "egress":
            return src_focus and peer_ok(dst)
        return (src_focus and peer_ok(dst)) or (dst_focus and peer_ok(src))

    result: list[Connection] = []
    pair_cache: dict[tuple[Endpoint, Endpoint], ConnectionSet] = {}

    def between(src: Endpoint, dst: Endpoint) -> ConnectionSet:
        key = (src, dst)
        conns = pair_cache.get(key)
        if conns is None:
            conns = cluster.allowed(src, dst)
            pair_cache[key] = conns
        return conns

    for workload in cluster.workloads:
        pod = classes[workload]
        for external in sources:
            if include(None, workload):
                _add(result, interval_text(external.interval) + "[External]", str(workload),
                     between(external, pod))
        for external in destinations:
            if include(workload, None):
                _add(result, str(workload), interval_text(external.interval) + "[External]",
                     between(pod, external))
        for other in cluster.workloads:
            if other is workload or str(other) == str(workload) or not include(workload, other):
                continue
            _add(result, str(workload), str(other), between(pod, classes[other]))
    controller = cluster.ingress_controller()
    for backend, conns in cluster.ingress.backends.items():
        if focus and not (focused(backend) or INGRESS_CONTROLLER in focus):
            continue
        if options.focus_direction == "egress" or options.focus_workload_peers:
            continue
        allowed = conns.intersection(cluster.allowed(controller, classes[backend]))
        if allowed.is_empty:
            warnings.add(f"the traffic from the ingress controller to {backend} is blocked by "
                         "network policies")
        _add(result, INGRESS_CONTROLLER, str(backend), allowed)
    return Analysis(tuple(sorted(result, key=lambda c: (c.src, c.dst))),
                    tuple(sorted(warnings)))


def _add(result: list[Connection], src: str, dst: str, conns: ConnectionSet) -> None:
    if not conns.is_empty:
        result.append(Connection(src, dst, conns))
