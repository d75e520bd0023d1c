"""docker-library templates (`Dockerfile*.template`): Dockerfiles with jq `{{ … }}` blocks and
placeholder lines that the repositories' `apply-templates.sh` fills in.

They are not Dockerfiles BuildKit builds, but they are what those projects edit, so they are
linted too, with two allowances:
- a line that starts a `{{ … }}` block (`{{ if … then ( -}}`, a multi-line `{{ def … }}`) is
  blanked up to the line that closes it, keeping the line numbers; `{{ … }}` inside an
  instruction stays as text, and rules skip image references holding one;
- a line that the parser would read as an unknown instruction is a placeholder's expansion
  cut short (docker-node's `"${ALPINE_ARCH[@]}"` becomes several `case` arms that end in `\\`):
  it is joined to the instruction before it.
"""

from __future__ import annotations

from dataclasses import replace

from tenlayer.dockerfile.parser import KEYWORDS
from tenlayer.dockerfile.syntax import Dockerfile, Instruction

SUFFIX = ".template"


def is_template(path: str) -> bool:
    return path.endswith(SUFFIX)


def blank_blocks(text: str) -> tuple[str, frozenset[int]]:
    """The text with every line of each `{{ … }}` block that starts a line made empty, and
    the numbers of those lines."""
    out = []
    blanked = set()
    depth = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if depth or line.lstrip().startswith("{{"):
            depth += line.count("{{") - line.count("}}")
            depth = max(depth, 0)
            out.append("\r" if line.endswith("\r") else "")
            blanked.add(number)
        else:
            out.append(line)
    return "\n".join(out), frozenset(blanked)


def join_placeholders(dockerfile: Dockerfile, blanked: frozenset[int]) -> Dockerfile:
    """Unknown instructions joined to the instruction before them (see the module's text)."""
    joined: list[Instruction] = []
    for instruction in dockerfile.instructions:
        if instruction.keyword.lower() not in KEYWORDS and joined:
            before = joined[-1]
            joined[-1] = replace(
                before,
                original=f"{before.original} {instruction.original}",
                args=f"{before.args} {instruction.original}",
                values=(*before.values[:-1], f"{before.values[-1]} {instruction.original}")
                if before.values and not before.json else before.values,
                end_line=instruction.end_line,
            )
        else:
            joined.append(instruction)
    return replace(dockerfile, instructions=tuple(joined), template=True, template_lines=blanked)
