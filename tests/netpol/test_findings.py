"""Network isolation findings: exact ids, objects, severities and titles on small manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.kube.inputs import load_manifests
from tenlayer.model import Finding
from tenlayer.netpol.connectivity import analyze
from tenlayer.netpol.findings import FindingOptions, network_findings
from tenlayer.netpol.resources import NAMESPACE_NAME_LABEL as NAME_LABEL
from tests.cli.test_cli import run
from tests.netpol.test_engine import namespace, pod

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "netpol" / "cases"


def policy(name: str, ns: str, spec: str) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}---\n")


DENY_ALL = "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"


def findings(tmp_path: Path, text: str, tenant: str | None = None) -> list[Finding]:
    (tmp_path / "in.yaml").write_text(text)
    objects = load_manifests([str(tmp_path / "in.yaml")], typed_lists=True).objects
    return network_findings(objects, FindingOptions(tenant_label=tenant))


def short(found: list[Finding]) -> list[tuple[str, str, str, str]]:
    return [(f.severity.name, f.check_id, f.subject, f.title) for f in found]


def test_an_open_namespace_gives_every_exposure_finding(tmp_path: Path) -> None:
    found = findings(tmp_path, namespace("ns1") + pod("a", ports="{name: http, containerPort: 80}",
                                                       app="a"))
    assert short(found) == [
        ("HIGH", "network/reachable-from-internet", "Pod/ns1/a",
         "ns1/a[Pod] accepts All Connections from every external address (0.0.0.0/0)"),
        ("MEDIUM", "network/no-default-deny-ingress", "Namespace/ns1",
         "Namespace ns1 has no default-deny ingress policy: pods no policy selects accept any "
         "connection"),
        ("MEDIUM", "network/reachable-from-all-namespaces", "Pod/ns1/a",
         "ns1/a[Pod] accepts All Connections from any pod of any namespace"),
        ("MEDIUM", "network/unrestricted-egress", "Pod/ns1/a",
         "ns1/a[Pod] may connect to every public address on every port"),
        ("LOW", "network/no-default-deny-egress", "Namespace/ns1",
         "Namespace ns1 has no default-deny egress policy: pods no policy selects open any "
         "connection"),
    ]
    assert {(f.file, f.line) for f in found if f.subject == "Namespace/ns1"} == {
        (str(tmp_path / "in.yaml"), 1)}
    assert {(f.file, f.line) for f in found if f.subject == "Pod/ns1/a"} == {
        (str(tmp_path / "in.yaml"), 5)}
    assert all(f.layer == 7 for f in found)


def test_default_deny_policies_close_the_namespace(tmp_path: Path) -> None:
    assert findings(tmp_path, pod("a", app="a") + policy("deny", "ns1", DENY_ALL)) == []


def test_admin_and_baseline_deny_count_as_default_deny(tmp_path: Path) -> None:
    banp = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
  egress: [{action: Deny, to: [{namespaces: {}}]}, {action: Deny, to: [{networks: [0.0.0.0/0]}]}]
---
"""
    # admin policies have no ingress peers for addresses: from outside, the pod stays open
    assert short(findings(tmp_path, pod("a", app="a") + banp)) == [
        ("HIGH", "network/reachable-from-internet", "Pod/ns1/a",
         "ns1/a[Pod] accepts All Connections from every external address (0.0.0.0/0)")]
    # without the networks rule, egress to the internet stays open
    no_networks = banp.replace(", {action: Deny, to: [{networks: [0.0.0.0/0]}]}", "")
    assert short(findings(tmp_path, pod("a", app="a") + no_networks)) == [
        ("HIGH", "network/reachable-from-internet", "Pod/ns1/a",
         "ns1/a[Pod] accepts All Connections from every external address (0.0.0.0/0)"),
        ("MEDIUM", "network/unrestricted-egress", "Pod/ns1/a",
         "ns1/a[Pod] may connect to every public address on every port"),
        ("LOW", "network/no-default-deny-egress", "Namespace/ns1",
         "Namespace ns1 has no default-deny egress policy: pods no policy selects open any "
         "connection"),
    ]


