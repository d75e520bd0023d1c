"""Network isolation findings (layer 7) from the connectivity engine's results.

What each check means, and why its severity:

- `network/no-default-deny-ingress` (medium), `network/no-default-deny-egress` (low): a
  namespace where a pod no policy selects takes (sends) any traffic. A namespace counts as
  default-deny in a direction when one of these holds:
    * a NetworkPolicy in it selects every pod (`podSelector: {}`), lists that policyType
      and has no rule of that direction;
    * an AdminNetworkPolicy or the BaselineAdminNetworkPolicy whose subject covers every pod
      of the namespace has a Deny rule on all ports whose peers are every pod of every
      namespace (`namespaces: {}`) — and, for egress, also every address (`networks`
      covering 0.0.0.0/0).
  Ingress weighs more: it is the usual way in for lateral movement; egress control is a
  second line (exfiltration), which many clusters add later.
- `network/reachable-from-all-namespaces` (medium): a workload admits traffic from any pod
  of any namespace, also namespaces not in the input. The engine is asked for two
  representative pods of a namespace the input does not have: one with no labels, one with
  every label key the policies' selectors name (on values no selector lists). What both may
  reach is open to every namespace. (A `NotIn`-only selector lets these in, and reads here as
  open to every namespace but the few it lists — close enough to report.) This agrees with
  the `entire-cluster` lines of `--exposure` on 123 of netpol-analyzer's 126 cases; besides
  NotIn, the senders' side counts here (an AdminNetworkPolicy limiting every namespace's
  egress narrows what every namespace can reach), where exposure reads the receiver's only.
- `network/reachable-from-internet` (high): a workload admits traffic from every external
  address (the whole 0.0.0.0/0 range, each interval the policies cut it into): network
  policies are the only guard left once anything routes to the pod.
- `network/unrestricted-egress` (medium): a workload may open any connection, on every port,
  to every public address (private, loopback, link-local, shared and multicast ranges aside):
  the way out for exfiltration and command and control.
- `network/cross-tenant` (high, only with a tenant label): workloads in namespaces whose
  tenant label has different values can connect. One finding per (source namespace,
  destination namespace) pair, with the number of connections and a few examples. Namespaces
  without the label are not a tenant's and are not compared.
- `network/namespace-without-tenant` (info, only with a tenant label): a namespace with
  workloads and without the label; what it reaches, and what reaches it, is not judged.
- `network/policy-selects-no-pod` (low): a NetworkPolicy (or admin policy subject) that
  selects no pod in the input: dead, a typo in its labels, or its pods are in other
  manifests — say `in the input`, as manifests may be partial. Names the namespace when the
  input has nothing of it (a policy for a namespace that is missing).
- `network/rule-never-matches` (low): a rule that can match nothing in the input: a
  namespaceSelector no namespace satisfies (a namespace without a Namespace object carries
  only `kubernetes.io/metadata.name`), a podSelector no pod of the namespaces it applies to
  satisfies, a named port no container of the pods it resolves on has.
- `network/rules-ignored` (medium): `policyTypes` leaves out a direction for which the policy
  has rules: the API server keeps them and never applies them, so what they meant to
  restrict is not restricted.
- `network/invalid-input` (high, `k8s check` only): the engine refused the input (a selector,
  CIDR or port the API server refuses); `k8s netpol` exits 2 on it instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tenlayer.checks.catalogue import Check, finding
from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject
from tenlayer.model import Finding, Layer, Severity
from tenlayer.netpol.admin import DENY, AdminPolicy, AdminRule, PodsSelector, parse_admin_policy
from tenlayer.netpol.connectivity import (
    Analysis,
    Cluster,
    Connection,
    ConnectionTable,
    analyze,
)
from tenlayer.netpol.endpoints import PodClass
from tenlayer.netpol.ipranges import MAX_IPV4, IPSet
from tenlayer.netpol.kinds import ANP_KIND, BANP_KIND
from tenlayer.netpol.networkpolicy import NetworkPolicy, PeerRule, parse_network_policy
from tenlayer.netpol.networks import POD_NETWORK, primary_networks
from tenlayer.netpol.ports import NONE, ConnectionSet, normalize, subtract_ranges
from tenlayer.netpol.resources import (
    NAMESPACE_NAME_LABEL,
    VIRTUAL_MACHINE,
    WORKLOAD_KINDS,
    Workload,
    workload_key,
)
from tenlayer.netpol.selectors import Selector, label_key_problem
from tenlayer.netpol.validate import validate

_NP_DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
_ANP_DOCS = "https://network-policy-api.sigs.k8s.io/api-overview/"
CHECKS = (
    Check(
        id="network/no-default-deny-ingress",
        layer=Layer.NETWORK,
        severity=Severity.MEDIUM,
        title="Namespace without a default-deny ingress policy",
        description=(
            "A pod that no NetworkPolicy selects accepts connections from every pod of the "
            "cluster and every address. Without a default-deny policy each new workload "
            "starts open, and isolation depends on everyone remembering a policy."
        ),
        remediation=(
            "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress]` and no "
            "ingress rules to the namespace, then allow what each workload needs."
        ),
        references=(_NP_DOCS + "#default-deny-all-ingress-traffic",),
    ),
    Check(
        id="network/no-default-deny-egress",
        layer=Layer.NETWORK,
        severity=Severity.LOW,
        title="Namespace without a default-deny egress policy",
        description=(
            "A pod that no egress policy selects may connect anywhere: to every pod of the "
            "cluster, the API server, cloud metadata endpoints and the internet."
        ),
        remediation=(
            "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Egress]` and no "
            "egress rules, then allow DNS and what each workload needs."
        ),
        references=(_NP_DOCS + "#default-deny-all-egress-traffic",),
    ),
    Check(
        id="network/reachable-from-all-namespaces",
        layer=Layer.NETWORK,
        severity=Severity.MEDIUM,
        title="Workload reachable from every namespace",
        description=(
            "Any pod of any namespace, including namespaces created later, may connect to the "
            "workload: a compromise anywhere in the cluster reaches it."
        ),
        remediation=(
            "Select the workload with an ingress NetworkPolicy whose peers name the "
            "namespaces and pods that need it (namespaceSelector with labels, not `{}`)."
        ),
        references=(_NP_DOCS,),
    ),
    Check(
        id="network/reachable-from-internet",
        layer=Layer.NETWORK,
        severity=Severity.HIGH,
        title="Workload reachable from every external address (0.0.0.0/0)",
        description=(
            "The policies admit connections from every IP address outside the cluster: once "
            "anything routes to the pod (a LoadBalancer, a NodePort, a flat network) nothing "
            "else filters who connects."
        ),
        remediation=(
            "Select the workload with an ingress NetworkPolicy that admits only the address "
            "ranges (ipBlock) and pods that need it."
        ),
        references=(_NP_DOCS,),
    ),
    Check(
        id="network/unrestricted-egress",
        layer=Layer.NETWORK,
        severity=Severity.MEDIUM,
        title="Workload may connect to the whole internet on every port",
        description=(
            "Nothing limits the workload's connections to public addresses: a compromised "
            "pod can exfiltrate data and reach command-and-control servers freely."
        ),
        remediation=(
            "Select the workload with an egress NetworkPolicy that allows only the "
            "destinations and ports it needs (and DNS)."
        ),
        references=(_NP_DOCS,),
    ),
    Check(
        id="network/cross-tenant",
        layer=Layer.NETWORK,
        severity=Severity.HIGH,
        title="Workloads of different tenants can connect",
        description=(
            "Namespaces whose tenant label has different values are meant to be isolated, "
            "yet the policies let workloads of one reach workloads of the other."
        ),
        remediation=(
            "Give each tenant's namespaces a default-deny policy and allow only peers whose "
            "namespaceSelector names the same tenant (or an AdminNetworkPolicy denying "
            "traffic between tenants)."
        ),
        references=(_NP_DOCS, _ANP_DOCS),
    ),
    Check(
        id="network/namespace-without-tenant",
        layer=Layer.NETWORK,
        severity=Severity.INFO,
        title="Namespace without the tenant label",
        description=(
            "With --tenant-label, connections are judged between namespaces that carry the "
            "label; a namespace without it belongs to no tenant and its connections are not "
            "checked for tenant isolation (shared services often are such namespaces)."
        ),
        remediation="Label the namespace with its tenant, if it belongs to one.",
    ),
    Check(
        id="network/policy-selects-no-pod",
        layer=Layer.NETWORK,
        severity=Severity.LOW,
        title="Policy selects no pod in the input",
        description=(
            "The policy's pod selector matches no workload of the input: it is dead, its "
            "labels have a typo, or its pods are in manifests that were not given."
        ),
        remediation="Fix the selector (or the namespace) so it selects the pods it is for.",
        references=(_NP_DOCS,),
    ),
    Check(
        id="network/rule-never-matches",
        layer=Layer.NETWORK,
        severity=Severity.LOW,
        title="Policy rule matches nothing in the input",
        description=(
            "A peer's namespaceSelector or podSelector matches no namespace or pod of the "
            "input, or a named port is on no container it could resolve on: the rule allows "
            "nothing, which is rarely what its author meant."
        ),
        remediation="Fix the selector's labels or the port name, or drop the rule.",
        references=(_NP_DOCS,),
    ),
    Check(
        id="network/rules-ignored",
        layer=Layer.NETWORK,
        severity=Severity.MEDIUM,
        title="Policy rules ignored: policyTypes leaves out their direction",
        description=(
            "The policy has ingress (egress) rules but its policyTypes does not list Ingress "
            "(Egress): the rules are never applied and that direction is not restricted."
        ),
        remediation="Add the direction to policyTypes, or remove the rules.",
        references=(_NP_DOCS,),
    ),
    Check(
        id="network/invalid-input",
        layer=Layer.NETWORK,
        severity=Severity.HIGH,
        title="Network policy input the API server refuses",
        description=(
            "A NetworkPolicy or admin network policy has a selector, CIDR, port or field the "
            "API server refuses, so no network finding can be computed."
        ),
        remediation="Fix the object as the message says.",
        references=(_NP_DOCS,),
    ),
)

ANY_NAMESPACE = "{any-namespace}"
"""The namespace of the representative pods: no real namespace or selector value is this."""
ANY_VALUE = "{any}"
PRIVATE = IPSet(normalize([
    (0x00000000, 0x00FFFFFF),  # 0.0.0.0/8
    (0x0A000000, 0x0AFFFFFF),  # 10.0.0.0/8
    (0x64400000, 0x647FFFFF),  # 100.64.0.0/10
    (0x7F000000, 0x7FFFFFFF),  # 127.0.0.0/8
    (0xA9FE0000, 0xA9FEFFFF),  # 169.254.0.0/16
    (0xAC100000, 0xAC1FFFFF),  # 172.16.0.0/12
    (0xC0A80000, 0xC0A8FFFF),  # 192.168.0.0/16
    (0xE0000000, MAX_IPV4),  # multicast and reserved
]))
"""Addresses that are not the internet: unrestricted egress is judged on the rest."""


@dataclass(frozen=True, slots=True)
class FindingOptions:
    tenant_label: str | None = None
    """Namespace label naming the tenant (`--tenant-label`): enables network/cross-tenant."""
    examples: int = 3
    """Connections shown in each cross-tenant finding."""


def check_tenant_label(key: str) -> str:
    problem = label_key_problem(key)
    if problem:
        raise BadInput(f"--tenant-label: {problem}")
    return key


def network_findings(objects: Sequence[KubeObject], options: FindingOptions | None = None,
                     analysis: Analysis | None = None) -> list[Finding]:
    """Every network finding of the input, sorted. `analysis` is the unfocused connection list
    when the caller has it already (else it is computed when a tenant label asks for it).
    Raises BadInput on what the engine refuses."""
    options = options or FindingOptions()
    validate(objects)
    cluster = Cluster.from_objects(objects)
    context = _Context(cluster, objects)
    found: list[Finding] = []
    found.extend(context.default_deny())
    found.extend(context.policy_findings())
    if cluster.workloads:
        found.extend(context.exposure())
        if options.tenant_label:
            if analysis is None:
                analysis = analyze(objects)
            found.extend(context.cross_tenant(analysis, options))
            found.extend(context.untenanted(options.tenant_label))
    return sorted(found, key=lambda f: (f.sort_key(), f.title, f.evidence))


NAMESPACED_KINDS = WORKLOAD_KINDS | {
    VIRTUAL_MACHINE, "NetworkPolicy", "MultiNetworkPolicy", "Service", "Ingress", "Route",
    "UserDefinedNetwork", "NetworkAttachmentDefinition",
}
"""The namespaced kinds the engine reads (`-n` places those that name no namespace)."""


def in_namespace(objects: Iterable[KubeObject], namespace: str) -> list[KubeObject]:
    """The objects, those of a namespaced kind that name no namespace placed in `namespace`
    (as `kubectl apply -n` does)."""
    return [replace(o, namespace=namespace) if not o.namespace and o.kind in NAMESPACED_KINDS
            else o for o in objects]


_REFUSED_OBJECT = re.compile(r"(?P<kind>[A-Za-z]+) (?P<name>[^\s:]+): ")


def invalid_input_finding(error: BadInput, sources: Iterable[str]) -> Finding:
    """The engine's refusal as a finding (for `k8s check`, which reports rather than stops).
    Its messages start `file: Kind ns/name: …`: the finding names that file and object."""
    message = str(error)
    file = next((s for s in sources if message.startswith(f"{s}: ")), "")
    subject = file or "network policies"
    named = _REFUSED_OBJECT.match(message, len(file) + 2) if file else None
    if named is not None:
        subject = f"{named['kind']}/{named['name']}"
    return finding("network/invalid-input", subject=subject,
                   evidence=(("problem", message),),
                   title=f"network analysis skipped: {message}", file=file)


def _workload_subject(workload: Workload) -> str:
    return f"{workload.kind}/{workload.namespace}/{workload.name}"


@dataclass(slots=True)
class _Context:
    cluster: Cluster
    objects: Sequence[KubeObject]
    _namespace_objects: dict[str, KubeObject] = field(init=False)
    _workload_objects: dict[tuple[str, str, str], KubeObject] = field(init=False)

    def __post_init__(self) -> None:
        """The objects to point findings at (file and line)."""
        self._namespace_objects = {o.name: o for o in self.objects
                                   if o.kind == "Namespace" and o.group == ""}
        self._workload_objects = {}
        for obj in self.objects:
            if obj.kind in WORKLOAD_KINDS or obj.kind == VIRTUAL_MACHINE:
                self._workload_objects.setdefault(workload_key(obj), obj)

    # ---- namespaces ---------------------------------------------------------------------

    def _namespace_finding(self, check_id: str, namespace: str, title: str,
                           evidence: tuple[tuple[str, str], ...] = ()) -> Finding:
        obj = self._namespace_objects.get(namespace)
        return finding(check_id, subject=f"Namespace/{namespace}", title=title,
                       evidence=evidence, file=obj.source if obj else "",
                       line=obj.line if obj else 0)

    def default_deny(self) -> Iterator[Finding]:
        cluster = self.cluster
        admins = [*cluster.admin, *([cluster.baseline] if cluster.baseline else [])]
        for namespace, labels in sorted(cluster.namespaces.items()):
            for ingress in (True, False):
                if any(_np_denies(p, namespace, ingress) for p in cluster.policies):
                    continue
                if any(_admin_denies(a, labels, ingress) for a in admins):
                    continue
                direction = "ingress" if ingress else "egress"
                yield self._namespace_finding(
                    f"network/no-default-deny-{direction}", namespace,
                    f"Namespace {namespace} has no default-deny {direction} policy: pods no "
                    f"policy selects {'accept' if ingress else 'open'} any connection")

    # ---- policies -----------------------------------------------------------------------

    def policy_findings(self) -> Iterator[Finding]:
        for obj in self.objects:
            if obj.kind == "NetworkPolicy" and obj.group == "networking.k8s.io":
                yield from self._network_policy(obj, parse_network_policy(obj))
            elif obj.kind in (ANP_KIND, BANP_KIND):
                yield from self._admin_policy(obj, parse_admin_policy(
                    obj, baseline=obj.kind == BANP_KIND))

    def _selected(self, namespace: str, selector: Selector) -> list[Workload]:
        return [w for w in self.cluster.workloads
                if w.namespace == namespace and selector.matches(w.label_map)]

    def _network_policy(self, obj: KubeObject, policy: NetworkPolicy) -> Iterator[Finding]:
        subject = f"NetworkPolicy/{policy.namespace}/{policy.name}"

        def make(check_id: str, path: str, title: str,
                 evidence: tuple[tuple[str, str], ...] = ()) -> Finding:
            return finding(check_id, subject=subject, location=path, title=title,
                           evidence=evidence, file=obj.source, line=obj.line_of(path))

        selected = self._selected(policy.namespace, policy.selector)
        if not selected:
            missing = policy.namespace not in self.cluster.namespaces
            note = (f"; namespace {policy.namespace} is not in the input (no Namespace object, "
                    "no workload)" if missing else "")
            yield make("network/policy-selects-no-pod", "spec.podSelector",
                       f"NetworkPolicy {policy.namespace}/{policy.name} selects no pod in the "
                       f"input{note}")
        spec = obj.body.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        types = spec.get("policyTypes")
        for key, kind in (("ingress", "Ingress"), ("egress", "Egress")):
            if isinstance(types, list) and kind not in types and spec.get(key):
                yield make("network/rules-ignored", f"spec.{key}",
                           f"spec.{key} of NetworkPolicy {policy.namespace}/{policy.name} is "
                           f"never applied: policyTypes does not list {kind}")
        for key, peers_key, rules in (("ingress", "from", policy.ingress),
                                      ("egress", "to", policy.egress)):
            for index, rule in enumerate(rules):
                place = f"spec.{key}[{index}]"
                for peer_index, peer in enumerate(rule.peers):
                    problem = self._peer_problem(peer, policy.namespace)
                    if problem is not None:
                        selector_field, what = problem
                        path = f"{place}.{peers_key}[{peer_index}].{selector_field}"
                        yield make("network/rule-never-matches", path,
                                   f"{path} of NetworkPolicy {policy.namespace}/{policy.name} "
                                   f"{what} in the input")
                if all(port.name is None for port in rule.ports):
                    continue
                targets = selected if key == "ingress" else [
                    w for w in self.cluster.workloads
                    if rule.matches(self.cluster.pod_class(w), policy.namespace)]
                if not targets:
                    continue
                for port_index, port in enumerate(rule.ports):
                    if port.name is None or any(
                            p.name == port.name and p.protocol == port.protocol
                            for w in targets for p in w.ports):
                        continue
                    path = f"{place}.ports[{port_index}].port"
                    side = "selected" if key == "ingress" else "peer"
                    yield make("network/rule-never-matches", path,
                               f"{path} of NetworkPolicy {policy.namespace}/{policy.name}: no "
                               f"{side} pod in the input has a {port.protocol} container port "
                               f"named {port.name!r}")

    def _peer_problem(self, peer: PeerRule, policy_namespace: str) -> tuple[str, str] | None:
        """(field, what is wrong) when the peer's selectors match nothing in the input."""
        if peer.ips is not None:
            return None
        if peer.namespaces is None:
            namespaces = [policy_namespace]
        else:
            namespaces = [n for n, labels in self.cluster.namespaces.items()
                          if peer.namespaces.matches(labels)]
            if not namespaces and not peer.namespaces.is_empty:
                return "namespaceSelector", "matches no namespace"
        if peer.pods is not None and not peer.pods.is_empty and not any(
                self._selected(n, peer.pods) for n in namespaces):
            return "podSelector", "matches no pod (of the namespaces it applies to)"
        return None

    def _admin_policy(self, obj: KubeObject, policy: AdminPolicy) -> Iterator[Finding]:
        subject = f"{policy.kind}/{policy.name}"
        pods = [w for w in self.cluster.workloads
                if policy.subject.matches(self.cluster.pod_class(w))]
        if not pods:
            yield finding("network/policy-selects-no-pod", subject=subject,
                          location="spec.subject",
                          title=f"{policy.kind} {policy.name}: its subject selects no pod in "
                          "the input", file=obj.source, line=obj.line_of("spec.subject"))
        for key, peers_key, rules in (("ingress", "from", policy.ingress),
                                      ("egress", "to", policy.egress)):
            raw_rules = _raw_list(obj.body.get("spec"), key)
            for index, rule in enumerate(rules):
                raw_peers = _raw_list(raw_rules[index] if index < len(raw_rules) else None,
                                      peers_key)
                selectors = iter(rule.peers)
                for peer_index, raw in enumerate(raw_peers):
                    if not isinstance(raw, dict) or not (
                            raw.get("namespaces") is not None or raw.get("pods") is not None):
                        continue
                    selector = next(selectors, None)
                    if selector is None or self._admin_peer_matches(selector):
                        continue
                    path = f"spec.{key}[{index}].{peers_key}[{peer_index}]"
                    yield finding("network/rule-never-matches", subject=subject,
                                  location=path,
                                  title=f"{path} of {policy.kind} {policy.name} matches no pod "
                                  "in the input", file=obj.source, line=obj.line_of(path))
                yield from self._admin_named_ports(obj, policy, key, index, rule, pods)

    def _admin_named_ports(self, obj: KubeObject, policy: AdminPolicy, key: str, index: int,
                           rule: AdminRule, subject_pods: list[Workload]) -> Iterator[Finding]:
        """A namedPort resolves on the destination: the subject's pods for ingress, the peer
        pods for egress (for address peers it is ignored, and the engine warns)."""
        names = [(i, p.name) for i, p in enumerate(rule.ports or ()) if p.name is not None]
        if not names:
            return
        targets = subject_pods if key == "ingress" else [
            w for w in self.cluster.workloads if rule.matches(self.cluster.pod_class(w))]
        for port_index, name in names:
            if not targets or any(p.name == name for w in targets for p in w.ports):
                continue
            path = f"spec.{key}[{index}].ports[{port_index}].namedPort"
            side = "subject" if key == "ingress" else "peer"
            yield finding("network/rule-never-matches", subject=f"{policy.kind}/{policy.name}",
                          location=path,
                          title=f"{path} of {policy.kind} {policy.name}: no {side} pod in the "
                          f"input has a container port named {name!r}", file=obj.source,
                          line=obj.line_of(path))

    def _admin_peer_matches(self, selector: PodsSelector) -> bool:
        if selector.pods is None:
            return any(selector.namespaces.matches(labels)
                       for labels in self.cluster.namespaces.values()) or (
                selector.namespaces.is_empty)
        return any(selector.matches(self.cluster.pod_class(w)) for w in self.cluster.workloads)

    # ---- exposure -----------------------------------------------------------------------

    def _workload_finding(self, check_id: str, workload: Workload, title: str,
                          evidence: tuple[tuple[str, str], ...]) -> Finding:
        obj = self._workload_objects.get((workload.namespace, workload.name, workload.kind))
        return finding(check_id, subject=_workload_subject(workload), title=title,
                       evidence=evidence, file=obj.source if obj else "",
                       line=obj.line if obj else 0)

    def exposure(self) -> Iterator[Finding]:
        cluster = self.cluster
        networks = primary_networks(self.objects, cluster.namespaces)
        representatives = self._representatives()
        sources, destinations = cluster.external_ranges()
        public = [d for d in destinations if subtract_ranges((d.interval,), PRIVATE.intervals)]
        for workload in cluster.workloads:
            if networks.get(workload.namespace, POD_NETWORK) != POD_NETWORK:
                continue  # a primary user-defined network isolates its namespace itself
            pod = cluster.pod_class(workload)
            from_all = _common(cluster.allowed(r, pod) for r in representatives)
            if not from_all.is_empty:
                yield self._workload_finding(
                    "network/reachable-from-all-namespaces", workload,
                    f"{workload} accepts {from_all.text()} from any pod of any namespace",
                    (("connections", from_all.text()),))
            from_internet = _common(cluster.allowed(s, pod) for s in sources)
            if not from_internet.is_empty:
                yield self._workload_finding(
                    "network/reachable-from-internet", workload,
                    f"{workload} accepts {from_internet.text()} from every external address "
                    "(0.0.0.0/0)", (("connections", from_internet.text()),))
            if public and all(cluster.allowed(pod, d).is_all for d in public):
                yield self._workload_finding(
                    "network/unrestricted-egress", workload,
                    f"{workload} may connect to every public address on every port",
                    (("connections", "All Connections"),))

    def _representatives(self) -> list[PodClass]:
        """Pods of a namespace the input does not have: bare, and with every selector key."""
        pod_keys: set[str] = set()
        namespace_keys: set[str] = set()
        for policy in self.cluster.policies:
            pod_keys.update(_keys(policy.selector))
            for rule in (*policy.ingress, *policy.egress):
                for peer in rule.peers:
                    pod_keys.update(_keys(peer.pods))
                    namespace_keys.update(_keys(peer.namespaces))
        cluster = self.cluster
        for admin in (*cluster.admin, *([cluster.baseline] if cluster.baseline else [])):
            for pods in (admin.subject, *(p for r in (*admin.ingress, *admin.egress)
                                          for p in r.peers)):
                pod_keys.update(_keys(pods.pods))
                namespace_keys.update(_keys(pods.namespaces))
        name = {NAMESPACE_NAME_LABEL: ANY_NAMESPACE}
        labelled = {k: ANY_VALUE for k in namespace_keys} | name
        return [PodClass.make(ANY_NAMESPACE, name, {}, ()),
                PodClass.make(ANY_NAMESPACE, labelled, dict.fromkeys(pod_keys, ANY_VALUE), ())]

    # ---- tenants ------------------------------------------------------------------------

    def untenanted(self, key: str) -> Iterator[Finding]:
        occupied = {w.namespace for w in self.cluster.workloads}
        for namespace, labels in sorted(self.cluster.namespaces.items()):
            if key not in labels and namespace in occupied:
                yield self._namespace_finding(
                    "network/namespace-without-tenant", namespace,
                    f"Namespace {namespace} has no {key} label: its connections are not "
                    "checked for tenant isolation")

    def cross_tenant(self, analysis: Analysis, options: FindingOptions) -> Iterator[Finding]:
        key = options.tenant_label
        assert key is not None
        cluster = self.cluster
        tenants: dict[str, tuple[str, str]] = {}
        """Workload name in the list -> (namespace, tenant), for tenants' workloads only."""
        for workload in cluster.workloads:
            tenant = cluster.namespaces[workload.namespace].get(key)
            if tenant is not None:
                tenants[str(workload)] = tenants[
                    f"{workload.namespace}[udn]/{workload.name}[{workload.kind}]"] = (
                    workload.namespace, tenant)
        pairs = _TenantPairs(tenants, options.examples)
        for table in analysis.tables:
            pairs.add_table(table)
        for connection in analysis.extra:
            pairs.add(connection.src, connection.dst, 1, (connection,))
        for (source, destination), (count, examples) in sorted(pairs.pairs.items()):
            src_tenant, dst_tenant = tenants[examples[0].src][1], tenants[examples[0].dst][1]
            yield self._namespace_finding(
                "network/cross-tenant", destination,
                f"namespace {destination} ({key}={dst_tenant}) is reachable from namespace "
                f"{source} ({key}={src_tenant}): {count} connection{'' if count == 1 else 's'}",
                (("connections", str(count)),
                 ("examples", "; ".join(f"{c.src} => {c.dst} : {c.conns.text()}"
                                        for c in examples)),
                 ("from namespace", source),
                 ("tenant label", f"{key}: {src_tenant} -> {dst_tenant}")))


