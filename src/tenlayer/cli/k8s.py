"""`tenlayer k8s …`: manifests through Pod Security, workload checks and SCC admission."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tenlayer.cli.scanning import SEVERITIES
from tenlayer.errors import EXIT_FINDINGS, BadInput

if TYPE_CHECKING:
    from tenlayer.kube.inputs import Manifests
    from tenlayer.kube.objects import KubeObject
    from tenlayer.policy.manifests import CheckResult
    from tenlayer.policy.scc import SCCPolicy

CHECK_FORMATS = ["table", "json", "sarif"]


@click.group("k8s")
def k8s_group() -> None:
    """Check Kubernetes and OpenShift manifests before they are deployed."""


_paths = click.argument("paths", nargs=-1, required=True, metavar="PATH...")
_namespace = click.option(
    "--namespace", "-n", metavar="NAME",
    help="Namespace of objects that name none, as kubectl apply -n [default: default].",
)
_scc_policy = click.option(
    "--scc-policy", "scc_policy", multiple=True, metavar="PATH",
    help="SecurityContextConstraints, Roles and bindings (files or directories), e.g. "
    "`oc get scc,clusterrole,clusterrolebinding -o yaml`. Those in PATH count too. "
    "Implies --scc.",
)
_output = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout ('-' is stdout).",
)


def _given_tenant_label(_ctx: click.Context, _param: click.Parameter,
                        value: str | None) -> str | None:
    """An empty key would turn the tenant check off without a word (`k8s netpol` reads it
    as not given): refuse it as the option's own error."""
    if value is not None and not value.strip():
        raise BadInput(f"--tenant-label {value!r}: name the namespace label that holds the "
                       "tenant, e.g. --tenant-label tenant")
    return value


_tenant_label = click.option(
    "--tenant-label", metavar="KEY", callback=_given_tenant_label,
    help="Namespace label naming the tenant: connections between namespaces with different "
    "values are findings (network/cross-tenant).",
)
_fail_on = click.option(
    "--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False),
    help="Exit 1 when a finding is at least this severe.",
)


@k8s_group.command("check")
@_paths
@click.option("--pss", "pss_level", type=click.Choice(["privileged", "baseline", "restricted"],
              case_sensitive=False),
              help="Enforce this Pod Security level everywhere, instead of namespace labels.")
@click.option("--pss-version", metavar="VERSION",
              help="Policy version for --pss: v1.0 … v1.37 or latest (newer versions read as "
              "v1.37) [default: latest].")
@click.option("--scc", "with_scc", is_flag=True,
              help="Also run OpenShift SCC admission for each workload, as its service account.")
@_scc_policy
@click.option("--allowed-registries", metavar="LIST",
              help="Comma-separated registries (or registry/path prefixes) images may come from.")
