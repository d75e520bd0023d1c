"""Build stages: each FROM with its image (ARGs declared before the first FROM expanded, as
BuildKit does), its name, the earlier stage it builds on, and its instructions; and the
variables an instruction of a stage sees (`variables_at`), as BuildKit scopes them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenlayer.dockerfile.syntax import Dockerfile, Instruction
from tenlayer.dockerfile.words import parse_words, unquote

_VARIABLE = re.compile(
    r"\$(?:\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    name: str
    """The `AS` name, lower case; empty when the stage has none."""
    base: str
    """The FROM argument as written (`${BASE}:${TAG}`)."""
    image: str | None
    """`base` with the ARGs expanded; None when a variable has no value."""
    parent: int | None
    """The index of the earlier stage FROM names, when it names one."""
    start: Instruction
    instructions: tuple[Instruction, ...]

    @property
    def label(self) -> str:
        return f"stage {self.name}" if self.name else f"stage {self.index}"

    @property
    def is_scratch(self) -> bool:
        return (self.image or "").lower() == "scratch"


def expand(text: str, values: dict[str, str | None]) -> str | None:
    """`${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`;
    None when a variable the text needs has no value."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group("name") or match.group("bare")
        value = values.get(name)
        op, word = match.group("op"), match.group("word") or ""
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if value is not None else word
        if op == ":+":
            return word if value else ""
        if op == "+":
            return word if value is not None else ""
        if value is None:
            missing = True
            return ""
        return value

    result = _VARIABLE.sub(one, text)
    return None if missing else result


BUILD_ARG = "\x00"
"""Stands in, in `expand_open`'s text, for the value of an ARG declared without a default:
whatever `--build-arg` says at build time."""


@dataclass(frozen=True, slots=True)
class Opened:
    """A text with its variables expanded as far as the Dockerfile says."""

    text: str
    """BUILD_ARG where a value is chosen at build time; "" for a variable never declared."""
    build_args: tuple[str, ...]
    """The ARGs without a default the text uses (their values are `--build-arg`'s)."""
    unset: tuple[str, ...]
    """The variables the text uses that are not declared where it is (BuildKit: empty)."""

    @property
    def open(self) -> bool:
        return BUILD_ARG in self.text


PLATFORM_ARGS: dict[str, str] = {
    "TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64",
    "TARGETVARIANT": "", "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux",
    "BUILDARCH": "amd64", "BUILDVARIANT": "",
}
"""BuildKit's automatic platform ARGs (set in the global scope without a declaration, in a
stage when it declares them), as for a build on and for linux/amd64: the platform chooses
them, not `--build-arg`."""


def with_platform(values: Variables, *, global_scope: bool) -> Variables:
    """`values` with the automatic platform ARGs filled in where BuildKit sets them."""
    filled = dict(values)
    for name, value in PLATFORM_ARGS.items():
        if (global_scope and name not in filled) or (name in filled and filled[name] is None):
            filled[name] = value
    return filled


def expand_open(text: str, values: dict[str, str | None]) -> Opened:
    """As `expand`, except that a variable declared without a value (None in `values`)
    becomes BUILD_ARG, whatever operator it is used with (`${TAG:-1}` is whatever
    `--build-arg TAG=` says), and one not in `values` is empty, as BuildKit expands it."""
    build_args: list[str] = []
    unset: list[str] = []

    def one(match: re.Match[str]) -> str:
        name = match.group("name") or match.group("bare")
        if name in values and values[name] is None:
            build_args.append(name)
            return BUILD_ARG
        value = values.get(name)
        op, word = match.group("op"), match.group("word") or ""
        if value is None and op is None:
            unset.append(name)
        if op in (":-", "-"):
            return value if value else word
        if op in (":+", "+"):
            return word if value else ""
        return value or ""

    result = _VARIABLE.sub(one, text)
    return Opened(result, tuple(dict.fromkeys(build_args)), tuple(dict.fromkeys(unset)))


def global_args(dockerfile: Dockerfile) -> dict[str, str | None]:
    """The ARGs before the first FROM: name -> default (None when it has none)."""
    values: dict[str, str | None] = {}
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            for name, value in arg_pairs(instruction, dockerfile.escape):
                values[name] = expand(value, values) if value is not None else None
    return values


def arg_pairs(instruction: Instruction, escape: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in parse_words(instruction.args, escape):
        name, equals, value = word.partition("=")
        pairs.append((name, unquote(value, escape) if equals else None))
    return pairs


Variables = dict[str, str | None]
"""name -> value; None when the value is not known here (an ARG without a default, a value
that uses a variable without one)."""


def variables_at(stages: list[Stage], stage: Stage, before: Instruction | None,
                 global_values: Variables, escape: str) -> Variables:
    """What BuildKit expands in `stage` just before the instruction `before` (after the whole
    stage when None): the ENV of the stages it is built FROM, then its own ARGs and ENVs in
    order. An ARG before the first FROM is seen only where the stage declares it again
    (`ARG NAME`); an ENV wins over an ARG of the same name; ARGs end with their stage."""
    arguments, environment = _scope(stages, stage, before, global_values, escape)
    return {**arguments, **environment}


def _scope(stages: list[Stage], stage: Stage, before: Instruction | None,
           global_values: Variables, escape: str) -> tuple[Variables, Variables]:
    environment: Variables = {}
    if stage.parent is not None and stage.parent < stage.index:
        environment = dict(_scope(stages, stages[stage.parent], None, global_values,
                                  escape)[1])
    arguments: Variables = {}
    for instruction in stage.instructions:
        if instruction is before:
            break
        if instruction.keyword == "ARG":
            for name, value in arg_pairs(instruction, escape):
                if value is None:
                    arguments[name] = global_values.get(name)
                else:
                    arguments[name] = expand(value, {**arguments, **environment})
        elif instruction.keyword == "ENV":
            seen = {**arguments, **environment}  # every pair sees the values before the ENV
            values = instruction.values
            for name, value in zip(values[::2], values[1::2], strict=False):
                environment[name] = expand_word(value, seen, escape)
    return arguments, environment


def expand_word(word: str, values: Variables, escape: str) -> str | None:
    """A word as written (quotes kept) with its variables expanded and quotes undone; a
    single-quoted word is not expanded. None when a variable it needs has no value."""
    if "$" not in word:
        return unquote(word, escape)
    if word.startswith("'"):
        return unquote(word, escape)
    expanded = expand(word, values)
    return None if expanded is None else unquote(expanded, escape)


def stages_of(dockerfile: Dockerfile, values: Variables | None = None) -> list[Stage]:
    """The stages, FROMs expanded with `values`: the global ARGs (`global_args`)."""
    if values is None:
        values = global_args(dockerfile)
    stages: list[Stage] = []
    start: Instruction | None = None
    body: list[Instruction] = []

    def close() -> None:
        if start is None:
            return
        words = start.values
        base = words[0] if words else ""
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else ""
        image = expand(base, values)
        by_name = {s.name: s.index for s in stages if s.name}
        parent = by_name.get((image or base).lower())
        stages.append(Stage(len(stages), name, base, image, parent, start, tuple(body)))

    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            close()
            start, body = instruction, []
        elif start is not None:
            body.append(instruction)
    close()
    return stages


def lineage(stages: list[Stage]) -> list[Stage]:
    """The final stage and the stages it builds on, final first: what the image holds."""
    chain: list[Stage] = []
    current: Stage | None = stages[-1] if stages else None
    while current is not None and current not in chain:
        chain.append(current)
        current = stages[current.parent] if current.parent is not None else None
    return chain