@pytest.mark.parametrize(("peer", "expected"), [
    ("{namespaceSelector: {}}", ["reachable-from-all-namespaces"]),
    ("{namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}}", []),
    ("{namespaceSelector: {matchLabels: {team: x}}, podSelector: {}}", []),
    ("{podSelector: {}}", []),
    ("{ipBlock: {cidr: 0.0.0.0/0}}", ["reachable-from-internet"]),
    ("{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}", []),
])
def test_who_may_reach_a_workload(tmp_path: Path, peer: str, expected: list[str]) -> None:
    spec = ("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
            f"  ingress: [{{from: [{peer}], ports: [{{port: 80}}]}}]\n")
    found = findings(tmp_path, namespace("ns1", team="x") + pod("a", app="a")
                     + policy("deny", "ns1", DENY_ALL) + policy("p", "ns1", spec))
    assert [f.check_id.removeprefix("network/") for f in found] == expected
    for f in found:
        assert f.evidence == (("connections", "TCP 80"),)


@pytest.mark.parametrize(("rule", "unrestricted"), [
    ("{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}", True),
    ("{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 192.168.0.0/16]}}]}", True),
    ("{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}", False),
    ("{to: [{ipBlock: {cidr: 0.0.0.0/1}}]}", False),
    ("{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}", False),
])
def test_unrestricted_egress_is_every_public_address_on_every_port(
        tmp_path: Path, rule: str, unrestricted: bool) -> None:
    spec = f"  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  egress: [{rule}]\n"
    found = findings(tmp_path, pod("a", app="a") + policy("deny", "ns1", DENY_ALL)
                     + policy("p", "ns1", spec))
    assert [f.check_id for f in found] == (["network/unrestricted-egress"] if unrestricted
                                           else [])


def test_cross_tenant_connections_are_one_finding_per_namespace_pair(tmp_path: Path) -> None:
    text = (namespace("r1", tenant="red") + namespace("r2", tenant="red")
            + namespace("b1", tenant="blue") + namespace("shared")
            + pod("x1", "r1", app="x") + pod("x2", "r1", app="v") + pod("z", "r2", app="z")
            + pod("w", "b1", app="w") + pod("s", "shared", app="s"))
    for ns in ("r1", "r2", "b1", "shared"):
        text += policy("deny", ns, DENY_ALL)
    # b1 lets every pod in on TCP 80; r1's pods may connect anywhere
    text += policy("in", "b1", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}],"
                   " ports: [{port: 80}]}]\n")
    text += policy("out", "r1", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]\n")
    found = [f for f in findings(tmp_path, text, tenant="tenant")
             if f.check_id == "network/cross-tenant"]
    assert len(found) == 1
    [cross] = found
    assert (cross.severity.name, cross.subject, cross.title) == (
        "HIGH", "Namespace/b1",
        "namespace b1 (tenant=blue) is reachable from namespace r1 (tenant=red): 2 connections")
    assert dict(cross.evidence) == {
        "connections": "2",
        "examples": "r1/x1[Pod] => b1/w[Pod] : TCP 80; r1/x2[Pod] => b1/w[Pod] : TCP 80",
        "from namespace": "r1",
        "tenant label": "tenant: red -> blue",
    }
    # without a tenant label there is no cross-tenant finding
    assert not [f for f in findings(tmp_path, text) if f.check_id == "network/cross-tenant"]
    assert [(f.severity.name, f.subject, f.title) for f in findings(tmp_path, text, "tenant")
            if f.check_id == "network/namespace-without-tenant"] == [
        ("INFO", "Namespace/shared",
         "Namespace shared has no tenant label: its connections are not checked for tenant "
         "isolation")]


