"""What `image scan` and `sbom scan` share: their options, and how a result is written."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from tenlayer.errors import EXIT_FINDINGS

SEVERITIES = ["unknown", "info", "low", "medium", "high", "critical"]
"""`--fail-on unknown` fails on any finding, unrated ones included (Go's vulndb rates none)."""
GRADES = ["A", "B", "C", "D", "E", "F"]
FORMATS = ["table", "json", "sarif", "cyclonedx"]


def scan_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        (
            click.option("--format", "-f", "output_format", default="table", show_default=True,
                         type=click.Choice(FORMATS, case_sensitive=False),
                         help="Output format."),
            click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                         help="Write to this file instead of stdout ('-' is stdout)."),
            click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                         help="The vulnerability database [default: in the user's cache]."),
            click.option("--max-db-age", default="7d", show_default=True,
                         help="Warn when the database is older than this."),
            click.option("--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False),
                         help="Exit 1 when a finding is at least this severe."),
            click.option("--fail-on-grade", type=click.Choice(GRADES, case_sensitive=False),
                         help="Exit 1 when the health grade is worse than this."),
            click.option("--ignore-unfixed", is_flag=True,
                         help="Leave out vulnerabilities that have no fix yet."),
            click.option("--ignorefile", type=click.Path(dir_okay=False, path_type=Path),
                         help="Ignore these vulnerabilities (YAML: id, package/purl, expires, "
                         "reason; or one id a line)."),
            click.option("--vex", "vex_files", multiple=True,
                         type=click.Path(dir_okay=False, path_type=Path),
                         help="OpenVEX document(s): not_affected and fixed statements suppress "
                         "matches."),
        )
    ):
        command = option(command)
    return command


def run_scan(
    inventory_of: Callable[[], Any],
    *,
    checks: frozenset[str] = frozenset({"vuln"}),
    inputs: tuple[str, ...] = (),
    **options: Any,
) -> None:
    """Inventory (via `inventory_of`: an Inventory or a ScanInput), scan, write the report,
    exit as --fail-on* says. Without `vuln` in `checks` no database is opened."""
    from tenlayer.cli.db import parse_age
    from tenlayer.report.output import write_output
    from tenlayer.scan.run import ScanOptions, scan_inventory

    if "vuln" not in checks and options["fail_on_grade"] is not None:
        raise click.UsageError(
            "--fail-on-grade needs --checks to include vuln: the grade is computed from "
            "vulnerabilities only"
        )
    scan = ScanOptions(
        database=options["db_path"],
        max_db_age=parse_age(options["max_db_age"]),
        ignore_unfixed=options["ignore_unfixed"],
        ignorefile=options["ignorefile"],
        vex=tuple(options["vex_files"]),
        checks=checks,
    )
    now = datetime.now(UTC)
    if "vuln" in checks:
        _check_database_exists(scan)
    result = scan_inventory(inventory_of(), scan, now=now)
    output: Path | None = options["output"]
    if output is not None and str(output) == "-":
        output = None
    write_output(_render(result, options["output_format"].lower(), output), output,
                 inputs=inputs)
    if output is not None or options["output_format"].lower() != "table":
        for warning in result.warnings:
            sys.stderr.write(f"tenlayer: warning: {warning}\n")
    if _fails(result, options["fail_on"], options["fail_on_grade"]):
        sys.exit(EXIT_FINDINGS)


def _check_database_exists(scan: Any) -> None:
    """A missing database is an environment problem: say so before reading an image."""
    from tenlayer.vulndb.store import open_database

    open_database(scan.database).close()


def _render(result: Any, output_format: str, output: Path | None) -> bytes:
    if output_format == "json":
        from tenlayer.report.json import render_scan

        return render_scan(result)
    if output_format == "sarif":
        from tenlayer.report.sarif import render_sarif

        return render_sarif(result)
    if output_format == "cyclonedx":
        from tenlayer.sbom.cyclonedx import render_cyclonedx

        return render_cyclonedx(result.inventory, matches=list(result.matches))
    from tenlayer.report.table import render_scan as render_table

    to_terminal = output is None and sys.stdout.isatty()
    width = None
    if to_terminal:
        import shutil

        width = shutil.get_terminal_size().columns
    return render_table(result, width=width, color=to_terminal)


def _fails(result: Any, fail_on: str | None, fail_on_grade: str | None) -> bool:
    from tenlayer.model import Severity
    from tenlayer.scan.grade import LETTERS

    if fail_on is not None:
        threshold = Severity.parse(fail_on)
        if any(f.severity >= threshold for f in result.findings):
            return True
    return fail_on_grade is not None and result.grade is not None and (
        LETTERS.index(result.grade.letter) > LETTERS.index(fail_on_grade.upper())
    )
