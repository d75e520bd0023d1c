"""`tenlayer checks …`: the catalogue of checks."""

from __future__ import annotations

import click


@click.group("checks")
def checks_group() -> None:
    """The catalogue of checks."""


@checks_group.command("list")
@click.option("--layer", type=click.IntRange(1, 10), help="Only the checks of this layer.")
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(["table", "json"], case_sensitive=False))
def list_checks(layer: int | None, output_format: str) -> None:
    """Print every check tenlayer can report, with its layer and default severity."""
    from tenlayer.checks.catalogue import catalogue
    from tenlayer.report.output import write_output

    checks = [c for c in catalogue().values() if layer is None or c.layer == layer]
    if output_format.lower() == "json":
        from tenlayer.report.json import check_dict, dumps, tool

        data = dumps({"tool": tool(), "checks": [check_dict(c) for c in checks]})
    else:
        from tenlayer.report.table import render_checks

        data = render_checks(checks)
    write_output(data, None)
