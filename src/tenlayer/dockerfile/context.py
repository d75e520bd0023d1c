"""What every rule needs about one Dockerfile: its stages, which of them the image is built
from, which are Windows, and how to build a finding at an instruction.

A stage builds a Windows image when its base image is one (nanoserver, windowsservercore,
`mcr.microsoft.com/windows…`), its FROM says `--platform=windows/…`, a SHELL in it is cmd or
PowerShell, or it is built FROM a Windows stage. A backtick escape directive is no proof:
Linux Dockerfiles use it too."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass, field

from tenlayer.checks.catalogue import finding
from tenlayer.dockerfile.stages import (
    Opened,
    Stage,
    Variables,
    expand_open,
    expand_word,
    global_args,
    lineage,
    stages_of,
    variables_at,
    with_platform,
)
from tenlayer.dockerfile.syntax import Dockerfile, Instruction
from tenlayer.dockerfile.words import unquote
from tenlayer.model import Finding, Severity

_WINDOWS_IMAGES = ("mcr.microsoft.com/windows", "microsoft/windowsservercore",
                   "microsoft/nanoserver")
_WINDOWS_WORDS = ("windowsservercore", "nanoserver", "servercore:ltsc", "windows/server")
_WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh",
                             "pwsh.exe"})


@dataclass(frozen=True, slots=True)
class Hit:
    """A finding and the instruction it is about (whose comments may ignore it)."""

    instruction: Instruction
    finding: Finding


@dataclass(frozen=True)
class Context:
    dockerfile: Dockerfile
    stages: list[Stage]
    shipped: list[Stage]
    """The final stage and the stages it is built FROM: what the image holds."""
    windows: frozenset[int]
    """Indexes of the stages that build Windows images."""
    locations: dict[int, str] = field(default_factory=dict)
    global_values: Variables = field(default_factory=dict)
    """The ARGs before the first FROM (stages see them only when they declare them again)."""

    @classmethod
    def of(cls, dockerfile: Dockerfile) -> Context:
        global_values = global_args(dockerfile)
        stages = stages_of(dockerfile, global_values)
        windows: set[int] = set()
        for stage in stages:
            if _is_windows(stage) or (stage.parent in windows):
                windows.add(stage.index)
        locations: dict[int, str] = {}
        counts: Counter[str] = Counter()
        for instruction in dockerfile.instructions:
            if instruction.keyword == "FROM":
                break
            locations[instruction.start_line] = (  # ARGs before the first FROM
                f"global {instruction.keyword}[{counts[instruction.keyword]}]")
            counts[instruction.keyword] += 1
        for stage in stages:
            counts = Counter()
            for instruction in (stage.start, *stage.instructions):
                locations[instruction.start_line] = (
                    f"{instruction.keyword}[{counts[instruction.keyword]}]")
                counts[instruction.keyword] += 1
        return cls(dockerfile, stages, lineage(stages), frozenset(windows), locations,
                   global_values)

    @property
    def windows_image(self) -> bool:
        """The image itself (its final stage) is Windows."""
        return bool(self.shipped) and self.shipped[0].index in self.windows

    def expanded(self, stage: Stage, instruction: Instruction, word: str) -> str | None:
        """A word of the instruction as BuildKit reads it: the ARG and ENV values the stage
        has at that point expanded, quotes undone; None when a variable has no known value
        (an ARG without a default is whatever `--build-arg` says)."""
        escape = self.dockerfile.escape
        if "$" not in word:
            return expand_word(word, {}, escape)
        values = variables_at(self.stages, stage, instruction, self.global_values, escape)
        return expand_word(word, values, escape)

    def opened(self, stage: Stage, instruction: Instruction, word: str) -> Opened:
        """A word as `expanded` reads it, but with what the Dockerfile leaves open marked
        (stages.expand_open): values chosen by `--build-arg`, variables not set in the
        stage at that point (empty, as BuildKit expands them). A single-quoted word is
        not expanded."""
        escape = self.dockerfile.escape
        if "$" not in word or word.startswith("'"):
            return Opened(unquote(word, escape), (), ())
        values = variables_at(self.stages, stage, instruction, self.global_values, escape)
        opened = expand_open(word, with_platform(values, global_scope=False))
        return Opened(unquote(opened.text, escape), opened.build_args, opened.unset)

    def hit(
        self, check_id: str, stage: Stage, instruction: Instruction, *, title: str | None = None,
        severity: Severity | None = None, detail: str = "", evidence: dict[str, str] | None = None,
    ) -> Hit:
        location = self.locations.get(instruction.start_line, instruction.keyword)
        return Hit(instruction, finding(
            check_id, subject=stage.label, location=f"{location} {detail}".strip(),
            evidence=tuple(sorted((evidence or {}).items())), title=title, severity=severity,
            file=self.dockerfile.path, line=instruction.start_line,
        ))


def _is_windows(stage: Stage) -> bool:
    platform = (stage.start.flag("platform") or "").strip().lower()
    if platform.startswith("windows"):
        return True
    image = (stage.image or stage.base).lower()
    if image.startswith(_WINDOWS_IMAGES) or any(word in image for word in _WINDOWS_WORDS):
        return True
    for instruction in stage.instructions:
        if instruction.keyword == "SHELL" and instruction.values:
            shell = posixpath.basename(instruction.values[0].replace("\\", "/")).lower()
            if shell in _WINDOWS_SHELLS:
                return True
    return False
