"""Exposure analysis (`k8s netpol --exposure`), as netpol-analyzer's `list --exposure` gives
it: exact txt, json, md, csv and dot on manifests written here, and, when ../shared/data is
present, the exposure sections checked line by line against netpol-analyzer's own outputs
(test_outputs/connlist/<case>_exposure_output.txt) for the cases short enough to hold here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenlayer.kube.inputs import load_manifests
from tenlayer.netpol.connectivity import Analysis, Options, analyze
from tenlayer.netpol.output import render_csv, render_dot, render_json, render_md, render_txt
from tests.cli.test_cli import run
from tests.netpol.test_engine import namespace, pod

SHOP = namespace("shop") + pod("web", "shop", "{name: http, containerPort: 8080}", app="web") \
    + pod("db", "shop", app="db") + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
  - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
    ports: [{port: 9000}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{port: http}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
  - to: [{podSelector: {matchLabels: {app: cache}}}]
    ports: [{port: 6379}, {port: redis}]
"""

LOW, TEN, HIGH = ("0.0.0.0-9.255.255.255[External]", "10.0.0.0-10.255.255.255[External]",
                  "11.0.0.0-255.255.255.255[External]")


def exposure_of(tmp_path: Path, text: str = SHOP) -> Analysis:
    (tmp_path / "objects.yaml").write_text(text)
    objects = load_manifests([str(tmp_path / "objects.yaml")], typed_lists=True).objects
    return analyze(objects, Options(exposure=True))


def test_txt_lists_entire_cluster_representative_peers_and_addresses(tmp_path: Path) -> None:
    # db's rule naming app=web is left out (shop/web has exactly those labels); web's
    # named port resolves into it (TCP 8080) but stays a name towards pods that may exist
    assert render_txt(exposure_of(tmp_path)).decode() == f"""\
shop/db[Pod] => {LOW} : All Connections
shop/db[Pod] => {TEN} : All Connections
shop/db[Pod] => {HIGH} : All Connections
shop/db[Pod] => shop/web[Pod] : TCP 8080
shop/web[Pod] => {TEN} : All Connections

Exposure Analysis Result:
Egress Exposure:
shop/db[Pod]  \t=> \t{LOW} : All Connections
shop/db[Pod]  \t=> \t{TEN} : All Connections
shop/db[Pod]  \t=> \t{HIGH} : All Connections
shop/db[Pod]  \t=> \tentire-cluster : All Connections
shop/web[Pod] \t=> \t{TEN} : All Connections
shop/web[Pod] \t=> \tshop/[pod with {{app=cache}}] : TCP 6379,redis

Ingress Exposure:
shop/db[Pod]  \t<= \t[namespace with {{team=ops}}]/[all pods] : TCP 9000
shop/web[Pod] \t<= \tentire-cluster : TCP 8080

Workloads not protected by network policies:
shop/db[Pod] is not protected on Egress
"""


def test_json_has_connlist_and_exposure_results(tmp_path: Path) -> None:
    document = json.loads(render_json(exposure_of(tmp_path)))
    assert list(document) == ["connlist_results", "exposure_results"]
    assert len(document["connlist_results"]) == 5
    assert document["exposure_results"]["ingress_exposure"] == [
        {"src": "[namespace with {team=ops}]/[all pods]", "dst": "shop/db[Pod]",
         "conn": "TCP 9000"},
        {"src": "entire-cluster", "dst": "shop/web[Pod]", "conn": "TCP 8080"}]


def test_focus_direction_and_connection_narrow_the_exposure(tmp_path: Path) -> None:
    (tmp_path / "objects.yaml").write_text(SHOP)
    result = run("k8s", "netpol", str(tmp_path / "objects.yaml"), "--exposure",
                 "--focus-workload", "web", "--focus-direction", "egress",
                 "--focus-conn", "tcp-6379")
    assert result.stdout == f"""\
Permitted connections on TCP 6379:
shop/web[Pod] => {TEN}

Exposure Analysis Result On TCP 6379:
Egress Exposure:
shop/web[Pod] \t=> \t{TEN}
shop/web[Pod] \t=> \tshop/[pod with {{app=cache}}]
"""
    result = run("k8s", "netpol", str(tmp_path / "objects.yaml"), "--exposure",
                 "--focus-workload", "db", "--focus-direction", "ingress", "-f", "csv")
    assert result.stdout == """\
src,dst,conn
Exposure Analysis Result:,,
Ingress Exposure:,,
dst,src,conn
shop/db[Pod],[namespace with {team=ops}]/[all pods],TCP 9000
"""


