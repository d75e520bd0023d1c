"""Lint every Dockerfile the command line names: read, parse, lint, gather."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from tenlayer.dockerfile.lint import LintOptions, LintWarning, ignore_warnings, lint
from tenlayer.dockerfile.load import Skipped, load_dockerfiles
from tenlayer.model import Finding

if TYPE_CHECKING:
    from tenlayer.dockerfile.context import Context


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
    notes: tuple[Note, ...] = ()
    """What was not checked and why: the Linux rules on Windows images."""


@dataclass(frozen=True, slots=True)
class Note:
    file: str
    message: str


WINDOWS_NOTE = ("Windows image ({base}): the RUN rules (curl|sh, sudo, chmod, caches) and the "
                "root-user rule are not applied; only PowerShell download-and-run (iwr … | iex) "
                "is looked for")
WINDOWS_STAGE_NOTE = ("Windows stage ({base}): the RUN rules (curl|sh, sudo, chmod, caches) "
                      "are not applied to it; only PowerShell download-and-run (iwr … | iex) "
                      "is looked for")


def windows_note(path: str, context: Context) -> Note | None:
    """Said once per file whose image (or one of whose stages) is Windows, so that the rules
    it skips are not skipped silently."""
    if not context.windows:
        return None
    if context.windows_image:
        final = context.shipped[0]
        base = next((s.base for s in reversed(context.shipped) if s.parent is None),
                    final.base)
        return Note(path, WINDOWS_NOTE.format(base=base))
    first = context.stages[min(context.windows)]
    return Note(path, WINDOWS_STAGE_NOTE.format(base=first.base))


def lint_paths(paths: Sequence[str], options: LintOptions | None = None,
               stdin: BinaryIO | None = None) -> LintResult:
    """Every input read before any is linted: one bad file named on the command line stops
    the run (exit 2) before a report that would look complete is written; one found in a
    directory is skipped and listed."""
    from tenlayer.dockerfile.context import Context

    files = []
    findings: list[Finding] = []
    warnings: list[LintWarning] = []
    notes: list[Note] = []
    loaded = load_dockerfiles(paths, stdin)
    for dockerfile in loaded.dockerfiles:
        context = Context.of(dockerfile)
        findings.extend(lint(dockerfile, options or LintOptions(), context))
        warnings.extend((*dockerfile.warnings, *ignore_warnings(dockerfile)))
        note = windows_note(dockerfile.path, context)
        if note is not None:
            notes.append(note)
        files.append(FileSummary(
            dockerfile.path, len(dockerfile.instructions), len(context.stages),
            context.windows_image,
            dockerfile.template,
        ))
    return LintResult(tuple(files), tuple(sorted(findings, key=Finding.sort_key)),
                      tuple(loaded.skipped), tuple(warnings), tuple(notes))
