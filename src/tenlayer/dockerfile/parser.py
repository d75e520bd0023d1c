"""A Dockerfile parser that reads the syntax as BuildKit's dockerfile frontend does.

- Parser directives (`syntax`, `escape`, `check`) are read from the top of the file until the
  first line that is not one; a repeated directive and an escape other than `\\` or a
  backtick are errors.
- A line ending in the escape character (not itself escaped) continues on the next; comment
  lines and blank lines inside a continuation are skipped; the parts are joined as they are.
- RUN, COPY and ADD in the shell form (also under ONBUILD) may carry heredocs: each `<<WORD`
  among the line's words takes the lines after the instruction up to a line equal to WORD
  (leading tabs ignored for `<<-WORD`).
- Each instruction's arguments are split as its BuildKit line parser splits them; a JSON
  array that does not decode falls back to the shell form.

`parse_nodes` is exactly that syntax (it accepts any word as an instruction, as BuildKit's
parser does); `parse` adds what BuildKit's instruction layer refuses: unknown instructions,
instructions before the first FROM other than ARG, and a file without FROM.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenlayer.dockerfile.syntax import Directive, Dockerfile, DockerfileError, Heredoc, Instruction
from tenlayer.dockerfile.words import (
    WHITESPACE,
    heredocs_in,
    parse_json,
    parse_words,
    split_command,
    split_whitespace,
)

KEYWORDS = frozenset({
    "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
    "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})
_BOM = "\ufeff"


def _continuation(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")


class _Lines:
    """The file's lines with their line endings, read one at a time."""

    def __init__(self, text: str) -> None:
        self.lines = _split_on_newline(text)
        self.number = 0

    def next(self) -> str | None:
        if self.number >= len(self.lines):
            return None
        self.number += 1
        return self.lines[self.number - 1]


def _split_on_newline(text: str) -> list[str]:
    """Only `\\n` ends a line (a lone `\\r` does not, as in Go's scanner)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _chomp(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return _chomp(line).lstrip().startswith("#")


class _Directives:
    def __init__(self) -> None:
        self.done = False
        self.found: list[Directive] = []
        self.escape = "\\"
        self.continuation = _continuation("\\")

    def look(self, line: str, number: int) -> None:
        if self.done:
            return
        match = _DIRECTIVE.match(line)
        name = match.group(1).lower() if match else ""
        if not match or name not in _KNOWN_DIRECTIVES:
            self.done = True
            return
        if any(d.name == name for d in self.found):
            raise DockerfileError(f"only one {name} parser directive can be used", number)
        value = match.group(2)
        if name == "escape":
            if value not in ("\\", "`"):
                raise DockerfileError(
                    f"invalid escape token '{value}' does not match ` or \\", number)
            self.escape = value
            self.continuation = _continuation(value)
        self.found.append(Directive(name, value, number))


def _process(directives: _Directives, raw: str, number: int, *, strip: bool) -> str:
    line = _chomp(raw)
    if strip:
        line = line.lstrip()
    directives.look(line, number)
    return "" if line.startswith("#") else line


def parse_nodes(text: str, path: str = "Dockerfile") -> Dockerfile:
    """The instructions as BuildKit's parser reads them (any word is an instruction here)."""
    if text.startswith(_BOM):
        text = text[1:]
    lines = _Lines(text)
    directives = _Directives()
    instructions: list[Instruction] = []
    comments: list[str] = []
    while (raw := lines.next()) is not None:
        if _is_comment(raw):
            comments.append(_chomp(raw).lstrip()[1:].strip())
        line = _process(directives, raw, lines.number, strip=True)
        start = lines.number
        line, ended = _trim_continuation(line, directives)
        if ended and not line:
            if not _is_comment(raw):
                comments = []
            continue
        while not ended and (raw := lines.next()) is not None:
            part = _process(directives, raw, lines.number, strip=False)
            if _is_comment(raw) or not part.strip():
                continue
            part, ended = _trim_continuation(part, directives)
            line += part
        instruction = _instruction(line, directives.escape, start, tuple(comments))
        heredocs = _read_heredocs(instruction, lines, start)
        instructions.append(_replace_end(instruction, heredocs, lines.number))
        comments = []
    if not instructions:
        raise DockerfileError("file with no instructions")
    return Dockerfile(path, tuple(directives.found), directives.escape, tuple(instructions))


def _trim_continuation(line: str, directives: _Directives) -> tuple[str, bool]:
    match = directives.continuation.search(line)
    if match is None:
        return line, True
    return line[: match.start()] + (match.group(1) or ""), False


