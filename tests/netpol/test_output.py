"""The csv, md and dot formats, exactly as netpol-analyzer's `list` writes them, and the
shared-row listing (ConnectionTable) giving the same lines as the Connection list."""

from __future__ import annotations

from pathlib import Path

from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import Analysis, Options, analyze
from tenlayer.netpol.output import render_csv, render_dot, render_md, render_txt
from tests.cli.test_cli import run
from tests.netpol.test_engine import namespace, pod

MANIFESTS = namespace("team-b", team="b") + pod("a", app="a") + """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: team-b}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers: [{name: c, image: img, ports: [{name: web, containerPort: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-in, namespace: team-b}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}]
    ports: [{port: web}, {port: 53, protocol: UDP}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
"""

ALL = "0.0.0.0-255.255.255.255[External]"
LOW, TEN, HIGH = ("0.0.0.0-9.255.255.255[External]", "10.0.0.0-10.255.255.255[External]",
                  "11.0.0.0-255.255.255.255[External]")


def analysis_of(tmp_path: Path, text: str = MANIFESTS,
                options: Options | None = None) -> Analysis:
    (tmp_path / "objects.yaml").write_text(text)
    objects = load_manifests([str(tmp_path / "objects.yaml")], typed_lists=True).objects
    return analyze(objects, options or Options())


def test_csv_quotes_a_field_with_commas_as_go_does(tmp_path: Path) -> None:
    assert render_csv(analysis_of(tmp_path)).decode() == f"""\
src,dst,conn
{ALL},ns1/a[Pod],All Connections
ns1/a[Pod],{LOW},All Connections
ns1/a[Pod],{TEN},All Connections
ns1/a[Pod],{HIGH},All Connections
ns1/a[Pod],team-b/b[Deployment],"TCP 8080,UDP 53"
team-b/b[Deployment],{TEN},All Connections
"""


def test_md_is_a_table_sorted_by_source_then_destination(tmp_path: Path) -> None:
    assert render_md(analysis_of(tmp_path)).decode() == f"""\
| src | dst | conn |
|-----|-----|------|
| {ALL} | ns1/a[Pod] | All Connections |
| ns1/a[Pod] | {LOW} | All Connections |
| ns1/a[Pod] | {TEN} | All Connections |
| ns1/a[Pod] | {HIGH} | All Connections |
| ns1/a[Pod] | team-b/b[Deployment] | TCP 8080,UDP 53 |
| team-b/b[Deployment] | {TEN} | All Connections |
"""


def test_focus_conn_tables_name_pairs_only(tmp_path: Path) -> None:
    analysis = analysis_of(tmp_path, options=Options(focus_conn=("UDP", 53)))
    assert render_csv(analysis).decode() == f"""\
src,dst
{ALL},ns1/a[Pod]
ns1/a[Pod],{LOW}
ns1/a[Pod],{TEN}
ns1/a[Pod],{HIGH}
ns1/a[Pod],team-b/b[Deployment]
team-b/b[Deployment],{TEN}
"""
    assert render_md(analysis).decode().splitlines()[:3] == [
        "| src | dst |", "|-----|-----|", f"| {ALL} | ns1/a[Pod] |"]


def _node(name: str, label: str) -> str:
    return f'\t\t"{name}" [label="{label}" color="blue" fontcolor="blue"]'


def _ip(name: str) -> str:
    return f'\t"{name}" [label="{name}" color="red2" fontcolor="red2"]'


def _edge(src: str, dst: str, conn: str, weight: str) -> str:
    return (f'\t"{src}" -> "{dst}" [label="{conn}" color="gold2" fontcolor="darkgreen" '
            f"weight={weight}]")


def test_dot_boxes_namespaces_and_weighs_edges_by_name_order(tmp_path: Path) -> None:
    # weight 0.5 when the source sorts first, 1 otherwise; `-` becomes `_` in box names
    lonely = MANIFESTS + "---\n" + pod("lonely", "team-b", app="lonely") + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: team-b}
