"""Deployment checks from OpenShift SCC admission (layer 5)."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check, finding
from tenlayer.model import Finding, Layer, Severity
from tenlayer.policy.scc.policy import SCCPolicy
from tenlayer.policy.scc.results import Admission

_DOCS = (
    "https://docs.openshift.com/container-platform/latest/authentication/"
    "managing-security-context-constraints.html"
)

CHECKS = (
    Check(
        id="deploy/scc-denied",
        layer=Layer.DEPLOYMENT,
        severity=Severity.HIGH,
        title="No SecurityContextConstraints available to the requester admits the pod",
        description=(
            "OpenShift's SCC admission would refuse the pod: every SCC the requesting user or "
            "the pod's service account may use refuses its security settings (or none is "
            "usable at all), so the pod is never created."
        ),
        remediation=(
            "Change the pod's securityContext to fit restricted-v2 (drop ALL capabilities, no "
            "privilege escalation, no fixed UID outside the namespace range, RuntimeDefault "
            "seccomp), or grant its service account `use` of a suitable SCC with a RoleBinding."
        ),
        references=(_DOCS,),
    ),
    Check(
        id="deploy/scc-privileged-granted",
        layer=Layer.DEPLOYMENT,
        severity=Severity.MEDIUM,
        title="The pod is admitted under a highly privileged SCC",
        description=(
            "The SCC that admits the pod lets it run privileged, as root or any UID, with any "
            "SELinux context or capability, or with host namespaces, ports or paths. A "
            "compromised container there can reach the node or other tenants."
        ),
        remediation=(
            "Remove what the pod needs the privileged SCC for, so restricted-v2 admits it; "
            "if it truly needs more, grant the narrowest SCC to its own service account only."
        ),
        references=(_DOCS,),
    ),
    Check(
        id="deploy/scc-not-enforced",
        layer=Layer.DEPLOYMENT,
        severity=Severity.LOW,
        title="SCC admission does not run for the pod",
        description=(
            "OpenShift skips SCC admission in the namespaces it bootstraps itself in (default, "
            "kube-system, kube-public, openshift, openshift-infra, openshift-node, and any "
            "labelled openshift.io/run-level 0 or 1): a pod there runs with whatever security "
            "context it asks for, privileged included."
        ),
        remediation=(
            "Deploy workloads to their own namespace; keep run-level namespaces for cluster "
            "components and restrict who may create pods in them."
        ),
        references=(_DOCS,),
    ),
)

def _finding(
    check_id: str, subject: str, location: str, evidence: tuple[tuple[str, str], ...]
) -> Finding:
    return finding(check_id, subject=subject, location=location, evidence=evidence)


def evaluate(admission: Admission, policy: SCCPolicy, subject: str) -> list[Finding]:
    """Findings for one pod's admission; `subject` names the workload (`kind/ns/name`)."""
    if not admission.allowed:
        evidence = [("usable SCCs", ", ".join(admission.tried) or "none")]
        evidence += [("refused by " + r.scc, "; ".join(r.reasons)) for r in admission.refusals]
        evidence += [("note", note) for note in admission.notes]
        location = ""
        if admission.refusals and admission.refusals[0].reasons:
            head = admission.refusals[0].reasons[0].split(": ", 1)[0]
            if head.startswith(("spec.", "metadata.")):  # else the reason is not about a field
                location = head
        return [_finding("deploy/scc-denied", subject, location, tuple(evidence))]
    if admission.skipped.startswith("SCC admission does not run"):
        return [
            _finding(
                "deploy/scc-not-enforced",
                subject,
                "metadata.namespace",
                (("reason", admission.skipped),),
            )
        ]
    if admission.scc is None:
        return []
    scc = next((s for s in policy.sccs if s.name == admission.scc), None)
    if scc is None or not scc.privileges():
        return []
    granted = (
        ("scc", scc.name),
        ("allows", ", ".join(scc.privileges())),
        ("usable through", admission.granted_by.get(scc.name, "")),
        ("more restrictive SCCs refused", ", ".join(r.scc for r in admission.refusals) or "none"),
    )
    return [_finding("deploy/scc-privileged-granted", subject, "", granted)]
