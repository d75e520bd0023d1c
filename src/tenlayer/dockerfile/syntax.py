"""What a parsed Dockerfile is: parser directives, instructions with their lines, heredocs.

The shapes follow BuildKit's dockerfile frontend (`frontend/dockerfile/parser`): one node per
instruction with its start and end line (continuations and heredoc bodies included), its
`--flags`, its arguments as the instruction's own parser splits them, and whether they were
the JSON (exec) form.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Directive:
    """`# syntax=…`, `# escape=…`, `# check=…` at the top of the file."""

    name: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    content: str
    file_descriptor: int = 0
    chomp: bool = False
    """`<<-EOF`: leading tabs are stripped from the body and the terminator."""
    expand: bool = True
    """False when the delimiter was quoted (`<<'EOF'`, `<<"EOF"`): no variable expansion."""


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    """Upper case, as written but folded: `RUN`, `FROM`, `ONBUILD`."""
    original: str
    """The logical line: continuation lines joined, comments inside it dropped."""
    args: str
    """Everything after the keyword and its flags, as one string."""
    flags: tuple[str, ...]
    """`--platform=linux/amd64`, `--mount=type=cache,target=/root/.cache`, …"""
    values: tuple[str, ...]
    """The arguments as the instruction's parser splits them (BuildKit's node values)."""
    json: bool
    heredocs: tuple[Heredoc, ...]
    start_line: int
    end_line: int
    comments: tuple[str, ...] = ()
    """The comment lines just above the instruction, without their `#`."""
    sub: Instruction | None = None
    """ONBUILD's instruction."""

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (the last one given), `""` for a bare `--name`."""
        found = None
        for flag in self.flags:
            key, equals, value = flag[2:].partition("=")
            if key.lower() == name:
                found = value if equals else ""
        return found


@dataclass(frozen=True, slots=True)
class LintWarning:
    """Something in a Dockerfile that does not do what its author meant, or that was read in
    an unusual way (not a finding)."""

    file: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Dockerfile:
    path: str
    directives: tuple[Directive, ...]
    escape: str
    instructions: tuple[Instruction, ...]
    template: bool = False
    """A docker-library template (`Dockerfile*.template`): jq `{{ … }}` blocks were blanked."""
    template_lines: frozenset[int] = frozenset()
    """The lines blanked: what the template fills in there is unknown."""
    warnings: tuple[LintWarning, ...] = ()
    """How it was read, when that is worth saying (not UTF-8, read as Latin-1)."""

    def filled_in(self, instruction: Instruction) -> bool:
        """Part of the instruction comes from the template (an absence proves nothing)."""
        return any(instruction.start_line <= n <= instruction.end_line
                   for n in self.template_lines)

    def directive(self, name: str) -> str | None:
        return next((d.value for d in self.directives if d.name == name), None)


class DockerfileError(ValueError):
    """The text is not a Dockerfile BuildKit would build; `line` is 1-based (0: the file)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message
