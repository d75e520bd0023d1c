"""Reports of `tenlayer k8s check`: JSON (findings and each workload's admission) and a table."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tenlayer.model import Severity
from tenlayer.policy.manifests import CheckResult
from tenlayer.policy.pod_security import PodAdmission
from tenlayer.policy.scc_admission import SCCResult
from tenlayer.report.json import dumps, finding_dict, tool

SCHEMA_VERSION = 1


def render_check_json(result: CheckResult) -> bytes:
    return dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "tool": tool(),
            "summary": _summary(result),
            "pod_security": list(result.policy_notes),
            "skipped": [{"file": s.source, "reason": s.reason} for s in result.skipped],
            "workloads": [_admission_dict(a) for a in result.admissions],
            "scc": [scc_dict(s) for s in result.scc],
            "findings": [finding_dict(f) for f in result.findings],
        }
    )


def _summary(result: CheckResult) -> dict[str, Any]:
    by_severity = Counter(f.severity.name.lower() for f in result.findings)
    return {
        "files": result.files,
        "objects": result.objects,
        "workloads": len(result.admissions),
        "skipped_files": len(result.skipped),
        "findings": len(result.findings),
        "by_severity": {s.name.lower(): by_severity.get(s.name.lower(), 0)
                        for s in sorted(Severity, reverse=True)},
        "denied": sum(1 for a in result.admissions if "denied" in a.decision),
    }


def _admission_dict(admission: PodAdmission) -> dict[str, Any]:
    template = admission.template
    return {
        "subject": template.subject,
        "file": template.owner.source,
        "line": template.owner.line,
        "namespace": template.namespace,
        "pod_security": {
            "policy": [{"mode": m, "level": str(lv.level), "version": str(lv.version)}
                       for m, lv in admission.policy.modes],
            "policy_source": admission.policy.source,
            "decision": admission.decision,
            "violations": [
                {
                    "control": v.violation.control,
                    "level": str(v.violation.level),
                    "reason": v.violation.reason,
                    "fields": [template.object_path(p) for p in v.violation.paths],
                    "modes": [m for m, _ in v.modes],
                }
                for v in admission.violations
            ],
        },
    }


def scc_dict(result: SCCResult) -> dict[str, Any]:
    admission = result.admission
    return {
        "subject": result.template.subject,
        "file": result.template.owner.source,
        "line": result.template.owner.line,
        "requester": result.requester.user,
        "groups": list(result.requester.groups),
        "allowed": admission.allowed,
        "scc": admission.scc,
        "usable": list(admission.granted_by),
        "tried": list(admission.tried),
        "granted_by": dict(sorted(admission.granted_by.items())),
        "refusals": [{"scc": r.scc, "reasons": list(r.reasons)} for r in admission.refusals],
        "not_usable": list(admission.not_usable),
        "notes": list(admission.notes),
        "assumed": list(result.notes),
        "skipped": admission.skipped or None,
        "pod": admission.pod,
    }


def render_check_table(result: CheckResult, *, width: int | None = None,
                       color: bool = False) -> bytes:
    """Findings (severity first), then what admission does with each workload, then the
    counts. Skipped files are warnings on stderr (the CLI writes them), not part of it."""
    from tenlayer.report.file_findings import print_findings
    from tenlayer.report.table import console_for

    console, buffer = console_for(width, color)
    summary = _summary(result)
    console.print(
        f"{plural(summary['files'], 'file')}, {plural(summary['objects'], 'object')}, "
        f"{plural(summary['workloads'], 'workload')}", highlight=False,
    )
    for note in result.policy_notes:
        console.print(f"pod security: {note}", highlight=False)
    print_findings(console, list(result.findings))
    decisions: dict[str, list[PodAdmission]] = {}
    for admission in result.admissions:
        decisions.setdefault(admission.decision, []).append(admission)
    for decision in ("denied", "pods denied"):
        for admission in decisions.get(decision, []):
            console.print(
                f"{admission.template.subject}: {decision} by Pod Security admission "
                f"({admission.policy.describe()})", highlight=False,
            )
    counts = [f"{len(found)} {decision}" for decision, found in sorted(decisions.items())]
    if counts:
        console.print(f"pod security admission: {', '.join(counts)}", highlight=False)
    for scc in result.scc:
        verdict = (f"admitted by SCC {scc.admission.scc}" if scc.admission.scc
                   else f"not checked: {scc.admission.skipped}" if scc.admission.allowed
                   else "refused by every SCC it may use")
        console.print(f"{scc.template.subject}: {verdict} (as {scc.requester.user})",
                      highlight=False)
        if not scc.admission.allowed:  # why, SCC by SCC (`k8s scc` shows the whole story)
            for refusal in scc.admission.refusals:
                console.print(f"  refused by {refusal.scc}: {'; '.join(refusal.reasons)}",
                              highlight=False)
        for note in (*scc.notes, *scc.admission.notes):
            console.print(f"  note: {note}", highlight=False)
    severities = ", ".join(f"{n} {name}" for name, n in summary["by_severity"].items() if n)
    console.print(plural(summary["findings"], "finding") + (f" ({severities})" if severities
                                                            else ""), highlight=False)
    lines = buffer.getvalue().split("\n")
    return "\n".join(line.rstrip() for line in lines).encode()


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