spec:
  podSelector: {matchLabels: {app: lonely}}
  policyTypes: [Ingress, Egress]
"""
    assert render_dot(analysis_of(tmp_path, lonely)).decode() == "\n".join([
        "digraph {",
        '\tsubgraph "cluster_ns1" {', '\t\tcolor="black"', '\t\tfontcolor="black"',
        _node("ns1/a[Pod]", "a[Pod]"), '\t\tlabel="ns1"', "\t}",
        '\tsubgraph "cluster_team_b" {', '\t\tcolor="black"', '\t\tfontcolor="black"',
        _node("team-b/b[Deployment]", "b[Deployment]"),
        _node("team-b/lonely[Pod]", "lonely[Pod]"),
        '\t\tlabel="team-b"', "\t}",
        _ip(ALL), _ip(LOW), _ip(TEN), _ip(HIGH),
        _edge(ALL, "ns1/a[Pod]", "All Connections", "0.5"),
        _edge("ns1/a[Pod]", LOW, "All Connections", "1"),
        _edge("ns1/a[Pod]", TEN, "All Connections", "1"),
        _edge("ns1/a[Pod]", HIGH, "All Connections", "1"),
        _edge("ns1/a[Pod]", "team-b/b[Deployment]", "TCP 8080,UDP 53", "0.5"),
        _edge("team-b/b[Deployment]", TEN, "All Connections", "1"),
        "}", ""])


UDN = """\
apiVersion: v1
kind: Namespace
metadata:
  name: green
  labels: {k8s.ovn.org/primary-user-defined-network: ""}
---
apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: net, namespace: green}
spec:
  topology: Layer2
  layer2: {role: Primary, subnets: [10.100.0.0/16]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: green, labels: {app: web}}
spec:
  containers: [{name: c, image: img}]
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: default, labels: {app: app}}
spec:
  containers: [{name: c, image: img}]
"""


def test_dot_with_a_user_defined_network_boxes_the_pod_network(tmp_path: Path) -> None:
    lines = render_dot(analysis_of(tmp_path, UDN)).decode().splitlines()
    assert lines[:10] == [
        "digraph {",
        '\tsubgraph "cluster_pod_network" {', '\tlabel="pod network"',
        '\tsubgraph "cluster_default" {', '\t\tcolor="black"', '\t\tfontcolor="black"',
        _node("default/app[Pod]", "app[Pod]"), '\t\tlabel="default"', "\t}", "\t}"]
    assert lines[10:15] == [
        '\tsubgraph "cluster_green[udn]" {', '\t\tcolor="black"', '\t\tfontcolor="black"',
        _node("green[udn]/web[Pod]", "web[Pod]"), '\t\tlabel="green[udn]"']


def test_shared_rows_give_every_line_once(tmp_path: Path) -> None:
    analysis = analysis_of(tmp_path)
    table, = analysis.tables
    lines = [f"{c.src} => {c.dst} : {c.conns.text()}" for c in analysis.connections]
    assert len(table) == len(lines) == 6
    assert render_txt(analysis).decode() == "\n".join(lines) + "\n"


def test_cli_formats(tmp_path: Path) -> None:
    (tmp_path / "objects.yaml").write_text(MANIFESTS)
    result = run("k8s", "netpol", str(tmp_path / "objects.yaml"))  # txt: streamed to stdout
    assert result.stdout == render_txt(analysis_of(tmp_path)).decode()
    assert result.stdout.count("\n") == 6
    result = run("k8s", "netpol", str(tmp_path / "objects.yaml"), "-f", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "src,dst,conn"
    result = run("k8s", "netpol", str(tmp_path / "objects.yaml"), "-f", "svg")
    assert result.returncode == 2
    assert "svg" in result.stderr and "Traceback" not in result.stderr