@_namespace
@_tenant_label
@click.option("--network/--no-network", "network", default=None,
              help="Network isolation findings: on by default when PATH... holds a "
              "NetworkPolicy or an admin network policy (or --tenant-label is given); "
              "--network also judges manifests without any.")
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(CHECK_FORMATS, case_sensitive=False), help="Output format.")
@_output
@_fail_on
def check_command(
    paths: tuple[str, ...], pss_level: str | None, pss_version: str | None, with_scc: bool,
    scc_policy: tuple[str, ...], allowed_registries: str | None, namespace: str | None,
    tenant_label: str | None, network: bool | None, output_format: str, output: Path | None,
    fail_on: str | None,
) -> None:
    """Check the workloads in PATH... (files, directories, - for stdin; YAML or JSON, several
    documents, List kinds, `helm template` and `kustomize build` output) against Pod Security
    Standards as their namespaces' labels (or --pss) choose, the workload checks and the
    network isolation checks (NetworkPolicies, admin network policies)."""
    import gc

    from tenlayer.cli.options import registries_option, terminal_width
    from tenlayer.policy.manifests import CheckOptions, check_manifests
    from tenlayer.policy.pod_security import LevelVersion
    from tenlayer.report.output import write_output

    gc.disable()  # a short-lived run over many small objects: the collector only costs time
    output_format = output_format.lower()
    if pss_version is not None and not pss_version.strip():
        raise BadInput("--pss-version '': name a version, e.g. v1.30 or latest")
    if pss_version and not pss_level:
        raise BadInput("--pss-version needs --pss LEVEL")
    override = None
    if pss_level:
        try:
            override = LevelVersion.parse(pss_level, pss_version)
        except ValueError as error:
            raise BadInput(f"--pss-version: {error}") from None
    manifests = _load(paths, quiet=output_format != "table")
    scc: SCCPolicy | None = None
    policy_objects: tuple[KubeObject, ...] = ()
    if with_scc or scc_policy:
        scc, policy_objects = _scc_policy_for(manifests, scc_policy)
    if tenant_label is not None and network is False:
        raise BadInput("--tenant-label and --no-network cannot be combined")
    result = check_manifests(
        manifests,
        CheckOptions(pss=override, default_namespace=_namespace_option(namespace),
                     allowed_registries=registries_option(allowed_registries), scc=scc,
                     policy_objects=policy_objects),
    )
    if network or (network is None and (tenant_label is not None or _has_network_policies(
            manifests.objects))):
        result = _with_network_findings(result, manifests, tenant_label, namespace)
    destination = None if output is None or str(output) == "-" else output
    if output_format == "json":
        from tenlayer.report.manifests import render_check_json

        data = render_check_json(result)
    elif output_format == "sarif":
        from tenlayer.report.sarif_findings import render_findings_sarif

        data = render_findings_sarif(list(result.findings))
    else:
        from tenlayer.report.manifests import render_check_table

        terminal = destination is None and sys.stdout.isatty()
        data = render_check_table(result, color=terminal, width=terminal_width(terminal))
    write_output(data, destination, inputs=[*paths, *scc_policy, *manifests.sources,
                                            *(o.source for o in policy_objects)])
    for skipped in result.skipped:
        sys.stderr.write(f"tenlayer: warning: skipped {skipped.source}: {skipped.reason}\n")
    if fail_on:
        from tenlayer.cli.options import exit_for_findings

        exit_for_findings(list(result.findings), fail_on)


def _has_network_policies(objects: Iterable[KubeObject]) -> bool:
    """Manifests without any network policy are usually one application's, not a cluster's:
    that its namespace has no default-deny policy is then noise, so it takes --network."""
    return any(o.group in ("networking.k8s.io", "policy.networking.k8s.io", "k8s.cni.cncf.io")
               and o.kind.endswith("NetworkPolicy") for o in objects)


def _with_network_findings(result: CheckResult, manifests: Manifests,
                           tenant_label: str | None, namespace: str | None) -> CheckResult:
    """The check's findings and the network isolation findings of the same manifests (objects
    that name no namespace in `-n NAMESPACE`, as for the other checks). What the engine
    refuses (a selector, CIDR or port the API server refuses) is one network/invalid-input
    finding, as the check reports other invalid fields."""
    from dataclasses import replace

    from tenlayer.kube.workloads import pod_template
    from tenlayer.netpol.findings import (
        FindingOptions,
        check_tenant_label,
        in_namespace,
        invalid_input_finding,
        network_findings,
    )
    from tenlayer.netpol.resources import WORKLOAD_KINDS
    from tenlayer.netpol.validate import string_field_problem

    label = None if tenant_label is None else check_tenant_label(tenant_label)
    # workloads without a pod template, and objects whose name, namespace or labels are not
    # strings, are deploy/invalid-field findings already; read as text, those would be
    # analysed in a namespace or with labels they cannot have
    objects = [o for o in manifests.objects
               if (o.kind not in WORKLOAD_KINDS or pod_template(o, None) is not None)
               and string_field_problem(o) is None]
    if namespace:
        objects = in_namespace(objects, namespace)
    try:
        found = network_findings(objects, FindingOptions(tenant_label=label))
    except BadInput as error:
        found = [invalid_input_finding(error, manifests.sources)]
    if not found:
        return result
    merged = sorted((*result.findings, *found), key=lambda f: (f.sort_key(), f.title, f.evidence))
    return replace(result, findings=tuple(merged))


def _load(paths: tuple[str, ...], *, quiet: bool) -> Manifests:
    from tenlayer.kube.inputs import load_manifests

    if quiet or not sys.stderr.isatty():
        return load_manifests(paths)
    from rich.console import Console

    with Console(stderr=True).status("reading manifests"):
        return load_manifests(paths)