@dataclass(slots=True)
class _TenantPairs:
    """Connections between tenants, counted per (source, destination) namespace with the
    first few as examples. The list's shared rows are read a row at a time (a row's
    receivers grouped by namespace once), so 10 million lines cost a pass over rows and
    senders, not a Python step per line."""

    tenants: Mapping[str, tuple[str, str]]
    examples: int
    pairs: dict[tuple[str, str], tuple[int, list[Connection]]] = field(default_factory=dict)

    def add(self, src: str, dst: str, count: int, firsts: Sequence[Connection]) -> None:
        source, destination = self.tenants.get(src), self.tenants.get(dst)
        if source is None or destination is None or source[0] == destination[0] or (
                source[1] == destination[1]):
            return
        key = (source[0], destination[0])
        total, examples = self.pairs.get(key, (0, []))
        examples.extend(firsts[:self.examples - len(examples)])
        self.pairs[key] = (total + count, examples)

    def add_table(self, table: ConnectionTable) -> None:
        receivers = table.receivers
        grouped: dict[int, list[tuple[str, int, list[tuple[int, ConnectionSet]]]]] = {}
        for name, row, _own in table.senders:
            if name not in self.tenants:
                continue
            groups = grouped.get(row)
            if groups is None:
                groups = grouped[row] = self._group(table, row)
            for receiver, count, firsts in groups:
                self.add(name, receiver, count, [
                    Connection(name, receivers[p], conns, table.network) for p, conns in firsts])

    def _group(self, table: ConnectionTable, row: int
               ) -> list[tuple[str, int, list[tuple[int, ConnectionSet]]]]:
        """Per receiving namespace: (a receiver's name, count, the first receivers)."""
        by_namespace: dict[str, tuple[str, int, list[tuple[int, ConnectionSet]]]] = {}
        for position, conns in table.rows[row]:
            receiver = table.receivers[position]
            found = self.tenants.get(receiver)
            if found is None:
                continue
            name, count, firsts = by_namespace.get(found[0], (receiver, 0, []))
            if len(firsts) < self.examples:
                firsts.append((position, conns))
            by_namespace[found[0]] = (name, count + 1, firsts)
        return list(by_namespace.values())


