"""Network findings after the connection list of `tenlayer k8s netpol --findings`.

txt: the list as netpol-analyzer prints it, a blank line, `Findings (N):` and one line per
finding (`SEVERITY check-id subject file:line: title`). json: an object holding the list
(`connections`, netpol-analyzer's objects unchanged) and the findings (`findings`, the records
of `k8s check --format json`). md: a `## Findings` table after the list's. csv and dot hold
one table or graph, so they take no findings: with --fail-on the findings are computed for
the exit code and counted on stderr. Without --findings the output is netpol-analyzer's
alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import orjson

from tenlayer.errors import BadInput
from tenlayer.kube.objects import KubeObject
from tenlayer.model import Finding
from tenlayer.netpol.connectivity import Analysis, Options

FINDING_FORMATS = ("txt", "json", "md")


def _place(found: Finding) -> str:
    """`file:line`, the file alone without a line, or empty."""
    return f"{found.file}:{found.line}" if found.line else found.file


def finding_line(found: Finding) -> str:
    place = _place(found)
    where = f" {place}" if place else ""
    return f"{found.severity.name:<8} {found.check_id} {found.subject}{where}: {found.title}"


def render_findings_txt(findings: Sequence[Finding]) -> bytes:
    """`Findings (N):`, a line each, and the count by severity `k8s check` ends with."""
    from tenlayer.report.table import findings_count

    lines = [f"Findings ({len(findings)}):", *(finding_line(f) for f in findings),
             findings_count(list(findings))]
    return ("\n".join(lines) + "\n").encode()


def render_findings_md(findings: Sequence[Finding]) -> bytes:
    lines = [f"## Findings ({len(findings)})", "| severity | check | object | where | title |",
             "|-----|-----|-----|-----|-----|"]
    for found in findings:
        cells = (found.severity.name.lower(), found.check_id, found.subject, _place(found),
                 found.title)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return ("\n".join(lines) + "\n").encode()


def with_findings(data: bytes, output_format: str, findings: Sequence[Finding]) -> bytes:
    """The connection list `data` (in `output_format`) followed by the findings."""
    check_finding_format(output_format)
    if output_format == "txt":
        return data + (b"\n" if data else b"") + render_findings_txt(findings)
    if output_format == "md":
        return data + (b"\n" if data.endswith(b"\n") else b"\n\n") + render_findings_md(findings)
    from tenlayer.report.json import dumps, finding_dict

    return dumps({"connections": orjson.loads(data),
                  "findings": [finding_dict(f) for f in findings]})


def findings_of(objects: Sequence[KubeObject], analysis: Analysis, options: Options,
                tenant_label: str | None) -> list[Finding]:
    """The network findings of the whole input (focus options narrow the list only)."""
    from tenlayer.netpol.findings import FindingOptions, check_tenant_label, network_findings

    label = None if tenant_label is None else check_tenant_label(tenant_label)
    unfocused = analysis if options == Options() else None
    return network_findings(objects, FindingOptions(tenant_label=label), unfocused)


def findings_summary(findings: Sequence[Finding]) -> str:
    """One line for stderr when the format (csv, dot) cannot hold the findings --fail-on
    judges: how many, by severity, and how to list them."""
    from tenlayer.report.table import findings_count

    return (f"{findings_count(list(findings))}; list them with --findings and --format "
            f"{', '.join(FINDING_FORMATS[:-1])} or {FINDING_FORMATS[-1]}")


def check_finding_format(output_format: str) -> None:
    """Refuse --findings in a format that cannot hold them, before anything is written."""
    if output_format not in FINDING_FORMATS:
        raise BadInput(f"--findings: use --format {' or '.join(FINDING_FORMATS)} "
                       f"(not {output_format})")


def iter_report(analysis: Analysis, output_format: str, findings: Sequence[Finding] | None
                ) -> Iterator[bytes]:
    """with_findings (the list alone when `findings` is None) in pieces, to be written as
    they come: the list is never held whole, at scale it is gigabytes."""
    from tenlayer.netpol.output import iter_json, iter_output

    if findings is None:
        yield from iter_output(analysis, output_format)
        return
    check_finding_format(output_format)
    if output_format == "json":
        from tenlayer.report.json import finding_dict

        yield from iter_json(analysis, [finding_dict(f) for f in findings])
        return
    last = b""
    for piece in iter_output(analysis, output_format):
        if piece:
            last = piece
            yield piece
    if output_format == "txt":
        yield (b"\n" if last else b"") + render_findings_txt(findings)
    else:
        yield (b"\n" if last.endswith(b"\n") else b"\n\n") + render_findings_md(findings)