def _scc_policy_for(
    manifests: Manifests, extra: tuple[str, ...]
) -> tuple[SCCPolicy, tuple[KubeObject, ...]]:
    """The SCCs and RBAC objects of the manifests and of `--scc-policy` (whose Namespaces
    also count: their annotations hold the UID and SELinux ranges)."""
    from tenlayer.kube.inputs import load_manifests
    from tenlayer.policy.scc import SCCPolicy

    extra_objects = tuple(load_manifests(extra).objects) if extra else ()
    policy = SCCPolicy.from_objects(o.body for o in (*manifests.objects, *extra_objects))
    if not policy.sccs:
        raise BadInput(
            "no SecurityContextConstraints in the input: pass the cluster's SCCs and their "
            "role bindings with --scc-policy PATH (e.g. the output of `oc get scc,clusterrole,"
            "clusterrolebinding,role,rolebinding -A -o yaml`)"
        )
    return policy, extra_objects


@k8s_group.command("scc")
@_paths
@click.option("--user", "user", metavar="USER",
              help="The user creating the pods (system:serviceaccount:NS:NAME for a token).")
@click.option("--group", "groups", multiple=True, metavar="GROUP",
              help="A group of --user (repeatable); system:authenticated is always one.")
@click.option("--sa", "service_account", metavar="NS/NAME",
              help="The service account creating the pods (as a workload's controller does).")
@_scc_policy
@_namespace
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(["table", "json"], case_sensitive=False), help="Output format.")
@_output
def scc_command(
    paths: tuple[str, ...], user: str | None, groups: tuple[str, ...],
    service_account: str | None, scc_policy: tuple[str, ...], namespace: str | None,
    output_format: str, output: Path | None,
) -> None:
    """Which SecurityContextConstraints admit the pods in PATH... when --user or --sa creates
    them: the SCCs they may use in OpenShift's order, the one that admits each pod and the pod
    as admitted (UID, SELinux level, fsGroup, capabilities, seccomp), or why each refused.
    Exits 1 when a pod would be refused."""
    from tenlayer.kube.namespaces import namespaces_of
    from tenlayer.kube.workloads import pod_templates
    from tenlayer.policy.scc_admission import scc_admit
    from tenlayer.report.output import write_output
    from tenlayer.report.scc import render_scc_json, render_scc_table

    requester = _requester(user, groups, service_account)
    manifests = _load(paths, quiet=output_format.lower() != "table")
    policy, policy_objects = _scc_policy_for(manifests, scc_policy)
    namespaces = namespaces_of([*policy_objects, *manifests.objects])
    results = [
        scc_admit(template, policy, namespaces, requester)
        for template in pod_templates(manifests.objects, _namespace_option(namespace))
    ]
    if not results:
        raise BadInput(f"{', '.join(paths)}: no pods or workloads with a pod template")
    destination = None if output is None or str(output) == "-" else output
    if output_format.lower() == "json":
        data = render_scc_json(results)
    else:
        data = render_scc_table(results)
    write_output(data, destination, inputs=[*paths, *scc_policy, *manifests.sources,
                                            *(o.source for o in policy_objects)])
    if any(not r.admission.allowed for r in results):
        sys.exit(EXIT_FINDINGS)


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"


def _namespace_option(namespace: str | None) -> str | None:
    import re

    if namespace is not None and not re.fullmatch(_DNS_LABEL, namespace):
        raise BadInput(f"--namespace {namespace!r}: not a namespace name (lowercase letters, "
                       "digits and '-', at most 63, starting and ending alphanumeric)")
    return namespace


def _requester(user: str | None, groups: tuple[str, ...], service_account: str | None) -> Any:
    from tenlayer.policy.scc import Requester
    from tenlayer.policy.scc.requester import AUTHENTICATED

    if user is not None and service_account is not None:
        raise BadInput("--user and --sa cannot be combined: one identity creates the pods")
    if user is None and service_account is None:
        raise BadInput("say who creates the pods: --user USER or --sa NAMESPACE/NAME")
    if service_account is not None:
        namespace, slash, name = service_account.partition("/")
        if not slash or not namespace or not name or "/" in name:
            raise BadInput(f"--sa {service_account!r}: expected NAMESPACE/NAME")
        if groups:
            raise BadInput("--group goes with --user; a service account's groups are implied")
        return Requester.service_account(namespace, name)
    assert user is not None
    requester = Requester.parse_user(user)
    if groups:
        requester = Requester(requester.user, (*requester.groups, *groups))
    if AUTHENTICATED not in requester.groups:
        requester = Requester(requester.user, (*requester.groups, AUTHENTICATED))
    return requester


from tenlayer.cli import k8s_netpol  # noqa: E402,F401  (registers `k8s netpol` on the group)