def _common(sets: Iterable[ConnectionSet]) -> ConnectionSet:
    """The connections every set allows (none when there is no set)."""
    result: ConnectionSet | None = None
    for conns in sets:
        result = conns if result is None else result.intersection(conns)
        if result.is_empty:
            return NONE
    return NONE if result is None else result


def _keys(selector: Selector | None) -> set[str]:
    return set() if selector is None else {r.key for r in selector.requirements}


def _raw_list(node: Any, key: str) -> list[Any]:
    value = node.get(key) if isinstance(node, Mapping) else None
    return value if isinstance(value, list) else []


def _np_denies(policy: NetworkPolicy, namespace: str, ingress: bool) -> bool:
    if policy.namespace != namespace or not policy.selector.is_empty:
        return False
    if ingress:
        return policy.affects_ingress and not policy.ingress
    return policy.affects_egress and not policy.egress


def _admin_denies(policy: AdminPolicy, labels: Mapping[str, str], ingress: bool) -> bool:
    subject = policy.subject
    if not subject.namespaces.matches(labels) or not (
            subject.pods is None or subject.pods.is_empty):
        return False
    rules = [r for r in (policy.ingress if ingress else policy.egress)
             if r.action == DENY and r.ports is None]
    all_pods = any(_every_pod(p) for r in rules for p in r.peers)
    if ingress:
        return all_pods
    return all_pods and any(_every_address(r) for r in rules)


def _every_pod(peer: PodsSelector) -> bool:
    return peer.namespaces.is_empty and (peer.pods is None or peer.pods.is_empty)


def _every_address(rule: AdminRule) -> bool:
    return rule.networks is not None and rule.networks.contains((0, MAX_IPV4))

