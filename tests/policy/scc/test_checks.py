"""The SCC deployment checks."""

from __future__ import annotations

from tenlayer.model import Layer, Severity
from tenlayer.policy.scc import Requester, SCCPolicy
from tenlayer.policy.scc.checks import CHECKS, evaluate
from tests.policy.scc.builders import container, namespace, permissive, pod, scc

ALICE = Requester.parse_user("alice")


def test_catalogue_entries() -> None:
    by_id = {check.id: check for check in CHECKS}
    assert by_id["deploy/scc-denied"].layer == Layer.DEPLOYMENT
    assert by_id["deploy/scc-denied"].severity == Severity.HIGH
    assert by_id["deploy/scc-privileged-granted"].layer == Layer.DEPLOYMENT
    assert by_id["deploy/scc-privileged-granted"].severity == Severity.MEDIUM
    assert by_id["deploy/scc-not-enforced"].severity == Severity.LOW
    assert all(check.title and check.remediation and check.references for check in CHECKS)


def test_denied_pod() -> None:
    policy = SCCPolicy.from_objects([scc("restricted")])
    admission = policy.admit(pod(container(privileged=True)), ALICE, namespace())
    [finding] = evaluate(admission, policy, "Pod/team/web")
    assert finding.check_id == "deploy/scc-denied"
    assert finding.severity == Severity.HIGH
    assert finding.subject == "Pod/team/web"
    assert finding.location == "spec.containers[0].securityContext.privileged"
    assert ("usable SCCs", "restricted") in finding.evidence
    assert (
        "refused by restricted",
        "spec.containers[0].securityContext.privileged: Invalid value: true: "
        "Privileged containers are not allowed",
    ) in finding.evidence


def test_no_usable_scc_at_all() -> None:
    policy = SCCPolicy.from_objects([scc("restricted", groups=[])])
    admission = policy.admit(pod(), ALICE, namespace())
    [finding] = evaluate(admission, policy, "Pod/team/web")
    assert finding.check_id == "deploy/scc-denied"
    assert ("usable SCCs", "none") in finding.evidence
    assert admission.not_usable == ("restricted",)


def test_privileged_scc_granted() -> None:
    policy = SCCPolicy.from_objects([scc("restricted"), permissive("wide", groups=["ops"])])
    bob = Requester("bob", ("ops", "system:authenticated"))
    admission = policy.admit(pod(container(privileged=True)), bob, namespace())
    [finding] = evaluate(admission, policy, "Pod/team/web")
    assert finding.check_id == "deploy/scc-privileged-granted"
    assert finding.severity == Severity.MEDIUM
    evidence = dict(finding.evidence)
    assert evidence["scc"] == "wide"
    assert evidence["usable through"] == "scc groups"
    assert evidence["more restrictive SCCs refused"] == "restricted"
    assert "privileged containers" in evidence["allows"]


def test_restricted_admission_has_no_findings() -> None:
    policy = SCCPolicy.from_objects([scc("restricted")])
    assert evaluate(policy.admit(pod(), ALICE, namespace()), policy, "Pod/team/web") == []


def test_not_enforced_in_run_level_namespaces() -> None:
    policy = SCCPolicy.from_objects([scc("restricted")])
    admission = policy.admit(pod(container(privileged=True), namespace="kube-system"), ALICE)
    [finding] = evaluate(admission, policy, "Pod/kube-system/web")
    assert finding.check_id == "deploy/scc-not-enforced"
    assert finding.severity == Severity.LOW
    assert finding.location == "metadata.namespace"
