"""What the API server refuses and `k8s netpol` used to read leniently: non-string names,
namespaces and labels (YAML booleans), unknown kinds and versions of served groups, an empty
--tenant-label; and --fail-on with the formats that cannot show findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app: {app}
spec:
  containers:
  - name: c
    image: nginx
"""


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "in.yaml"
    path.write_text(text)
    return str(path)


def _refused(*args: str) -> str:
    result = run("k8s", "netpol", *args)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    return result.stderr


@pytest.mark.parametrize(("fields", "message"), [
    ({"namespace": "on"}, ":5: metadata.namespace of Pod web is a boolean (true); quote it"),
    ({"namespace": "no"}, ":5: metadata.namespace of Pod web is a boolean (false); quote it"),
    ({"name": "y"}, ":4: metadata.name of a Pod is a boolean (true); quote it"),
    ({"app": "true"}, ":7: metadata.labels.app of Pod web is a boolean (true); quote it"),
    ({"app": "[a]"}, ":7: metadata.labels.app of Pod web is a list, not a string"),
])
def test_names_namespaces_and_labels_must_be_strings(
        tmp_path: Path, fields: dict[str, str], message: str) -> None:
    values = {"name": "web", "namespace": "ns", "app": "web", **fields}
    path = _write(tmp_path, POD.format(**values))
    assert _refused(path) == f"tenlayer: {path}{message}\n"


def test_a_pod_template_label_must_be_a_string(tmp_path: Path) -> None:
    path = _write(tmp_path, """apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      labels:
        expose: yes
    spec: {containers: [{name: c, image: nginx}]}
""")
    assert _refused(path) == (f"tenlayer: {path}:8: spec.template.metadata.labels.expose of "
                              "Deployment d is a boolean (true); quote it\n")


def test_a_selector_label_value_is_spelled_as_json(tmp_path: Path) -> None:
    path = _write(tmp_path, POD.format(name="web", namespace="ns", app="web") + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: ns}
spec:
  podSelector:
    matchLabels: {expose: true}
""")
    assert _refused(path) == (f"tenlayer: {path}: NetworkPolicy ns/np: spec.podSelector: "
                              "selector error: label value true is not a string; quote it\n")


def test_check_leaves_an_object_with_a_boolean_namespace_out_of_the_network_analysis(
        tmp_path: Path) -> None:
    path = _write(tmp_path, POD.format(name="web", namespace="on", app="web") + """---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: off}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: other}
spec: {podSelector: {}}
""")
    result = run("k8s", "check", "--format", "json", path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["findings"]
    # the Pod is a deploy/invalid-field finding, and not analysed as default/web
    assert not [f for f in found if "web" in f["subject"] and f["check_id"].startswith("net")]
    # the Service too: its deploy/invalid-field finding says why, with the line
    assert [(f["subject"], f["line"], f["location"]) for f in found
            if f["check_id"] == "deploy/invalid-field"] == [
        ("Pod/default/web", 5, "metadata.namespace"),
        ("Service/default/svc", 15, "metadata.namespace")]
    assert [(f["check_id"], f["subject"]) for f in found
            if f["check_id"].startswith("network/")] == [
        ("network/policy-selects-no-pod", "NetworkPolicy/other/deny")]


@pytest.mark.parametrize(("api_version", "kind", "message"), [
    ("apps/v1", "Deploymnet", "unknown kind 'Deploymnet' in apps/v1 (known there: "
     "ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet)"),
    ("v1", "Servce", "unknown kind 'Servce' in v1 (known there: Binding, ComponentStatus, "
     "ConfigMap, Endpoints, Event, LimitRange, List, Namespace, Node, PersistentVolume, "
     "PersistentVolumeClaim, Pod, PodTemplate, ReplicationController, ResourceQuota, Secret, "
     "Service, ServiceAccount, and OpenShift 3's)"),
    ("route.openshift.io/v1", "Rout", "unknown kind 'Rout' in route.openshift.io/v1 "
     "(known there: Route)"),
    ("apps/v2", "Deployment", "Deployment x: no such version apps/v2 (served: v1, v1beta1, "
     "v1beta2)"),
    ("batch/v3", "Job", "Job x: no such version batch/v3 (served: v1, v1beta1, v2alpha1)"),
])
def test_unknown_kinds_and_versions_of_served_groups_are_refused(
        tmp_path: Path, api_version: str, kind: str, message: str) -> None:
    path = _write(tmp_path, POD.format(name="web", namespace="ns", app="web")
                  + f"---\napiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n")
    # line 14: the `kind:` of the second document (the Pod has 11 lines, then `---`)
    assert _refused(path) == f"tenlayer: {path}:14: {message}\n"


@pytest.mark.parametrize("command", ["netpol", "check"])
@pytest.mark.parametrize("label", ["", "  "])
def test_an_empty_tenant_label_is_refused(tmp_path: Path, command: str, label: str) -> None:
    path = _write(tmp_path, POD.format(name="web", namespace="ns", app="web"))
    result = run("k8s", command, "--tenant-label", label, path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"tenlayer: --tenant-label {label!r}: name the namespace label "
                             "that holds the tenant, e.g. --tenant-label tenant\n")


@pytest.mark.parametrize("output_format", ["csv", "dot"])
def test_fail_on_with_csv_and_dot_counts_the_findings_on_stderr(
        tmp_path: Path, output_format: str) -> None:
    path = _write(tmp_path, POD.format(name="web", namespace="ns", app="web"))
    plain = run("k8s", "netpol", "-f", output_format, path)
    assert plain.returncode == 0, plain.stderr
    summary = ("tenlayer: 5 findings (1 high, 3 medium, 1 low); list them with --findings "
               "and --format txt, json or md\n")
    for fail_on, code in (("high", 1), ("critical", 0)):
        result = run("k8s", "netpol", "-f", output_format, "--fail-on", fail_on, path)
        assert (result.returncode, result.stdout, result.stderr) == (
            code, plain.stdout, summary)
    refused = run("k8s", "netpol", "-f", output_format, "--findings", "--fail-on", "high", path)
    assert (refused.returncode, refused.stderr) == (
        2, f"tenlayer: --findings: use --format txt or json or md (not {output_format})\n")


def test_k8s_help_gives_netpol_a_whole_summary() -> None:
    result = run("k8s", "--help")
    assert result.returncode == 0
    assert ("netpol  Which workloads can reach which under the network policies "
            "(netpol-analyzer's list).") in result.stdout
