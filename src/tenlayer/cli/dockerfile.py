"""`tenlayer dockerfile`: audit Dockerfiles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenlayer.cli.scanning import SEVERITIES

if TYPE_CHECKING:
    from tenlayer.dockerfile.lint_files import LintResult

LINT_FORMATS = ["table", "json", "sarif"]


@click.group("dockerfile")
def dockerfile_group() -> None:
    """Audit Dockerfiles."""


@dockerfile_group.command("lint")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--allowed-registries", metavar="LIST",
              help="Comma-separated registries (or registry/path prefixes) base images may "
              "come from.")
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(LINT_FORMATS, case_sensitive=False), help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout ('-' is stdout).")
@click.option("--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False),
              help="Exit 1 when a finding is at least this severe.")
def lint_command(paths: tuple[str, ...], allowed_registries: str | None, output_format: str,
                 output: Path | None, fail_on: str | None) -> None:
    """Lint the Dockerfiles in PATH... (files, directories, - for stdin). Directories are
    walked for Dockerfile, Dockerfile.*, Dockerfile-*, *.Dockerfile, *.dockerfile,
    *Dockerfile and Containerfile; a file found there that is not a Dockerfile is skipped
    with a warning. `# tenlayer ignore=<id>[,<id>]` on the lines just above an instruction
    silences those checks there (an id that is no check is warned about)."""
    from tenlayer.cli.options import exit_for_findings, registries_option, terminal_width
    from tenlayer.dockerfile.lint import LintOptions
    from tenlayer.dockerfile.lint_files import lint_paths
    from tenlayer.report.output import write_output

    output_format = output_format.lower()
    options = LintOptions(allowed_registries=registries_option(allowed_registries))
    result = lint_paths(paths, options)
    destination = None if output is None or str(output) == "-" else output
    if output_format == "json":
        from tenlayer.report.dockerfile import render_lint_json

        data = render_lint_json(result)
    elif output_format == "sarif":
        from tenlayer.report.sarif_findings import render_findings_sarif

        data = render_findings_sarif(list(result.findings))
    else:
        from tenlayer.report.dockerfile import render_lint_table

        terminal = destination is None and sys.stdout.isatty()
        data = render_lint_table(_printable_paths(result), color=terminal,
                                 width=terminal_width(terminal))
    write_output(data, destination, inputs=[*paths, *(f.path for f in result.files),
                                            *(s.path for s in result.skipped)])
    for skipped in result.skipped:
        sys.stderr.write(f"tenlayer: warning: skipped {_show(skipped.path)}: {skipped.reason}\n")
    for warning in result.warnings:
        sys.stderr.write(f"tenlayer: warning: {_show(warning.file)}: line {warning.line}: "
                         f"{warning.message}\n")
    for note in result.notes:
        sys.stderr.write(f"tenlayer: note: {_show(note.file)}: {note.message}\n")
    if fail_on:
        exit_for_findings(list(result.findings), fail_on)


def _printable_paths(result: LintResult) -> LintResult:
    """File names that are not UTF-8 (kept as surrogate escapes) shown with `\\xNN` in the
    table, which is text; JSON keeps their bytes."""
    from dataclasses import replace

    if not any(_show(f.path) != f.path for f in result.files):
        return result
    return replace(
        result,
        files=tuple(replace(f, path=_show(f.path)) for f in result.files),
        findings=tuple(replace(f, file=_show(f.file)) for f in result.findings),
    )


def _show(path: str) -> str:
    """A path with the bytes that are not UTF-8 (surrogate escapes) written `\\xNN`."""
    if path.isascii():
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


