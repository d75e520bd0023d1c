"""`tenlayer image …`: commands that read container images."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tenlayer.cli.scanning import run_scan, scan_options
from tenlayer.image.platform import DEFAULT_PLATFORM

SEVERITIES = ["info", "low", "medium", "high", "critical"]

IMAGE_HELP = (
    "IMAGE is a docker-archive or OCI archive tar, an OCI layout or root filesystem "
    "directory, or a registry reference. skopeo's transports are accepted too: "
    "docker-archive:PATH[:TAG], oci:DIR[:TAG], oci-archive:PATH[:TAG], dir:PATH, docker://REF."
)


@click.group("image")
def image_group() -> None:
    """Inventory container images."""


def image_source_options(command: click.decorators.FC) -> click.decorators.FC:
    """The options every command that opens an image shares."""
    for option in reversed(
        (
            click.option("--platform", default=None,
                         help=f"Platform to pick from a multi-arch index [default: "
                         f"{DEFAULT_PLATFORM}]; a single-platform image of another one is "
                         "refused when this is given."),
            click.option("--insecure", is_flag=True,
                         help="Allow plain HTTP and unverified TLS for the registry."),
            click.option("--max-layer-size", default="32GiB", show_default=True,
                         help="Refuse a layer that decompresses beyond this."),
            click.option("--timeout", default="30", show_default=True,
                         help="Registry timeout in seconds."),
        )
    ):
        command = option(command)
    return command


@image_group.command("sbom", epilog=IMAGE_HELP)
@click.argument("image")
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(["table", "json", "cyclonedx", "spdx"], case_sensitive=False),
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout ('-' is stdout).")
@click.option("--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False),
              help="Exit 1 when a finding is at least this severe.")
@image_source_options
def sbom(
    image: str,
    output_format: str,
    output: Path | None,
    fail_on: str | None,
    platform: str | None,
    insecure: bool,
    max_layer_size: str,
    timeout: str,
) -> None:
    """List every package in IMAGE (a software bill of materials)."""
    from tenlayer.cli.options import open_options
    from tenlayer.cli.progress import layer_progress
    from tenlayer.inventory import checks
    from tenlayer.inventory.scan import inventory_image
    from tenlayer.report.output import write_output

    output_format = output_format.lower()
    if output is not None and str(output) == "-":
        output = None
    options = open_options(
        platform=platform, insecure=insecure, max_layer_size=max_layer_size, timeout=timeout
    )
    with layer_progress(enabled=output_format == "table" or output is not None) as on_layer:
        inventory = inventory_image(image, options, on_layer=on_layer)
    findings = checks.evaluate(inventory)
    if output_format == "json":
        from tenlayer.report.json import render_inventory as render_json

        data = render_json(inventory, findings)
    elif output_format == "cyclonedx":
        from tenlayer.sbom.cyclonedx import render_cyclonedx

        data = render_cyclonedx(inventory)
    elif output_format == "spdx":
        from tenlayer.sbom.spdx import render_spdx

        data = render_spdx(inventory)
    else:
        from tenlayer.report.table import render_inventory as render_table

        to_terminal = output is None and sys.stdout.isatty()
        width = None
        if to_terminal:
            import shutil

            width = shutil.get_terminal_size().columns
        data = render_table(inventory, findings, width=width, color=to_terminal)
    write_output(data, output, inputs=(image,))
    if fail_on is not None:
        from tenlayer.cli.options import exit_for_findings

        exit_for_findings(findings, fail_on)


@image_group.command("scan", epilog=IMAGE_HELP)
@click.argument("image")
@click.option("--checks", "check_kinds", default="vuln,config,secret", show_default=True,
              help="What to check, comma-separated: vuln (known vulnerabilities; needs the "
              "database), config (root user, secrets in env/labels/history, setuid/setgid and "
              "world-writable files), secret (credentials in layer files, deleted ones too). "
              "The health grade is computed from vulnerabilities only.")
@scan_options
@image_source_options
def scan(
    image: str,
    check_kinds: str,
    platform: str | None,
    insecure: bool,
    max_layer_size: str,
    timeout: str,
    **options: Any,
) -> None:
    """Find the known vulnerabilities of every package in IMAGE and grade it; check its
    config and layer files for root, secrets, setuid/setgid and world-writable files."""
    from tenlayer.cli.options import open_options
    from tenlayer.cli.progress import layer_progress
    from tenlayer.imagecheck.run import image_findings, parse_checks, trace_book
    from tenlayer.inventory.scan import inventory_image
    from tenlayer.scan.run import ScanInput

    try:
        checks = parse_checks(check_kinds)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--checks") from None
    source = open_options(
        platform=platform, insecure=insecure, max_layer_size=max_layer_size, timeout=timeout
    )
    show_progress = options["output_format"].lower() == "table" or options["output"] is not None

    def inventory_of() -> ScanInput:
        book = trace_book(config="config" in checks, secrets="secret" in checks)
        with layer_progress(enabled=show_progress) as on_layer:
            inventory = inventory_image(image, source, on_layer=on_layer, traces=book)
        found, warnings = image_findings(inventory.image, book, config="config" in checks)
        return ScanInput(inventory, tuple(found), tuple(warnings))

    run_scan(inventory_of, checks=checks, inputs=(image,), **options)


def _add_signing_commands() -> None:
    from tenlayer.cli.image_signing import SIGNING_COMMANDS

    for command in SIGNING_COMMANDS:
        image_group.add_command(command)


_add_signing_commands()