def _instruction(line: str, escape: str, start: int, comments: tuple[str, ...]) -> Instruction:
    keyword, flags, args = split_command(line)
    sub = None
    json_form = False
    values: tuple[str, ...] = ()
    if keyword == "onbuild":
        if args:
            sub = _instruction(args, escape, start, ())
            values = sub.values
    else:
        values, json_form = _values(keyword, args, escape, start)
    return Instruction(
        keyword=keyword.upper(), original=line, args=args, flags=flags, values=values,
        json=json_form, heredocs=(), start_line=start, end_line=start, comments=comments,
        sub=sub,
    )


def _values(keyword: str, args: str, escape: str, line: int) -> tuple[tuple[str, ...], bool]:
    try:
        if keyword in ("add", "copy", "volume"):
            array = parse_json(args)
            return (array, True) if array is not None else (split_whitespace(args), False)
        if keyword in ("cmd", "entrypoint", "run", "shell"):
            if not args:
                return (), False
            array = parse_json(args)
            return (array, True) if array is not None else ((args,), False)
        if keyword == "healthcheck":
            return _healthcheck(args)
    except DockerfileError as error:
        raise DockerfileError(error.message, line) from None
    if keyword in ("env", "label"):
        return _name_values(keyword, args, escape, line), False
    if keyword == "arg":
        return tuple(parse_words(args, escape)), False
    if keyword in ("expose", "from"):
        return split_whitespace(args), False
    if keyword in ("maintainer", "stopsignal", "user", "workdir"):
        return ((args,) if args else ()), False
    return (), False


def _healthcheck(args: str) -> tuple[tuple[str, ...], bool]:
    match = re.match(r"(\S+)\s*", args)
    if match is None:
        return (), False
    kind, rest = match.group(1), args[match.end():]
    if not rest:
        return (kind,), False
    array = parse_json(rest)
    return ((kind, *array), True) if array is not None else ((kind, rest), False)


def _name_values(keyword: str, args: str, escape: str, line: int) -> tuple[str, ...]:
    """ENV and LABEL: `NAME value` (old form) or `NAME=value ...`."""
    words = parse_words(args, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = WHITESPACE.split(args, maxsplit=1)
        if len(parts) < 2:
            raise DockerfileError(f"{keyword.upper()} must have two arguments", line)
        return (parts[0], parts[1])
    values: list[str] = []
    for word in words:
        if "=" not in word:
            raise DockerfileError(
                f"Syntax error - can't find = in {word!r}. Must be of the form: name=value",
                line)
        values.extend(word.split("=", 1))
    return tuple(values)


def _read_heredocs(instruction: Instruction, lines: _Lines, start: int) -> tuple[Heredoc, ...]:
    target = instruction.sub if instruction.keyword == "ONBUILD" else instruction
    if target is None or target.keyword.lower() not in _HEREDOC_KEYWORDS or target.json:
        return ()
    bodies = []
    for heredoc in heredocs_in(instruction.original):
        content: list[str] = []
        while True:
            raw = lines.next()
            if raw is None:
                raise DockerfileError(
                    f"unterminated heredoc <<{heredoc.name} (started on line {start})",
                    lines.number)
            candidate = _chomp(raw)
            if heredoc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == heredoc.name:
                break
            content.append(raw)
        bodies.append(Heredoc(heredoc.name, "".join(content), heredoc.file_descriptor,
                              heredoc.chomp, heredoc.expand))
    return tuple(bodies)


def _replace_end(instruction: Instruction, heredocs: tuple[Heredoc, ...], end: int) -> Instruction:
    from dataclasses import replace

    return replace(instruction, heredocs=heredocs, end_line=end)


def validate(dockerfile: Dockerfile) -> Iterator[DockerfileError]:
    """What BuildKit's instruction layer refuses after parsing."""
    seen_from = False
    for instruction in dockerfile.instructions:
        keyword = instruction.keyword.lower()
        if not keyword:
            yield DockerfileError("a line continuation with no instruction",
                                  instruction.start_line)
            continue
        if keyword not in KEYWORDS:
            yield DockerfileError(f"unknown instruction: {instruction.keyword}",
                                  instruction.start_line)
            continue
        if instruction.sub is not None and instruction.sub.keyword.lower() not in KEYWORDS:
            yield DockerfileError(f"unknown instruction: {instruction.sub.keyword}",
                                  instruction.start_line)
        if keyword == "from":
            seen_from = True
        elif not seen_from and keyword != "arg":
            yield DockerfileError(
                f"{instruction.keyword} before the first FROM (only ARG may come before it)",
                instruction.start_line)
    if not seen_from:
        yield DockerfileError("no FROM instruction: not a Dockerfile")


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    """A Dockerfile BuildKit would accept, or the first DockerfileError."""
    dockerfile = parse_nodes(text, path)
    for error in validate(dockerfile):
        raise error
    return dockerfile
