"""The connectivity engine piece by piece, with the exact connection lines it must give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import Options, analyze
from tenlayer.netpol.ipranges import ip_block, split_points
from tenlayer.netpol.output import render_json, render_txt
from tenlayer.netpol.ports import ConnectionSet

ALL_IPS = "0.0.0.0-255.255.255.255[External]"


def pod(name: str, namespace: str = "ns1", ports: str = "", **labels: str) -> str:
    label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{{label_text}}}}}
spec:
  containers:
  - name: c
    image: img
    ports: [{ports}]
---
"""


def namespace(name: str, **labels: str) -> str:
    label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return f"""\
apiVersion: v1
kind: Namespace
metadata: {{name: {name}, labels: {{{label_text}}}}}
---
"""


def connlist(tmp_path: Path, text: str, options: Options | None = None) -> set[str]:
    (tmp_path / "objects.yaml").write_text(text)
    objects = load_manifests([str(tmp_path / "objects.yaml")], typed_lists=True).objects
    return set(render_txt(analyze(objects, options or Options())).decode().splitlines())


def test_no_policy_allows_everything_both_ways(tmp_path: Path) -> None:
    assert connlist(tmp_path, pod("a", app="a") + pod("b", app="b")) == {
        f"{ALL_IPS} => ns1/a[Pod] : All Connections",
        f"{ALL_IPS} => ns1/b[Pod] : All Connections",
        f"ns1/a[Pod] => {ALL_IPS} : All Connections",
        f"ns1/b[Pod] => {ALL_IPS} : All Connections",
        "ns1/a[Pod] => ns1/b[Pod] : All Connections",
        "ns1/b[Pod] => ns1/a[Pod] : All Connections",
    }


MATCH_EXPRESSIONS_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns1}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: team, operator: In, values: [blue, green]}]
      podSelector:
        matchExpressions: [{key: role, operator: NotIn, values: [banned]},
                           {key: app, operator: Exists}]
    ports: [{port: 8080}, {protocol: UDP, port: 53}]
"""


def test_selectors_with_match_expressions_and_default_protocol(tmp_path: Path) -> None:
    text = (namespace("ns1", team="blue") + namespace("ns2", team="red")
            + pod("server", app="server") + pod("client", app="client")
            + pod("banned", app="x", role="banned") + pod("nolabel")
            + pod("other", "ns2", app="client") + MATCH_EXPRESSIONS_POLICY)
    into_server = {line for line in connlist(tmp_path, text) if "=> ns1/server" in line}
    assert into_server == {"ns1/client[Pod] => ns1/server[Pod] : TCP 8080,UDP 53"}


def test_ip_block_with_except_splits_the_address_space(tmp_path: Path) -> None:
    policy = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns1}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 443}]
"""
    assert connlist(tmp_path, pod("a") + policy) == {
        f"{ALL_IPS} => ns1/a[Pod] : All Connections",
        "ns1/a[Pod] => 10.0.0.0-10.0.255.255[External] : TCP 443",
        "ns1/a[Pod] => 10.2.0.0-10.255.255.255[External] : TCP 443",
    }


def test_named_ports_resolve_on_the_destination_and_end_port_gives_a_range(
        tmp_path: Path) -> None:
    policy = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns1}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - ports: [{port: http}, {port: dns, protocol: UDP}, {port: 9000, endPort: 9010},
            {port: metrics}]
