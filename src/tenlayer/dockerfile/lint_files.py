"""Lint every Dockerfile the command line names: read, parse, lint, gather."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from tenlayer.dockerfile.lint import LintOptions, LintWarning, ignore_warnings, lint
from tenlayer.dockerfile.load import Skipped, load_dockerfiles
from tenlayer.model import Finding


@dataclass(frozen=True, slots=True)
class FileSummary:
    path: str
    instructions: int
    stages: int
    windows: bool
    template: bool


@dataclass(frozen=True, slots=True)
class LintResult:
    files: tuple[FileSummary, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...] = ()
    """Files found in directories that are not Dockerfiles (their reasons)."""
    warnings: tuple[LintWarning, ...] = ()
    """Ignore comments naming checks that do not exist; files read as Latin-1."""


def lint_paths(paths: Sequence[str], options: LintOptions | None = None,
               stdin: BinaryIO | None = None) -> LintResult:
    """Every input read before any is linted: one bad file named on the command line stops
    the run (exit 2) before a report that would look complete is written; one found in a
    directory is skipped and listed."""
    from tenlayer.dockerfile.context import Context

    files = []
    findings: list[Finding] = []
    warnings: list[LintWarning] = []
    loaded = load_dockerfiles(paths, stdin)
    for dockerfile in loaded.dockerfiles:
        context = Context.of(dockerfile)
        findings.extend(lint(dockerfile, options or LintOptions(), context))
        warnings.extend((*dockerfile.warnings, *ignore_warnings(dockerfile)))
        files.append(FileSummary(
            dockerfile.path, len(dockerfile.instructions), len(context.stages),
            bool(context.shipped) and context.shipped[0].index in context.windows,
            dockerfile.template,
        ))
    return LintResult(tuple(files), tuple(sorted(findings, key=Finding.sort_key)),
                      tuple(loaded.skipped), tuple(warnings))
