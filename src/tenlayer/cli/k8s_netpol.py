"""`tenlayer k8s netpol`: which workloads can reach which, from the manifests alone."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tenlayer.cli.k8s import _fail_on, _output, _paths, _tenant_label, k8s_group
from tenlayer.errors import BadInput

NETPOL_FORMATS = ["txt", "json", "csv", "md", "dot"]
DIRECTIONS = ["ingress", "egress"]


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated options and comma-separated lists, as netpol-analyzer takes them."""
    names = tuple(n.strip() for value in values for n in value.split(",") if n.strip())
    if len(names) != sum(1 for value in values for n in value.split(",")):
        raise BadInput("--focus-workload/--focus-workload-peer: empty workload name")
    return names


@k8s_group.command("netpol", short_help="Which workloads can reach which under the "
                   "network policies (netpol-analyzer's list).")
@_paths
@click.option("--format", "-f", "output_format", default="txt", show_default=True,
              type=click.Choice(NETPOL_FORMATS, case_sensitive=False), help="Output format.")
@click.option("--focus-workload", "focus_workloads", multiple=True, metavar="NAME",
              help="Only connections from or to this workload (name or namespace/name; "
              "repeatable or comma-separated).")
@click.option("--focus-workload-peer", "focus_peers", multiple=True, metavar="NAME",
              help="With --focus-workload: only connections with this other end.")
@click.option("--focus-direction", type=click.Choice(DIRECTIONS, case_sensitive=False),
              help="With --focus-workload: only traffic into it (ingress) or out of it (egress).")
@click.option("--focus-conn", metavar="PROTOCOL-PORT",
              help="Only connections that allow this port, e.g. tcp-8080; lists pairs only.")
@click.option("--exposure", is_flag=True,
              help="Add the exposure analysis: what each workload is open to beyond the "
              "workloads in the input (the entire cluster, namespaces and pods its rules "
              "name, external addresses), as netpol-analyzer's `list --exposure`.")
@click.option("--findings", "with_findings", is_flag=True,
              help="After the list, the network isolation findings of the whole input "
              "(txt, md: a `Findings` section; json: {connections, findings}).")
@_tenant_label
@_fail_on
@_output
def netpol_command(
    paths: tuple[str, ...], output_format: str, focus_workloads: tuple[str, ...],
    focus_peers: tuple[str, ...], focus_direction: str | None, focus_conn: str | None,
    exposure: bool,
    with_findings: bool, tenant_label: str | None, fail_on: str | None, output: Path | None,
) -> None:
    """The connectivity the NetworkPolicies, AdminNetworkPolicies, the
    BaselineAdminNetworkPolicy, Ingresses and Routes in PATH... allow between workloads and
    external addresses, as np-guard's netpol-analyzer lists it
    (`ns/name[Kind] => ns/name[Kind] : TCP 8080`). With --findings (implied by
    --tenant-label and --fail-on), the network isolation findings follow; csv and dot hold
    the list alone, so there --fail-on counts the findings on stderr."""
    from tenlayer.cli.progress import step_progress
    from tenlayer.kube.inputs import load_manifests
    from tenlayer.netpol.connectivity import Options, analyze, parse_focus_conn
    from tenlayer.netpol.findings_report import (
        FINDING_FORMATS,
        check_finding_format,
        findings_of,
        findings_summary,
        iter_report,
    )
    from tenlayer.netpol.validate import validate
    from tenlayer.report.output import output_stream

    focus = _names(focus_workloads)
    peers = _names(focus_peers)
    if (peers or focus_direction) and not focus:
        raise BadInput("--focus-workload-peer and --focus-direction need --focus-workload")
    conn = None if focus_conn is None else parse_focus_conn(focus_conn)
    destination = None if output is None or str(output) == "-" else output
    # on a terminal, unless the list goes there too, or is json read by a program
    shown_progress = destination is not None or (
        output_format.lower() != "json" and not sys.stdout.isatty())
    with step_progress(enabled=shown_progress) as progress:
        progress.step("reading manifests")
        manifests = load_manifests(paths, typed_lists=True)
        validate(manifests.objects)
        options = Options(focus, peers, (focus_direction or "").lower() or None, conn,
                          exposure)
        progress.step("analysing connectivity")
        analysis = analyze(manifests.objects, options)
        output_format = output_format.lower()
        # csv and dot hold one table or graph: there --fail-on judges findings it does not
        # show
        counted = bool(fail_on) and not with_findings and output_format not in FINDING_FORMATS
        shown = bool(with_findings or tenant_label or fail_on) and not counted
        findings = None
        if shown:
            check_finding_format(output_format)
        if shown or counted:
            progress.step("network findings")
            findings = findings_of(manifests.objects, analysis, options, tenant_label)
        # written as it is made, to stdout or (whole, once done) to the file: at scale the
        # list is hundreds of MB (txt) to gigabytes (json)
        progress.step("writing")
        with output_stream(destination, inputs=[*paths, *manifests.sources]) as stream:
            for piece in iter_report(analysis, output_format, findings if shown else None):
                stream.write(piece)
                progress.wrote(len(piece))
    for skipped in manifests.skipped:
        sys.stderr.write(f"tenlayer: warning: skipped {skipped.source}: {skipped.reason}\n")
    for warning in analysis.warnings:
        sys.stderr.write(f"tenlayer: warning: {warning}\n")
    if counted and findings is not None:
        sys.stderr.write(f"tenlayer: {findings_summary(findings)}\n")
    if findings is not None and fail_on:
        from tenlayer.cli.options import exit_for_findings

        exit_for_findings(findings, fail_on)