"""
    server_ports = ("{name: http, containerPort: 8080}, "
                    "{name: dns, containerPort: 53, protocol: UDP}, "
                    "{name: metrics, containerPort: 9100, protocol: UDP}")
    lines = connlist(tmp_path, pod("server", ports=server_ports, app="server")
                     + pod("client", app="client") + policy)
    # `metrics` is a UDP port, and the rule asks for TCP: it matches nothing
    assert "ns1/client[Pod] => ns1/server[Pod] : TCP 8080,9000-9010,UDP 53" in lines
    assert f"{ALL_IPS} => ns1/server[Pod] : TCP 8080,9000-9010,UDP 53" in lines


def test_egress_and_ingress_intersect(tmp_path: Path) -> None:
    policies = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: ns1}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{ports: [{port: 80, endPort: 90}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: ns1}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{ports: [{port: 85, endPort: 100}, {protocol: SCTP}]}]
"""
    lines = connlist(tmp_path, pod("server", app="server") + pod("client", app="client")
                     + policies)
    assert "ns1/client[Pod] => ns1/server[Pod] : TCP 85-90" in lines
    assert "ns1/server[Pod] => ns1/client[Pod] : All Connections" in lines
    assert f"ns1/client[Pod] => {ALL_IPS} : TCP 80-90" in lines
    assert f"{ALL_IPS} => ns1/server[Pod] : SCTP 1-65535,TCP 85-100" in lines