def test_policies_and_rules_that_match_nothing_in_the_input(tmp_path: Path) -> None:
    text = (namespace("ns1", team="a") + pod("a", ports="{name: http, containerPort: 80}",
                                              app="a")
            + policy("deny", "ns1", DENY_ALL))
    text += policy("typo", "ns1", "  podSelector: {matchLabels: {app: aa}}\n")
    text += policy("elsewhere", "ghost", "  podSelector: {}\n")
    text += policy("rules", "ns1", """\
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {app: b}}}]
    ports: [{port: https}, {port: http}]
  egress:
  - to: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: metrics, protocol: UDP}]
""")
    text += policy("ignored", "ns1", "  podSelector: {}\n  policyTypes: [Ingress]\n"
                   "  egress: [{to: [{podSelector: {}}]}]\n")
    found = findings(tmp_path, text)
    assert [(f.severity.name, f.check_id, f.subject, f.location, f.title) for f in found] == [
        ("MEDIUM", "network/rules-ignored", "NetworkPolicy/ns1/ignored", "spec.egress",
         "spec.egress of NetworkPolicy ns1/ignored is never applied: policyTypes does not "
         "list Egress"),
        ("LOW", "network/policy-selects-no-pod", "NetworkPolicy/ns1/typo", "spec.podSelector",
         "NetworkPolicy ns1/typo selects no pod in the input"),
        ("LOW", "network/policy-selects-no-pod", "NetworkPolicy/ghost/elsewhere",
         "spec.podSelector",
         "NetworkPolicy ghost/elsewhere selects no pod in the input; namespace ghost is not in "
         "the input (no Namespace object, no workload)"),
        ("LOW", "network/rule-never-matches", "NetworkPolicy/ns1/rules",
         "spec.ingress[0].from[0].namespaceSelector",
         "spec.ingress[0].from[0].namespaceSelector of NetworkPolicy ns1/rules matches no "
         "namespace in the input"),
        ("LOW", "network/rule-never-matches", "NetworkPolicy/ns1/rules",
         "spec.ingress[0].from[1].podSelector",
         "spec.ingress[0].from[1].podSelector of NetworkPolicy ns1/rules matches no pod (of "
         "the namespaces it applies to) in the input"),
        ("LOW", "network/rule-never-matches", "NetworkPolicy/ns1/rules",
         "spec.ingress[0].ports[0].port",
         "spec.ingress[0].ports[0].port of NetworkPolicy ns1/rules: no selected pod in the "
         "input has a TCP container port named 'https'"),
        ("LOW", "network/rule-never-matches", "NetworkPolicy/ns1/rules",
         "spec.egress[0].ports[0].port",
         "spec.egress[0].ports[0].port of NetworkPolicy ns1/rules: no peer pod in the input "
         "has a UDP container port named 'metrics'"),
    ]
    lines = {f.location: f.line for f in found if f.subject == "NetworkPolicy/ns1/rules"}
    text_lines = text.splitlines()
    assert "namespaceSelector" in text_lines[lines["spec.ingress[0].from[0].namespaceSelector"]
                                             - 1]
    assert "metrics" in text_lines[lines["spec.egress[0].ports[0].port"] - 1]


def test_admin_policy_subject_and_peers_that_match_no_pod(tmp_path: Path) -> None:
    anp = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: pass-monitoring}
spec:
  priority: 10
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: nothing}}}}
  ingress:
  - action: Allow
    from: [{namespaces: {matchLabels: {team: monitoring}}}]
  egress:
  - action: Allow
    to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}]
    ports: [{namedPort: metrics}, {namedPort: http}]
