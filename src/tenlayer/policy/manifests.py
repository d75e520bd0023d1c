"""`tenlayer k8s check`: every workload in the manifests through Pod Security admission, the
workload checks and (asked for) OpenShift SCC admission, as findings and admission records.

Pure over loaded manifests: reading files is `kube.inputs`, printing is `report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tenlayer.checks.catalogue import catalogue, finding
from tenlayer.kube.inputs import Manifests, Skipped
from tenlayer.kube.namespaces import namespaces_of
from tenlayer.kube.objects import KubeObject
from tenlayer.kube.validate import POD_METADATA, POD_SPEC, type_errors
from tenlayer.kube.workloads import DEFAULT_NAMESPACE, PodTemplate, pod_templates, template_problem
from tenlayer.model import Finding, Severity
from tenlayer.policy.pod_security import (
    LevelVersion,
    NamespacePolicy,
    PodAdmission,
    admit,
    namespace_policy,
)
from tenlayer.policy.pss.checks import check_id as pss_check_id
from tenlayer.policy.scc_admission import SCCResult, scc_admit
from tenlayer.policy.workloads import WorkloadOptions, check_template

if TYPE_CHECKING:
    from tenlayer.policy.scc import SCCPolicy


@dataclass(frozen=True, slots=True)
class CheckOptions:
    pss: LevelVersion | None = None
    """`--pss`/`--pss-version`: the enforce policy for every namespace."""
    default_namespace: str | None = None
    """Where objects that name no namespace go (`-n`); None: `default`, as kubectl's."""
    allowed_registries: tuple[str, ...] = ()
    scc: SCCPolicy | None = None
    """When set, each pod template also goes through SCC admission (scc_admission)."""
    policy_objects: tuple[KubeObject, ...] = ()
    """Objects given beside the manifests (`--scc-policy`): their Namespaces count."""


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
    namespaces = namespaces_of([*options.policy_objects, *objects])
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
    for obj in objects:
        findings.extend(_invalid_object(obj, options.default_namespace or DEFAULT_NAMESPACE))
    for template in pod_templates(objects, options.default_namespace):
        findings.extend(_invalid_template(template))
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


def _invalid(subject: str, obj: KubeObject, path: str, problem: str) -> Finding:
    return finding(
        "deploy/invalid-field",
        subject=subject,
        location=path,
        evidence=(("problem", problem),),
        title=f"{path + ': ' if path else ''}{problem}; the API server refuses this {obj.kind}",
        file=obj.source,
        line=obj.line_of(path),
    )


def _invalid_object(obj: KubeObject, default_namespace: str) -> Iterable[Finding]:
    """Wrong types in an object's metadata, a workload without a usable pod template."""
    subject = obj.subject(obj.namespace or default_namespace)
    metadata = obj.body.get("metadata")
    if not obj.name and not (isinstance(metadata, dict) and metadata.get("generateName")):
        yield _invalid(subject, obj, "metadata.name", "required (or metadata.generateName)")
    if obj.kind != "Pod":  # a Pod's metadata is its template's: checked with it
        for path, problem in type_errors(obj.body.get("metadata", {}), POD_METADATA, "metadata"):
            yield _invalid(subject, obj, path, problem)
    broken = template_problem(obj)
    if broken is not None:
        yield _invalid(subject, obj, *broken)


def _invalid_template(template: PodTemplate) -> Iterable[Finding]:
    obj = template.owner
    errors = [*type_errors(template.metadata, POD_METADATA, "metadata"),
              *type_errors(template.spec, POD_SPEC, "spec")]
    for path, problem in errors:
        yield _invalid(template.subject, obj, template.object_path(path), problem)


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
        check_id = pss_check_id(violation.control)
        severity = max(catalogue()[pss_check_id(slug)].severity
                       for slug in (violation.control, *violation.breaks_baseline))
        if violation.breaks_baseline:
            evidence["breaks baseline"] = ", ".join(violation.breaks_baseline)
        if enforced:  # admission will refuse these pods: at least high, for --fail-on high
            severity = max(severity, Severity.HIGH)
        mode_names = "/".join(dict.fromkeys(mode for mode, _ in moded.modes))
        yield finding(
            check_id,
            subject=template.subject,
            location=template.object_path(first),
            evidence=tuple(sorted(evidence.items())),
            title=f"Pod Security {violation.level} [{mode_names}]: {violation.reason}",
            severity=severity,
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