ADMIN = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: first}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: ns1}}}
  ingress:
  - {action: Pass, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: ns2}}}],
     ports: [{portNumber: {port: 80, protocol: TCP}}]}
  - {action: Deny, from: [{namespaces: {}}], ports: [{portRange: {start: 1, end: 1000}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: second}
spec:
  priority: 2
  subject: {pods: {podSelector: {matchLabels: {app: server}}}}
  ingress:
  - {action: Allow, from: [{pods: {podSelector: {}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 80, protocol: TCP}}]}
"""


def test_admin_priorities_pass_deny_and_the_baseline(tmp_path: Path) -> None:
    lines = connlist(tmp_path, pod("server", app="server") + pod("peer", "ns2", app="peer")
                     + ADMIN)
    # priority 1 passes TCP 80 (to NetworkPolicies: none, so to the baseline, which denies
    # it) and denies TCP 1-1000; priority 2 allows the rest
    assert "ns2/peer[Pod] => ns1/server[Pod] : SCTP 1-65535,TCP 1001-65535,UDP 1-65535" in lines
    # addresses match no admin rule (ingress rules name pods only): all allowed
    assert f"{ALL_IPS} => ns1/server[Pod] : All Connections" in lines


def test_pass_goes_to_network_policies_when_they_select_the_pod(tmp_path: Path) -> None:
    policy = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns1}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}, {port: 443}]}]
"""
    lines = connlist(tmp_path, pod("server", app="server") + pod("peer", "ns2", app="peer")
                     + ADMIN + "---\n" + policy)
    assert "ns2/peer[Pod] => ns1/server[Pod] : SCTP 1-65535,TCP 80,1001-65535,UDP 1-65535" in lines


def test_focus_workload_and_json(tmp_path: Path) -> None:
    text = pod("a", app="a") + pod("b", app="b") + pod("c", "ns2", app="c")
    assert connlist(tmp_path, text, Options(("ns2/c",), ("a",), "egress")) == {
        "ns2/c[Pod] => ns1/a[Pod] : All Connections"}
    (tmp_path / "objects.yaml").write_text(text)
    analysis = analyze(load_manifests([str(tmp_path / "objects.yaml")]).objects,
                       Options(("c",), ("b",), "ingress"))
    assert render_json(analysis) == (
        b'[\n  {\n    "src": "ns1/b[Pod]",\n    "dst": "ns2/c[Pod]",\n'
        b'    "conn": "All Connections"\n  }\n]\n')


def test_workloads_are_named_as_their_owners(tmp_path: Path) -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-rs-abc12
  namespace: shop
  labels: {app: web}
  ownerReferences: [{kind: ReplicaSet, name: web-rs, controller: true}]
spec: {containers: [{name: c, image: i}]}
"""
    assert connlist(tmp_path, text) >= {"shop/web-rs[ReplicaSet] => shop/web[Deployment] : "
                                        "All Connections"}


def test_connection_set_text() -> None:
    assert ConnectionSet.all().text() == "All Connections"
    tcp = ConnectionSet.of("TCP", [(80, 80), (81, 90), (100, 100)])
    assert tcp.union(ConnectionSet.of("UDP", [(53, 53)])).text() == "TCP 80-90,100,UDP 53"
    assert ConnectionSet.all().subtract(tcp).text() == (
        "SCTP 1-65535,TCP 1-79,91-99,101-65535,UDP 1-65535")


def test_ip_blocks_and_split_points() -> None:
    block = ip_block("10.0.0.0/8", ["10.1.0.0/16"], "here")
    assert block.intervals == ((167772160, 167837695), (167903232, 184549375))
    assert len(split_points([block])) == 5


@pytest.mark.parametrize(("document", "message"), [
    ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyy\nmetadata: {name: p}\n",
     "unknown kind 'NetworkPolicyy' in networking.k8s.io/v1"),
    ("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminPolicy\nmetadata: {name: p}\n",
     "unknown kind 'AdminPolicy'"),
    ("apiVersion: v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
     "unknown kind 'Deployment' in v1"),
    ("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: d}\n",
     "unknown kind 'Deploymnet' in apps/v1 (known there: ControllerRevision, DaemonSet, "
     "Deployment, ReplicaSet, StatefulSet)"),
    ("apiVersion: batch/v1\nkind: Deployment\nmetadata: {name: d}\n",
     "unknown kind 'Deployment' in batch/v1 (known there: CronJob, Job)"),
    ("apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: d}\n",
     "Deployment d: no such version apps/v2 (served: v1, v1beta1, v1beta2)"),
    ("apiVersion: v2\nkind: Pod\nmetadata: {name: d}\n",
     "Pod d: no such version v2 (served: v1)"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
     "Deployment d: Deployment has no spec.template: no pods to analyse"),
])
def test_unknown_kinds_are_refused(tmp_path: Path, document: str, message: str) -> None:
    with pytest.raises(BadInput, match=re.escape(message)):
        connlist(tmp_path, pod("a") + document)


@pytest.mark.parametrize("document", [
    "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n"
    "spec: {template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c}]}}}\n",
    "apiVersion: example.com/v9\nkind: Anything\nmetadata: {name: x}\n",
    "apiVersion: v1\nkind: Template\nmetadata: {name: t}\n",
])
def test_old_versions_crds_and_openshift_v1_kinds_are_accepted(
        tmp_path: Path, document: str) -> None:
    connlist(tmp_path, pod("a") + document)


@pytest.mark.parametrize(("spec", "message"), [
    ("ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]", "invalid CIDR address"),
    ("ingress: [{from: [{ipBlock: {cidr: 1.2.3.0/24}, podSelector: {}}]}]",
     "ipBlock cannot be combined"),
    ("ingress: [{from: [{}]}]", "empty peer"),
    ("ingress: [{ports: [{port: 70000}]}]", "port 70000 is not a number in 1-65535"),
    ("ingress: [{ports: [{port: 90, endPort: 80}]}]", "illegal port range 90-80"),
    ("ingress: [{ports: [{port: http, endPort: 80}]}]", "endPort cannot be used with"),
    ("ingress: [{ports: [{port: 80, protocol: ICMP}]}]", "protocol 'ICMP' is not"),
    ("podSelector: {matchLabels: {'bad key!': x}}", "selector error: invalid label key"),
    ("podSelector: {matchExpressions: [{key: a, operator: Has}]}", "'Has' is not a valid"),
    ("podSelector: {matchExpressions: [{key: a, operator: In}]}", "In on 'a' needs values"),
    ("policyTypes: [Sideways]", "'Sideways' is neither Ingress nor Egress"),
])
def test_bad_network_policies_are_refused(tmp_path: Path, spec: str, message: str) -> None:
    policy = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              f"metadata: {{name: p, namespace: ns1}}\nspec:\n  {spec}\n")
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace("[", r"\[")):
        connlist(tmp_path, pod("a") + policy)


def test_cli_lists_connections_and_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    from tests.cli.test_cli import run

    (tmp_path / "ok.yaml").write_text(pod("a", app="a") + pod("b", app="b"))
    result = run("k8s", "netpol", str(tmp_path / "ok.yaml"), "--focus-workload", "a",
                 "--focus-direction", "egress")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"ns1/a[Pod] => {ALL_IPS} : All Connections",
                                          "ns1/a[Pod] => ns1/b[Pod] : All Connections"]
    (tmp_path / "bad.yaml").write_text(pod("a") + "apiVersion: networking.k8s.io/v1\n"
                                       "kind: NetworkPolicy\nmetadata: {name: p}\n"
                                       "spec: {podSelector: {matchLabels: {a: 'x y'}}}\n")
    result = run("k8s", "netpol", str(tmp_path / "bad.yaml"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "NetworkPolicy default/p: spec.podSelector: selector error: invalid label value" in (
        result.stderr)
    (tmp_path / "none.yaml").write_text(namespace("ns1"))
    result = run("k8s", "netpol", str(tmp_path / "none.yaml"))
    assert (result.returncode, result.stderr.count("\n")) == (2, 1)
    result = run("k8s", "netpol", str(tmp_path / "ok.yaml"), "--focus-direction", "ingress")
    assert result.returncode == 2
    assert "need --focus-workload" in result.stderr


def test_ingress_and_route_make_ingress_controller_connections(tmp_path: Path) -> None:
    objects = pod("web", ports="{name: http, containerPort: 8080}", app="web") + """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns1}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 81, targetPort: 9090}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ns1}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: admin, namespace: ns1}
