"""`tenlayer k8s check`: every workload in the manifests through Pod Security admission, the
workload checks and (asked for) OpenShift SCC admission, as findings and admission records.

Pure over loaded manifests: reading files is `kube.inputs`, printing is `report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tenlayer.checks.catalogue import finding
from tenlayer.kube.inputs import Manifests, Skipped
from tenlayer.kube.namespaces import namespaces_of
from tenlayer.kube.objects import KubeObject
from tenlayer.kube.workloads import DEFAULT_NAMESPACE, PodTemplate, pod_templates
from tenlayer.model import Finding
from tenlayer.policy.pod_security import (
    LevelVersion,
    NamespacePolicy,
    PodAdmission,
    admit,
    namespace_policy,
)
from tenlayer.policy.pss.checks import check_id as pss_check_id
from tenlayer.policy.workloads import WorkloadOptions, check_template

if TYPE_CHECKING:
    from tenlayer.kube.namespaces import Namespace
    from tenlayer.policy.scc import Admission as SCCAdmission
    from tenlayer.policy.scc import Requester, SCCPolicy


@dataclass(frozen=True, slots=True)
class CheckOptions:
    pss: LevelVersion | None = None
    """`--pss`/`--pss-version`: the enforce policy for every namespace."""
    default_namespace: str | None = None
    """Where objects that name no namespace go (`-n`); None: `default`, as kubectl's."""
    allowed_registries: tuple[str, ...] = ()
    scc: SCCPolicy | None = None
    """When set, each pod template also goes through SCC admission as its service account."""


@dataclass(frozen=True, slots=True)
class SCCResult:
    template: PodTemplate
    requester: Requester
    admission: SCCAdmission


@dataclass(frozen=True, slots=True)
class CheckResult:
    findings: tuple[Finding, ...]
    admissions: tuple[PodAdmission, ...]
    scc: tuple[SCCResult, ...]
    objects: int
    files: int
    skipped: tuple[Skipped, ...]
    policy_notes: tuple[str, ...] = field(default=())
    """One line per namespace on where its Pod Security policy came from (and bad labels)."""


def check_manifests(manifests: Manifests, options: CheckOptions) -> CheckResult:
    objects = manifests.objects
    namespaces = namespaces_of(objects)
    workload_options = WorkloadOptions(
        allowed_registries=options.allowed_registries,
        automount_by_account=_automount_settings(
            objects, options.default_namespace or DEFAULT_NAMESPACE
        ),
    )
    policies: dict[str, NamespacePolicy] = {}
    findings: list[Finding] = []
    admissions: list[PodAdmission] = []
    scc_results: list[SCCResult] = []
    for template in pod_templates(objects, options.default_namespace):
        policy = policies.get(template.namespace)
        if policy is None:
            policy = namespace_policy(
                template.namespace, namespaces.get(template.namespace), options.pss
            )
            policies[template.namespace] = policy
        admission = admit(template, policy)
        admissions.append(admission)
        findings.extend(_pss_findings(admission))
        findings.extend(check_template(template, workload_options))
        if options.scc is not None:
            result = scc_admit(template, options.scc, namespaces)
            scc_results.append(result)
            findings.extend(_scc_findings(result, options.scc))
    notes = []
    for name in sorted(policies):
        policy = policies[name]
        notes.append(f"namespace {name}: {policy.describe()}")
        notes.extend(f"namespace {name}: {error}" for error in policy.errors)
    return CheckResult(
        findings=tuple(sorted(findings, key=lambda f: (f.sort_key(), f.title, f.evidence))),
        admissions=tuple(admissions),
        scc=tuple(scc_results),
        objects=len(objects),
        files=manifests.files,
        skipped=tuple(manifests.skipped),
        policy_notes=tuple(notes),
    )


def _pss_findings(admission: PodAdmission) -> Iterable[Finding]:
    template = admission.template
    kind_is_pod = template.owner.kind == "Pod"
    for moded in admission.violations:
        violation = moded.violation
        first = violation.paths[0] if violation.paths else "spec"
        modes = ", ".join(f"{mode} {level_version}" for mode, level_version in moded.modes)
        enforced = any(mode == "enforce" for mode, _ in moded.modes)
        outcome = ""
        if enforced:
            outcome = "pod denied" if kind_is_pod else "its pods would be denied"
        evidence = {
            "pod security": modes,
            "reason": violation.reason,
            "fields": ", ".join(template.object_path(p) for p in violation.paths),
        }
        if outcome:
            evidence["admission"] = outcome
        yield finding(
            pss_check_id(violation.control),
            subject=template.subject,
            location=template.object_path(first),
            evidence=tuple(sorted(evidence.items())),
            title=f"Pod Security {violation.level}: {violation.reason}",
            file=template.owner.source,
            line=template.line_of(first),
        )


def _automount_settings(
    objects: Sequence[KubeObject], default_namespace: str
) -> Mapping[tuple[str, str], bool]:
    settings: dict[tuple[str, str], bool] = {}
    for obj in objects:
        if obj.kind == "ServiceAccount" and obj.group == "":
            value = obj.body.get("automountServiceAccountToken")
            if isinstance(value, bool):
                settings[(obj.namespace or default_namespace, obj.name)] = value
    return settings


def service_account_of(template: PodTemplate) -> str:
    for key in ("serviceAccountName", "serviceAccount"):
        value = template.spec.get(key)
        if isinstance(value, str) and value:
            return value
    return "default"


def scc_admit(
    template: PodTemplate,
    policy: SCCPolicy,
    namespaces: Mapping[str, Namespace],
    requester: Requester | None = None,
) -> SCCResult:
    """SCC admission of the template's pod. Without `requester`, as the pod's own service
    account: a workload's pods are created by its controller, whose own identity may use no
    SCC, so OpenShift admits them with what the service account may use."""
    from tenlayer.policy.scc import Requester

    if requester is None:
        requester = Requester.service_account(template.namespace, service_account_of(template))
    namespace = namespaces.get(template.namespace)
    namespace_object = namespace.as_object() if namespace is not None else None
    admission = policy.admit(template.as_pod(), requester, namespace_object)
    return SCCResult(template, requester, admission)


def _scc_findings(result: SCCResult, policy: SCCPolicy) -> Iterable[Finding]:
    from dataclasses import replace

    from tenlayer.policy.scc.checks import evaluate

    template = result.template
    for found in evaluate(result.admission, policy, template.subject):
        location = found.location
        object_location = template.object_path(location) if location else template.prefix
        yield replace(
            found,
            location=object_location,
            file=template.owner.source,
            line=template.line_of(location) if location else template.owner.line,
        )