---
"""
    found = [f for f in findings(tmp_path, pod("a", ports="{name: http, containerPort: 80}",
                                           app="a") + policy("deny", "ns1", DENY_ALL) + anp)
             if f.subject.startswith("AdminNetworkPolicy")]
    assert [(f.check_id, f.location, f.title) for f in found] == [
        ("network/policy-selects-no-pod", "spec.subject",
         "AdminNetworkPolicy pass-monitoring: its subject selects no pod in the input"),
        ("network/rule-never-matches", "spec.ingress[0].from[0]",
         "spec.ingress[0].from[0] of AdminNetworkPolicy pass-monitoring matches no pod in the "
         "input"),
        ("network/rule-never-matches", "spec.egress[0].ports[0].namedPort",
         "spec.egress[0].ports[0].namedPort of AdminNetworkPolicy pass-monitoring: no peer pod "
         "in the input has a container port named 'metrics'"),
    ]


@pytest.mark.parametrize(("spec", "message"), [
    ("  podSelector: {}\n  ingres: []\n", "spec: unknown field 'ingres'"),
    ("  podSelector: {}\n  ingress: [{form: [{podSelector: {}}]}]\n",
     "spec.ingress[0]: unknown field 'form'"),
    ("  podSelector: {matchLabel: {a: b}}\n", "spec.podSelector: unknown field 'matchLabel'"),
    ("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}"
     "]}]\n", "except '11.0.0.0/8' is not strictly inside cidr '10.0.0.0/8'"),
    ("  podSelector: {}\n  ingress: [{ports: [{port: HTTP_PORT}]}]\n",
     "named port error: port name 'HTTP_PORT' is not valid"),
])
def test_bad_policies_the_engine_would_pass_over_are_refused(
        tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("[", r"\[").replace(".", r"\.")):
        findings(tmp_path, pod("a") + policy("p", "ns1", spec))
    (tmp_path / "bad.yaml").write_text(pod("a") + policy("p", "ns1", spec))
    result = run("k8s", "netpol", str(tmp_path / "bad.yaml"))
    assert (result.returncode, result.stderr.count("\n"), result.stdout) == (2, 1, "")
    assert "NetworkPolicy ns1/p" in result.stderr and "Traceback" not in result.stderr


def test_old_api_version_and_bad_namespace_are_refused(tmp_path: Path) -> None:
    old = policy("p", "ns1", "  podSelector: {}\n").replace("networking.k8s.io/v1",
                                                             "extensions/v1beta1")
    with pytest.raises(BadInput, match="extensions/v1beta1 is not served since Kubernetes 1.16"):
        findings(tmp_path, pod("a") + old)
    with pytest.raises(BadInput, match="no such version networking.k8s.io/v2"):
        findings(tmp_path, pod("a") + policy("p", "ns1", "  podSelector: {}\n").replace(
            "networking.k8s.io/v1", "networking.k8s.io/v2"))
    with pytest.raises(BadInput, match="metadata.namespace 'NS_1' is not a namespace name"):
        findings(tmp_path, pod("a") + policy("p", "NS_1", "  podSelector: {}\n"))


def test_cli_list_unchanged_without_findings_and_sections_with_them(tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(namespace("ns1", tenant="a") + namespace("ns2", tenant="b")
                    + pod("a", app="a") + pod("b", "ns2", app="b")
                    + policy("deny", "ns2", DENY_ALL))
    plain = run("k8s", "netpol", str(path))
    assert plain.returncode == 0, plain.stderr
    assert "Findings" not in plain.stdout
    with_findings = run("k8s", "netpol", str(path), "--findings")
    assert with_findings.stdout.startswith(plain.stdout + "\nFindings (5):\n")
    assert (f"HIGH     network/reachable-from-internet Pod/ns1/a {path}:9: ns1/a[Pod] accepts "
            "All Connections from every external address (0.0.0.0/0)") in with_findings.stdout
    gate = run("k8s", "netpol", str(path), "--fail-on", "high")
    assert (gate.returncode, gate.stdout) == (1, with_findings.stdout)
    assert run("k8s", "netpol", str(path), "--fail-on", "critical").returncode == 0
    as_json = json.loads(run("k8s", "netpol", str(path), "-f", "json", "--findings").stdout)
    assert as_json["connections"] == json.loads(run("k8s", "netpol", str(path), "-f",
                                                    "json").stdout)
    assert [f["check_id"] for f in as_json["findings"]][:1] == ["network/reachable-from-internet"]
    assert as_json["findings"][0]["file"] == str(path)
    md = run("k8s", "netpol", str(path), "-f", "md", "--findings").stdout
    assert md.startswith(run("k8s", "netpol", str(path), "-f", "md").stdout + "\n## Findings (5)\n"
                         "| severity | check | object | where | title |\n")
    assert (f"| high | network/reachable-from-internet | Pod/ns1/a | {path}:9 | ns1/a[Pod] "
            "accepts All Connections from every external address (0.0.0.0/0) |") in md
    csv = run("k8s", "netpol", str(path), "-f", "csv", "--findings")
    assert (csv.returncode, csv.stdout) == (2, "")
    assert "--findings: use --format txt or json or md (not csv)" in csv.stderr
    bad = run("k8s", "netpol", str(path), "--tenant-label", "bad key!")
    assert (bad.returncode, bad.stderr.count("\n")) == (2, 1)
    assert "--tenant-label: invalid label key 'bad key!'" in bad.stderr
    # focus narrows the list, not the findings
    focused = run("k8s", "netpol", str(path), "--findings", "--focus-workload", "b")
    assert focused.stdout.endswith(with_findings.stdout.partition("\n\n")[2])


def test_k8s_check_runs_the_network_findings(tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    app = pod("a", app="a")
    path.write_text(app)
    plain = json.loads(run("k8s", "check", str(path), "-f", "json").stdout)
    assert not [f for f in plain["findings"] if f["check_id"].startswith("network/")]
    forced = json.loads(run("k8s", "check", str(path), "-f", "json", "--network").stdout)
    assert "network/reachable-from-internet" in {f["check_id"] for f in forced["findings"]}
    path.write_text(app + policy("deny", "ns1", "  podSelector: {}\n  policyTypes: [Ingress]\n"))
    result = run("k8s", "check", str(path), "-f", "json", "--fail-on", "high")
    network = [(f["check_id"], f["severity"], f["subject"]) for f in json.loads(
        result.stdout)["findings"] if f["check_id"].startswith("network/")]
    assert network == [("network/unrestricted-egress", "medium", "Pod/ns1/a"),
                       ("network/no-default-deny-egress", "low", "Namespace/ns1")]
    off = json.loads(run("k8s", "check", str(path), "-f", "json", "--no-network").stdout)
    assert not [f for f in off["findings"] if f["check_id"].startswith("network/")]
    path.write_text(app + policy("p", "ns1", "  podSelector: {matchLabels: {a: 'x y'}}\n"))
    result = run("k8s", "check", str(path), "-f", "json")
    invalid = [f for f in json.loads(result.stdout)["findings"]
               if f["check_id"].startswith("network/")]
    assert [(f["check_id"], f["severity"], f["file"]) for f in invalid] == [
        ("network/invalid-input", "high", str(path))]
    assert "selector error: invalid label value" in invalid[0]["title"]
    assert invalid[0]["subject"] == "NetworkPolicy/ns1/p"
    table = run("k8s", "check", str(path), "--tenant-label", "tenant")
    assert "network/invalid-input" in table.stdout


def test_k8s_check_places_objects_without_namespace_in_its_namespace_option(
        tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(pod("a", app="a").replace("namespace: ns1, ", "")
                    + policy("deny", "team", DENY_ALL))

    def network_subjects(*options: str) -> set[str]:
        report = json.loads(run("k8s", "check", str(path), "-f", "json", *options).stdout)
        return {f["subject"] for f in report["findings"] if f["check_id"].startswith("network/")}

    assert network_subjects("-n", "team") == set()  # the pod is in team, which is closed
    assert network_subjects() == {"Namespace/default", "Pod/default/a", "NetworkPolicy/team/deny"}


def test_a_netpol_analyzer_case(tmp_path: Path) -> None:
    case = CASES / "acs-security-demos-no-routes"
    if not case.is_dir():
        pytest.skip(f"{case} is absent (the shared netpol data is not here)")
    objects = load_manifests([str(case)], typed_lists=True).objects
    found = network_findings(objects, FindingOptions(tenant_label="kubernetes.io/metadata.name"))
    ids = {f.check_id for f in found}
    assert "network/cross-tenant" in ids
    assert all(f.file.startswith(str(case)) for f in found if f.file)
    assert found == sorted(found, key=lambda f: (f.sort_key(), f.title, f.evidence))


def test_every_netpol_analyzer_case_the_engine_accepts_gives_findings_without_error() -> None:
    if not CASES.is_dir():
        pytest.skip(f"{CASES} is absent (the shared netpol data is not here)")
    judged = 0
    for case in sorted(CASES.iterdir()):
        try:
            objects = load_manifests([str(case)], typed_lists=True).objects
            analyze(objects)
        except BadInput:
            continue  # refused cases are the conformance test's
        found = network_findings(objects, FindingOptions(tenant_label=NAME_LABEL))
        judged += 1
        assert all(f.check_id.startswith("network/") and f.layer == 7 for f in found), case
    assert judged > 100


def test_the_shipped_example_gives_the_documented_findings() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "netpol"
    result = run("k8s", "netpol", str(example), "--tenant-label", "tenant", "--fail-on", "high")
    assert result.returncode == 1, result.stderr
    *lines, summary = result.stdout.partition("\nFindings (11):\n")[2].splitlines()
    assert summary == "11 findings (3 high, 4 medium, 3 low, 1 info)"
    rows = [line.split()[:3] for line in lines]
    assert rows == [
        ["HIGH", "network/cross-tenant", "Namespace/red-shop"],
        ["HIGH", "network/reachable-from-internet", "Deployment/red-shop/web"],
        ["HIGH", "network/reachable-from-internet", "Deployment/monitoring/prometheus"],
        ["MEDIUM", "network/no-default-deny-ingress", "Namespace/monitoring"],
        ["MEDIUM", "network/reachable-from-all-namespaces", "Deployment/red-shop/web"],
        ["MEDIUM", "network/reachable-from-all-namespaces", "Deployment/monitoring/prometheus"],
        ["MEDIUM", "network/unrestricted-egress", "Deployment/monitoring/prometheus"],
        ["LOW", "network/no-default-deny-egress", "Namespace/monitoring"],
        ["LOW", "network/rule-never-matches", "NetworkPolicy/blue-bank/api-scrape"],
        ["LOW", "network/rule-never-matches", "NetworkPolicy/blue-bank/api-scrape"],
        ["INFO", "network/namespace-without-tenant", "Namespace/monitoring"],
    ]
    assert ("namespace red-shop (tenant=red) is reachable from namespace blue-bank "
            "(tenant=blue): 1 connection") in result.stdout