spec:
  to: {kind: Service, name: web}
  port: {targetPort: 9090}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-http, namespace: ns1}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 8080}]}]
"""
    lines = connlist(tmp_path, objects)
    # the Route's 9090 is allowed by no policy: only the Ingress's port remains
    assert "{ingress-controller} => ns1/web[Pod] : TCP 8080" in lines


UDN = """\
apiVersion: v1
kind: Namespace
metadata: {name: blue, labels: {k8s.ovn.org/primary-user-defined-network: ""}}
---
apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: net, namespace: blue}
spec: {topology: Layer2, layer2: {role: Primary, subnets: [192.168.0.0/16]}}
---
"""


def test_primary_udn_isolates_its_namespace_and_output_has_sections(tmp_path: Path) -> None:
    text = UDN + pod("a", "blue") + pod("b", "blue") + pod("c", "ns1")
    (tmp_path / "objects.yaml").write_text(text)
    analysis = analyze(load_manifests([str(tmp_path / "objects.yaml")]).objects)
    assert render_txt(analysis).decode() == f"""\
Permitted connectivity analyzed in Pod network:
{ALL_IPS} => ns1/c[Pod] : All Connections
ns1/c[Pod] => {ALL_IPS} : All Connections

Permitted connectivity analyzed in primary UDN blue:
{ALL_IPS} => blue[udn]/a[Pod] : All Connections
{ALL_IPS} => blue[udn]/b[Pod] : All Connections
blue[udn]/a[Pod] => {ALL_IPS} : All Connections
blue[udn]/a[Pod] => blue[udn]/b[Pod] : All Connections
blue[udn]/b[Pod] => {ALL_IPS} : All Connections
blue[udn]/b[Pod] => blue[udn]/a[Pod] : All Connections

Workload-to-Networks Mapping:
blue/a[Pod]: \n\tPrimary Network: blue[UDN]
blue/b[Pod]: \n\tPrimary Network: blue[UDN]
ns1/c[Pod]: \n\tPrimary Network: pod-network
"""


def test_secondary_network_with_multi_network_policy_and_focus_conn(tmp_path: Path) -> None:
    attached = "k8s.v1.cni.cncf.io/networks: l2"
    text = (pod("a", app="a").replace("labels:", f"annotations: {{{attached}}}, labels:")
            + pod("b", app="b").replace("labels:", f"annotations: {{{attached}}}, labels:")
            + """\
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: l2, namespace: ns1}
spec: {config: '{}'}
---
apiVersion: k8s.cni.cncf.io/v1beta1
kind: MultiNetworkPolicy
metadata:
  name: p
  namespace: ns1
  annotations: {k8s.v1.cni.cncf.io/policy-for: ns1/l2}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 80}]}]