ONE = pod("a", app="a") + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: ns1}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: env, operator: In, values: [prod, stage]}]
"""

REPRESENTATIVE = "[namespace with {{Key:env,Operator:In,Values:[prod stage],}}]/[all pods]"


def test_match_expressions_are_shown_as_written_and_empty_lists_are_null(
        tmp_path: Path) -> None:
    analysis = exposure_of(tmp_path, ONE)
    assert render_txt(analysis).decode() == f"""\
Exposure Analysis Result:
Ingress Exposure:
ns1/a[Pod] \t<= \t{REPRESENTATIVE} : All Connections
"""
    assert json.loads(render_json(analysis)) == {
        "connlist_results": [],
        "exposure_results": {"egress_exposure": None, "ingress_exposure": [
            {"src": REPRESENTATIVE, "dst": "ns1/a[Pod]", "conn": "All Connections"}]}}


def test_md_and_csv_sections(tmp_path: Path) -> None:
    analysis = exposure_of(tmp_path, ONE)
    assert render_md(analysis).decode() == f"""\
| src | dst | conn |
|-----|-----|------|
## Exposure Analysis Result:

### Ingress Exposure:
| dst | src | conn |
|-----|-----|------|
| ns1/a[Pod] | {REPRESENTATIVE} | All Connections |
"""
    # the representative's text holds commas: quoted, as Go's encoding/csv does
    assert render_csv(analysis).decode() == f"""\
src,dst,conn
Exposure Analysis Result:,,
Ingress Exposure:,,
dst,src,conn
ns1/a[Pod],"{REPRESENTATIVE}",All Connections
"""


def test_dot_draws_representative_peers_in_red_boxes(tmp_path: Path) -> None:
    namespace, pods = "namespace with {{Key:env,Operator:In,Values:[prod stage],}}", "all pods"
    assert render_dot(exposure_of(tmp_path, ONE)).decode() == "\n".join([
        "digraph {",
        '\tsubgraph "cluster_ns1" {', '\t\tcolor="black"', '\t\tfontcolor="black"',
        '\t\t"ns1/a[Pod]" [label="a[Pod]" color="blue" fontcolor="blue"]',
        '\t\tlabel="ns1"', "\t}",
        f'\tsubgraph "cluster_{namespace}" {{', '\t\tcolor="red2"', '\t\tfontcolor="red2"',
        f'\t\t"{pods}_in_{namespace}" [label="{pods}" color="red2" fontcolor="red2"]',
        f'\t\tlabel="{namespace}"', "\t}",
        f'\t"{pods}_in_{namespace}" -> "ns1/a[Pod]" [label="All Connections" '
        'color="darkorange2" fontcolor="darkgreen" weight=1 style=dashed]',
        "}", ""])


def test_admin_policies_decide_first_and_a_deny_shows_as_no_connections(
        tmp_path: Path) -> None:
    # the AdminNetworkPolicy denies env=prod namespaces before the NetworkPolicy allows
    # them; it protects ns1/a's egress too (its rules there), without opening anything
    (tmp_path / "anp.yaml").write_text(ONE + """\
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a}
spec:
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {matchLabels: {env: prod}}}]
  - action: Allow
    from: [{namespaces: {}}]
    ports: [{portNumber: {port: 53, protocol: UDP}}]
  egress:
  - action: Pass
    to: [{namespaces: {}}]
""")
    result = run("k8s", "netpol", str(tmp_path / "anp.yaml"), "--exposure")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"""\
Exposure Analysis Result:
Ingress Exposure:
ns1/a[Pod] \t<= \t[namespace with {{env=prod}}]/[all pods] : No Connections
ns1/a[Pod] \t<= \t{REPRESENTATIVE} : All Connections
ns1/a[Pod] \t<= \tentire-cluster : UDP 53
"""


# ---- against netpol-analyzer's outputs -----------------------------------------------

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "netpol" / "cases"
W = "hello-world/workload-a[Deployment]"
B = "hello-world/workload-b[Deployment]"
ALL = "0.0.0.0-255.255.255.255[External]"

VERIFIED: dict[str, str] = {
    # the exposure section of netpol-analyzer's test_outputs/connlist/<case>_exposure_output.txt
    "exposure_test_conn_with_new_pod_selector_and_ns_selector": f"""\
Egress Exposure:
{W} \t=> \t{ALL} : All Connections
{W} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \t[namespace with {{effect=NoSchedule}}]/[pod with {{role=monitoring}}] : TCP 8050

Workloads not protected by network policies:
{W} is not protected on Egress
""",
    "exposure_test_conn_with_only_pod_selector": f"""\
