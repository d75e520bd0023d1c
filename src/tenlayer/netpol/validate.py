"""What the API server refuses in a NetworkPolicy and the engine would otherwise pass over.

The engine refuses bad selectors, CIDRs, ports and kinds itself (selectors, ipranges,
networkpolicy, connectivity). These are the rest, each a way a policy could be left out or
mean something else than written without a word:

- a field the API does not define (`ingres:`, `form:`): kubectl's strict validation refuses
  it, and read leniently a typo in `from` turns a rule into allow-all;
- a NetworkPolicy in `extensions/v1beta1` (not served since Kubernetes 1.16), which would be
  no NetworkPolicy at all to the engine, or in a version of networking.k8s.io other than v1;
- a name, namespace or label value that is not a string (`namespace: on`, `expose: true`:
  YAML reads them as booleans, the API server refuses them, and read as text they would put
  an object in another namespace or give it labels it cannot have);
- a missing name, an invalid namespace name (names with '_' pass: netpol-analyzer takes
  them);
- an ipBlock `except` that is not inside its `cidr`;
- a named port that is not an IANA service name (at most 15 lowercase letters, digits and
  '-', with a letter), which no container port can carry.

`validate` raises BadInput with `file: NetworkPolicy ns/name: field: problem`, or
`file:line: field of Kind name is …; quote it` for a value that is not a string.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.containers import sequence
from tenlayer.kube.objects import KubeObject
from tenlayer.kube.paths import key_step
from tenlayer.kube.values import not_a_string
from tenlayer.kube.workloads import pod_template
from tenlayer.netpol.resources import object_namespace

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?")

_SPEC = frozenset({"podSelector", "ingress", "egress", "policyTypes"})
_INGRESS = frozenset({"from", "ports"})
_EGRESS = frozenset({"to", "ports"})
_PEER = frozenset({"podSelector", "namespaceSelector", "ipBlock"})
_PORT = frozenset({"protocol", "port", "endPort"})
_IP_BLOCK = frozenset({"cidr", "except"})
_SELECTOR = frozenset({"matchLabels", "matchExpressions"})
_EXPRESSION = frozenset({"key", "operator", "values"})


def validate(objects: Iterable[KubeObject]) -> None:
    for obj in objects:
        problem = string_field_problem(obj)
        if problem is not None:
            raise BadInput(f"{obj.source}:{problem[0]}: {problem[1]}")
        if obj.kind == "NetworkPolicy" and obj.group == "extensions":
            raise BadInput(f"{obj.source}: NetworkPolicy {obj.name}: extensions/v1beta1 is not "
                           "served since Kubernetes 1.16: use apiVersion networking.k8s.io/v1")
        if obj.kind == "NetworkPolicy" and obj.group == "networking.k8s.io":
            if obj.api_version != "networking.k8s.io/v1":
                raise BadInput(f"{obj.source}: NetworkPolicy {obj.name}: no such version "
                               f"{obj.api_version}: use networking.k8s.io/v1")
            _network_policy(obj)


def string_field_problem(obj: KubeObject) -> tuple[int, str] | None:
    """(line, `metadata.namespace of Pod web is a boolean (true); quote it`) for the first
    name, namespace or label value (of the object or of its pod template) that is not a
    string, else None. `k8s check` leaves such an object out of the network analysis."""
    fields: list[tuple[str, Any]] = []
    metadata = obj.body.get("metadata")
    if isinstance(metadata, Mapping):
        fields += [(f"metadata.{key}", metadata.get(key)) for key in ("name", "namespace")]
        fields += _label_fields("metadata", metadata)
    template = pod_template(obj, None)
    if template is not None and template.prefix:
        fields += _label_fields(f"{template.prefix}.metadata", template.metadata)
    for path, value in fields:
        if value is not None and not isinstance(value, str):
            named = f"{obj.kind} {obj.name}" if obj.name else f"a {obj.kind}"
            return obj.line_of(path), f"{path} of {named} is {not_a_string(value)}"
    return None


def _label_fields(prefix: str, metadata: Mapping[str, Any]) -> list[tuple[str, Any]]:
    labels = metadata.get("labels")
    if not isinstance(labels, Mapping):
        return []
    return [(f"{prefix}.labels{key_step(str(key))}", value) for key, value in labels.items()]


def port_name_problem(name: str) -> str | None:
    if not _PORT_NAME.fullmatch(name) or "--" in name or not re.search("[a-z]", name):
        return (f"port name {name!r} is not valid: at most 15 lowercase letters, digits and "
                "'-', with at least one letter, not starting or ending with '-'")
    return None


def _network_policy(obj: KubeObject) -> None:
    namespace = object_namespace(obj)
    place = f"{obj.source}: NetworkPolicy {namespace}/{obj.name}"
    if not obj.name:
        raise BadInput(f"{obj.source}: NetworkPolicy without metadata.name")
    if not _DNS_LABEL.fullmatch(namespace):
        raise BadInput(f"{place}: metadata.namespace {namespace!r} is not a namespace name "
                       "(lowercase letters, digits and '-', at most 63)")
    spec = obj.body.get("spec")
    if not isinstance(spec, Mapping):
        return  # the engine names a spec of the wrong type
    _fields(spec, _SPEC, f"{place}: spec")
    _selector(spec.get("podSelector"), f"{place}: spec.podSelector")
    for key, allowed, peers_key in (("ingress", _INGRESS, "from"), ("egress", _EGRESS, "to")):
        for index, rule in enumerate(sequence(spec.get(key))):
            rule_place = f"{place}: spec.{key}[{index}]"
            if not isinstance(rule, Mapping):
                continue
            _fields(rule, allowed, rule_place)
            for peer_index, peer in enumerate(sequence(rule.get(peers_key))):
                _peer(peer, f"{rule_place}.{peers_key}[{peer_index}]")
            for port_index, port in enumerate(sequence(rule.get("ports"))):
                port_place = f"{rule_place}.ports[{port_index}]"
                if isinstance(port, Mapping):
                    _fields(port, _PORT, port_place)
                    name = port.get("port")
                    problem = port_name_problem(name) if isinstance(name, str) and name else None
                    if problem:
                        raise BadInput(f"{port_place}: named port error: {problem}")


def _peer(peer: Any, place: str) -> None:
    if not isinstance(peer, Mapping):
        return
    _fields(peer, _PEER, place)
    _selector(peer.get("podSelector"), f"{place}.podSelector")
    _selector(peer.get("namespaceSelector"), f"{place}.namespaceSelector")
    block = peer.get("ipBlock")
    if not isinstance(block, Mapping):
        return
    _fields(block, _IP_BLOCK, f"{place}.ipBlock")
    try:
        cidr = ipaddress.ip_network(str(block.get("cidr")).strip(), strict=False)
    except ValueError:
        return  # the engine names a bad CIDR
    for text in sequence(block.get("except")):
        try:
            hole = ipaddress.ip_network(str(text).strip(), strict=False)
        except ValueError:
            continue
        if not (hole.version == cidr.version and hole != cidr
                and hole.subnet_of(cidr)):  # type: ignore[arg-type]
            raise BadInput(f"{place}.ipBlock: CIDR error: except {text!r} is not strictly "
                           f"inside cidr {block.get('cidr')!r}")


def _selector(node: Any, place: str) -> None:
    if not isinstance(node, Mapping):
        return
    _fields(node, _SELECTOR, place)
    for index, expression in enumerate(sequence(node.get("matchExpressions"))):
        if isinstance(expression, Mapping):
            _fields(expression, _EXPRESSION, f"{place}.matchExpressions[{index}]")


def _fields(node: Mapping[str, Any], allowed: frozenset[str], place: str) -> None:
    unknown = sorted(str(k) for k in node if k not in allowed)
    if unknown:
        raise BadInput(f"{place}: unknown field {unknown[0]!r} (known: "
                       f"{', '.join(sorted(allowed))})")