""")
    lines = connlist(tmp_path, text, Options(focus_conn=("TCP", 80)))
    assert lines == {
        "Permitted connections on TCP 80:",
        "Permitted connectivity analyzed in Pod network:",
        f"{ALL_IPS} => ns1/a[Pod]", f"{ALL_IPS} => ns1/b[Pod]",
        f"ns1/a[Pod] => {ALL_IPS}", f"ns1/b[Pod] => {ALL_IPS}",
        "ns1/a[Pod] => ns1/b[Pod]", "ns1/b[Pod] => ns1/a[Pod]",
        "", "Permitted connectivity analyzed in secondary NAD l2:",
    }
    full = connlist(tmp_path, text)
    assert "ns1/a[Pod] => ns1/b[Pod] : TCP 80" in full  # on l2, only port 80 gets in
    assert "\tSecondary Networks: l2[NAD]" in full


def test_txt_is_sorted_by_source_then_destination(tmp_path: Path) -> None:
    policy = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns1}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {}}]}]
"""
    (tmp_path / "objects.yaml").write_text(pod("b", app="b") + pod("a-x", app="a") + policy)
    analysis = analyze(load_manifests([str(tmp_path / "objects.yaml")]).objects)
    assert render_txt(analysis).decode() == f"""\
0.0.0.0-9.255.255.255[External] => ns1/a-x[Pod] : All Connections
10.0.0.0-10.255.255.255[External] => ns1/a-x[Pod] : All Connections
10.0.0.0-10.255.255.255[External] => ns1/b[Pod] : All Connections
11.0.0.0-255.255.255.255[External] => ns1/a-x[Pod] : All Connections
ns1/a-x[Pod] => {ALL_IPS} : All Connections
ns1/a-x[Pod] => ns1/b[Pod] : All Connections
ns1/b[Pod] => {ALL_IPS} : All Connections
ns1/b[Pod] => ns1/a-x[Pod] : All Connections
"""


def test_unsupported_nodes_peers_are_named_in_a_warning(tmp_path: Path) -> None:
    admin = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: to-nodes}
spec:
  priority: 3
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}]
"""
    (tmp_path / "objects.yaml").write_text(pod("a") + admin)
    analysis = analyze(load_manifests([str(tmp_path / "objects.yaml")]).objects)
    assert analysis.warnings == (
        f"{tmp_path / 'objects.yaml'}: AdminNetworkPolicy to-nodes: spec.egress[0]: `nodes` "
        "peers are not supported and match nothing",)
    assert render_txt(analysis).decode().splitlines() == [
        f"{ALL_IPS} => ns1/a[Pod] : All Connections", f"ns1/a[Pod] => {ALL_IPS} : All Connections"]


def test_ipv6_ip_blocks_match_nothing_and_are_named_in_a_warning(tmp_path: Path) -> None:
    policy = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: v6, namespace: ns1}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: "2001:db8::/32"}}]}]
"""
    (tmp_path / "objects.yaml").write_text(pod("a") + policy)
    analysis = analyze(load_manifests([str(tmp_path / "objects.yaml")]).objects)
    assert analysis.warnings == (
        f"{tmp_path / 'objects.yaml'}: NetworkPolicy ns1/v6: IPv6 ipBlocks are not analysed "
        "(IPv4 only): they match nothing here",)
    assert render_txt(analysis).decode().splitlines() == [
        f"ns1/a[Pod] => {ALL_IPS} : All Connections"]