Egress Exposure:
{W} \t=> \t{ALL} : All Connections
{W} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \thello-world/[pod with {{role=monitoring}}] : TCP 8050

Workloads not protected by network policies:
{W} is not protected on Egress
""",
    "exposure_test_ingress_from_entire_cluster_with_named_ports": f"""\
Egress Exposure:
{W} \t=> \t{ALL} : All Connections
{W} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \tentire-cluster : TCP 8000,8090

Workloads not protected by network policies:
{W} is not protected on Egress
""",
    "exposure_to_namespace_with_multiple_labels_test": f"""\
Egress Exposure:
{W} \t=> \t{ALL} : All Connections
{W} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \t[namespace with {{effect=NoSchedule,release=stable}}]/[all pods] : TCP 8050

Workloads not protected by network policies:
{W} is not protected on Egress
""",
    "exposure_test_with_match_expression_in_op": f"""\
Egress Exposure:
{W} \t=> \t{ALL} : All Connections
{W} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \t[namespace with {{{{Key:env,Operator:In,Values:[env-1 env-2],}}}}]/[pod with \
{{{{Key:app,Operator:In,Values:[app-1 app-2],}}}}] : All Connections

Workloads not protected by network policies:
{W} is not protected on Egress
""",
    "exposure_test_with_multiple_policies_1": f"""\
Ingress Exposure:
{W} \t<= \t[namespace with {{{{Key:env,Operator:In,Values:[env-1 env-2],}},\
{{Key:tier,Operator:Exists,Values:[],}}}}]/[all pods] : All Connections
""",
    "exposure_test_same_unmatched_rule_in_ingress_egress": f"""\
Egress Exposure:
{W} \t=> \t[namespace with {{{{Key:foo.com/managed-state,Operator:In,Values:[managed],}}}}]\
/[all pods] : TCP 8050

Ingress Exposure:
{W} \t<= \t[namespace with {{{{Key:foo.com/managed-state,Operator:In,Values:[managed],}}}}]\
/[all pods] : TCP 8000,8090
{W} \t<= \tentire-cluster : TCP 8000
""",
    "exposure_test_with_anp_11_with_named_port": f"""\
Egress Exposure:
{W} \t=> \tentire-cluster :  local-port
{B} \t=> \t{ALL} : All Connections
{B} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \tentire-cluster : UDP 8050
{B} \t<= \t{ALL} : All Connections
{B} \t<= \tentire-cluster : All Connections

Workloads not protected by network policies:
{B} is not protected on Egress
{B} is not protected on Ingress
""",
    "exposure_test_with_anp_16": f"""\
Egress Exposure:
{W} \t=> \t[all namespaces]/[pod with {{role=monitoring}}] : No Connections
{W} \t=> \tentire-cluster : All Connections
{B} \t=> \t{ALL} : All Connections
{B} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \t[all namespaces]/[pod with {{role=monitoring}}] : No Connections
{W} \t<= \tentire-cluster : All Connections
{B} \t<= \t{ALL} : All Connections
{B} \t<= \tentire-cluster : All Connections

Workloads not protected by network policies:
{B} is not protected on Egress
{B} is not protected on Ingress
""",
    "exposure_test_with_no_netpols": f"""\
Egress Exposure:
{W} \t=> \t{ALL} : All Connections
{W} \t=> \tentire-cluster : All Connections

Ingress Exposure:
{W} \t<= \t{ALL} : All Connections
{W} \t<= \tentire-cluster : All Connections

Workloads not protected by network policies:
{W} is not protected on Egress
{W} is not protected on Ingress
""",
}


@pytest.mark.conformance
@pytest.mark.parametrize("case", sorted(VERIFIED))
def test_exposure_agrees_with_netpol_analyzer(case: str) -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance data absent: {CASES} (see ../shared/README.md)")
    objects = load_manifests([str(CASES / case)], typed_lists=True).objects
    text = render_txt(analyze(objects, Options(exposure=True))).decode()
    assert text.split("Exposure Analysis Result:\n", 1)[1] == VERIFIED[case]


def test_every_exposure_case_runs() -> None:
    if not CASES.is_dir():
        pytest.skip(f"conformance data absent: {CASES} (see ../shared/README.md)")
    cases = sorted(c for c in CASES.iterdir() if c.name.startswith("exposure_"))
    assert len(cases) > 30
    for case in cases:
        result = run("k8s", "netpol", str(case), "--exposure")
        assert result.returncode == 0, (case, result.stderr)
        assert "Exposure Analysis Result:" in result.stdout, case
