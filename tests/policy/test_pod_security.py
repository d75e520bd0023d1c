"""Pod Security admission per namespace: labels, versions, modes, and what admission does."""

from __future__ import annotations

from tenlayer.kube.documents import load_documents
from tenlayer.kube.inputs import Manifests
from tenlayer.kube.objects import objects_of
from tenlayer.model import Severity
from tenlayer.policy.manifests import CheckOptions, check_manifests
from tenlayer.policy.pod_security import LevelVersion
from tenlayer.policy.pss import Level, PolicyVersion

RESTRICTED_BUT_ESCALATION = """\
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example.com/app:1
    securityContext: {capabilities: {drop: [ALL]}%s}
"""


def namespace(name: str, labels: dict[str, str]) -> str:
    rendered = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{rendered}}}}}\n"


def pod(name: str, ns: str, spec: str) -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"


def run(*documents: str, options: CheckOptions | None = None) -> dict[str, object]:
    text = "---\n".join(documents).encode()
    manifests = Manifests(objects=list(objects_of(load_documents(text, "m.yaml"))), files=1)
    result = check_manifests(manifests, options or CheckOptions())
    return {
        "notes": list(result.policy_notes),
        "decisions": [(a.template.subject, a.decision) for a in result.admissions],
        "pss": [
            (f.check_id, f.location, dict(f.evidence)["pod security"],
             dict(f.evidence).get("admission"))
            for f in result.findings if f.check_id.startswith("deploy/pss-")
        ],
    }


PRIVILEGED = "  containers:\n  - {name: app, image: 'x:1', securityContext: {privileged: true}}\n"


def test_enforce_and_warn_labels_decide_and_a_workload_is_admitted_but_its_pods_are_not() -> None:
    labels = {"pod-security.kubernetes.io/enforce": "baseline",
              "pod-security.kubernetes.io/warn": "restricted",
              "pod-security.kubernetes.io/warn-version": "v1.24"}
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: team}\n"
                  "spec:\n  template:\n    spec:\n      containers:\n"
                  "      - {name: app, image: 'x:1', securityContext: {privileged: true}}\n")
    outcome = run(namespace("team", labels), pod("p", "team", PRIVILEGED), deployment)
    assert outcome["notes"] == [
        "namespace team: enforce baseline:latest, warn restricted:v1.24; from namespace labels"]
    assert outcome["decisions"] == [("Pod/team/p", "denied"), ("Deployment/team/d", "pods denied")]
    privileged = [p for p in outcome["pss"] if p[0] == "deploy/pss-privileged"]  # type: ignore[attr-defined]
    assert privileged == [
        ("deploy/pss-privileged", "spec.containers[0].securityContext.privileged",
         "enforce baseline:latest, warn restricted:v1.24", "pod denied"),
        ("deploy/pss-privileged", "spec.template.spec.containers[0].securityContext.privileged",
         "enforce baseline:latest, warn restricted:v1.24", "its pods would be denied"),
    ]
    restricted_only = {p[0] for p in outcome["pss"] if p[2] == "warn restricted:v1.24"}  # type: ignore[attr-defined]
    assert restricted_only == {
        "deploy/pss-allow-privilege-escalation", "deploy/pss-capabilities-restricted",
        "deploy/pss-run-as-non-root", "deploy/pss-seccomp-profile-restricted",
    }


def test_the_version_label_moves_the_rules() -> None:
    labels = {"pod-security.kubernetes.io/enforce": "restricted",
              "pod-security.kubernetes.io/enforce-version": "v1.7"}
    spec = RESTRICTED_BUT_ESCALATION % ""
    assert run(namespace("old", labels), pod("p", "old", spec))["decisions"] == [
        ("Pod/old/p", "allowed")]  # allowPrivilegeEscalation is required from v1.8 on
    labels["pod-security.kubernetes.io/enforce-version"] = "v1.8"
    outcome = run(namespace("old", labels), pod("p", "old", spec))
    assert outcome["decisions"] == [("Pod/old/p", "denied")]
    assert [p[0] for p in outcome["pss"]] == ["deploy/pss-allow-privilege-escalation"]  # type: ignore[attr-defined]
    fixed = RESTRICTED_BUT_ESCALATION % ", allowPrivilegeEscalation: false"
    assert run(namespace("old", labels), pod("p", "old", fixed))["decisions"] == [
        ("Pod/old/p", "allowed")]


def test_invalid_labels_fail_closed_for_enforce_and_open_for_audit_and_warn() -> None:
    labels = {"pod-security.kubernetes.io/enforce": "strict",
              "pod-security.kubernetes.io/enforce-version": "'1.25'",
              "pod-security.kubernetes.io/audit": "nonsense"}
    outcome = run(namespace("t", labels), pod("p", "t", RESTRICTED_BUT_ESCALATION % ""))
    assert outcome["notes"] == [
        "namespace t: enforce restricted:latest; from namespace labels",
        "namespace t: label pod-security.kubernetes.io/enforce='strict' is not privileged, "
        "baseline or restricted (read as restricted, as Kubernetes does)",
        "namespace t: label pod-security.kubernetes.io/enforce-version='1.25' is not \"latest\" "
        "or \"v1.N\" (read as latest, as Kubernetes does)",
        "namespace t: label pod-security.kubernetes.io/audit='nonsense' is not privileged, "
        "baseline or restricted (read as privileged, as Kubernetes does)",
    ]
    assert outcome["decisions"] == [("Pod/t/p", "denied")]


def test_without_labels_tenlayer_checks_restricted_latest_and_says_so() -> None:
    outcome = run(pod("p", "team", PRIVILEGED))
    assert outcome["notes"] == [
        "namespace team: checked against restricted:latest; tenlayer's default, as the "
        "namespace is not in the input (choose with --pss)"]
    assert outcome["decisions"] == [("Pod/team/p", "violates restricted:latest")]
    assert {p[3] for p in outcome["pss"]} == {None}  # type: ignore[attr-defined]


def test_pss_option_overrides_the_labels() -> None:
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    override = LevelVersion(Level.PRIVILEGED, PolicyVersion.latest())
    outcome = run(namespace("t", labels), pod("p", "t", PRIVILEGED),
                  options=CheckOptions(pss=override))
    assert outcome == {"notes": ["namespace t: privileged, nothing enforced; from --pss"],
                       "decisions": [("Pod/t/p", "allowed")], "pss": []}
    baseline = LevelVersion.parse("baseline", "v1.0")
    outcome = run(namespace("t", labels), pod("p", "t", PRIVILEGED),
                  options=CheckOptions(pss=baseline))
    assert outcome["pss"] == [("deploy/pss-privileged", "spec.containers[0].securityContext"
                               ".privileged", "enforce baseline:v1.0", "pod denied")]


def test_pss_findings_carry_the_catalogue_severity_reason_and_line() -> None:
    text = "---\n".join([pod("p", "t", PRIVILEGED)]).encode()
    manifests = Manifests(objects=list(objects_of(load_documents(text, "m.yaml"))), files=1)
    result = check_manifests(manifests, CheckOptions(pss=LevelVersion.parse("baseline", None)))
    (found,) = [f for f in result.findings if f.check_id == "deploy/pss-privileged"]
    assert (found.severity, found.file, found.line, found.subject) == (
        Severity.HIGH, "m.yaml", 6, "Pod/t/p")
    assert found.title == 'Pod Security baseline [enforce]: privileged (container "app" must ' \
                          'not set securityContext.privileged=true)'
