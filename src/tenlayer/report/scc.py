"""Reports of `tenlayer k8s scc`: each pod's SCC decision, and the pod as admitted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenlayer.kube.containers import containers_of, mapping
from tenlayer.policy.scc_admission import SCCResult
from tenlayer.report.json import dumps, tool
from tenlayer.report.manifests import scc_dict


def render_scc_json(results: Sequence[SCCResult]) -> bytes:
    return dumps({"schema_version": 1, "tool": tool(), "pods": [scc_dict(r) for r in results]})


def render_scc_table(results: Sequence[SCCResult]) -> bytes:
    lines: list[str] = []
    for result in results:
        lines.extend(_describe(result))
        lines.append("")
    admitted = sum(1 for r in results if r.admission.scc)
    refused = sum(1 for r in results if not r.admission.allowed)
    summary = f"{admitted} of {len(results)} pods admitted, {refused} refused"
    unchecked = len(results) - admitted - refused
    if unchecked:
        summary += f", {unchecked} not subject to SCC admission"
    lines.append(summary)
    return "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"


def _describe(result: SCCResult) -> list[str]:
    admission, template, requester = result.admission, result.template, result.requester
    where = f"{template.owner.source}:{template.owner.line}"
    lines = [f"{template.subject} ({where})",
             f"  created by {requester.user} (groups: {', '.join(requester.groups) or 'none'})"]
    lines.extend(f"  note: {note}" for note in result.notes)
    if admission.skipped:
        lines.append(f"  not checked: {admission.skipped}")
        return lines
    if admission.granted_by:
        lines.append("  SCCs it may use, in the order OpenShift tries them:")
        refused = {r.scc for r in admission.refusals}
        for name, how in admission.granted_by.items():  # in the policy's order
            who = admission.granted_to.get(name, "")
            state = ("refused" if name in refused else "admits" if name == admission.scc
                     else "not tried")
            lines.append(f"    {name} [{state}]: {how}" + (f" (to the {who})" if who else ""))
    else:
        lines.append("  it may use no SCC")
    for refusal in admission.refusals:
        lines.append(f"  refused by {refusal.scc}:")
        lines.extend(f"    {reason}" for reason in refusal.reasons)
    for note in admission.notes:
        lines.append(f"  note: {note}")
    if not admission.allowed:
        lines.append("  REFUSED: no SCC it may use admits the pod")
        return lines
    lines.append(f"  ADMITTED by {admission.scc}; the pod as admitted:")
    lines.extend(f"    {line}" for line in _security_summary(admission.pod or {}))
    return lines


def _security_summary(pod: dict[str, Any]) -> list[str]:
    """The fields SCC admission sets, as YAML: the SCC annotation, the pod's and each
    container's securityContext."""
    import yaml

    spec = mapping(pod.get("spec"))
    annotations = mapping(mapping(pod.get("metadata")).get("annotations"))
    summary: dict[str, Any] = {}
    scc_annotations = {k: v for k, v in annotations.items() if "openshift.io" in str(k)}
    if scc_annotations:
        summary["metadata.annotations"] = scc_annotations
    summary["spec.securityContext"] = spec.get("securityContext") or {}
    for container in containers_of(spec):
        summary[f"{container.path}.securityContext ({container.name})"] = (
            container.body.get("securityContext") or {}
        )
    text = yaml.dump(summary, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                     sort_keys=True, default_flow_style=False, width=100)
    return text.rstrip("\n").split("\n")
