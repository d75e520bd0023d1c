"""Splitting an instruction's text the way BuildKit's parser does: flags, words, JSON arrays
and heredoc markers. Each function mirrors one behaviour of `frontend/dockerfile/parser`
(checked against it on the 219 Dockerfiles of ../shared/data by the conformance test)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from tenlayer.dockerfile.syntax import DockerfileError, Heredoc

WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_SPACE = frozenset(" \t\n\v\f\r\x85\xa0")


def split_whitespace(rest: str) -> tuple[str, ...]:
    """Go's `regexp.Split(rest, -1)` on runs of blanks (empty parts kept, as BuildKit does)."""
    return tuple(WHITESPACE.split(rest)) if rest else ()


def split_command(line: str) -> tuple[str, tuple[str, ...], str]:
    """`RUN --mount=x echo hi` -> ("run", ("--mount=x",), "echo hi")."""
    parts = WHITESPACE.split(line.strip(), maxsplit=1)
    flags: tuple[str, ...] = ()
    args = ""
    if len(parts) == 2:
        args, flags = extract_flags(parts[1])
    return parts[0].lower(), flags, args.strip()


def extract_flags(line: str) -> tuple[str, tuple[str, ...]]:
    """Leading words that start with `--` are flags (quotes and backslashes undone);
    a bare `--` ends them. Returns the rest of the line and the flags."""
    flags: list[str] = []
    position, size = 0, len(line)
    while True:
        while position < size and line[position] in _SPACE:
            position += 1
        if position >= size - 1 or not line.startswith("--", position):
            return line[position:], tuple(flags)
        word, quoted, position = _flag_word(line, position)
        if word == "--":
            return line[position:], tuple(flags)
        if word or quoted:
            flags.append(word)


def _flag_word(line: str, position: int) -> tuple[str, bool, int]:
    out: list[str] = []
    quote = ""
    quoted = False
    size = len(line)
    while position < size:
        char = line[position]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and position + 1 < size:
                position += 1
                out.append(line[position])
            elif char != "\\":
                out.append(char)
        elif char in _SPACE:
            break
        elif char in "'\"":
            quote, quoted = char, True
        elif char == "\\":
            if position + 1 < size:
                position += 1
                out.append(line[position])
        else:
            out.append(char)
        position += 1
    return "".join(out), quoted, position


def parse_words(rest: str, escape: str) -> list[str]:
    """Words separated by blanks; quotes and escapes are kept in the words (BuildKit's
    parseWords, used by ARG, ENV and LABEL)."""
    words: list[str] = []
    word: list[str] = []
    blank_ok = False
    quote = ""
    position, size = 0, len(rest)
    while position < size:
        char = rest[position]
        if quote:
            if char == quote:
                quote = ""
            elif char == escape and quote != "'":
                if position + 1 == size:
                    break
                word.append(char)
                position += 1
                char = rest[position]
            word.append(char)
        elif char.isspace():
            if blank_ok or word:
                words.append("".join(word))
            word, blank_ok = [], False
        else:
            if char in "'\"":
                quote, blank_ok = char, True
            elif char == escape:
                if position + 1 == size:
                    break
                word.append(char)
                position += 1
                char = rest[position]
            word.append(char)
        position += 1
    if blank_ok or word:
        words.append("".join(word))
    return words


class NotStrings(DockerfileError):
    pass


def parse_json(rest: str) -> tuple[str, ...] | None:
    """The exec form: a JSON array of strings (what follows the array is ignored, as Go's
    json.Decoder does); None when `rest` is not a JSON array, so the shell form applies."""
    rest = rest.lstrip()
    if not rest.startswith("["):
        return None
    try:
        value, _ = json.JSONDecoder(parse_constant=_no_constant).raw_decode(rest)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise NotStrings("when using JSON array syntax, arrays must be comprised of strings only")
    return tuple(value)


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON to Go


def shell_words(line: str, *, raw: bool) -> Iterator[str]:
    """Words as BuildKit's shell lexer splits them, quotes and escapes kept when `raw`."""
    word: list[str] = []
    started = False
    quote = ""
    position, size = 0, len(line)
    while position < size:
        char = line[position]
        if quote:
            if char == quote:
                quote = ""
                if raw:
                    word.append(char)
            elif char == "\\" and quote == '"' and position + 1 < size:
                position += 1
                if raw:
                    word.append(char)
                word.append(line[position])
            else:
                word.append(char)
        elif char in " \t\r\n":
            if started:
                yield "".join(word)
            word, started = [], False
        elif char in "'\"":
            quote, started = char, True
            if raw:
                word.append(char)
        elif char == "\\" and position + 1 < size:
            position += 1
            started = True
            if raw:
                word.append(char)
            word.append(line[position])
        else:
            started = True
            word.append(char)
        position += 1
    if started:
        yield "".join(word)


def heredocs_in(line: str) -> list[Heredoc]:
    """The heredoc markers (`<<EOF`, `<<-EOF`, `<<'EOF'`, `3<<EOF`) among the line's words,
    in order: each one's body follows the instruction, one after the other."""
    found: list[Heredoc] = []
    if "<<" not in line:
        return found
    for word in shell_words(line, raw=True):
        match = _HEREDOC.match(word)
        if not match or not match.group(3):
            continue
        rest = match.group(3)
        plain = list(shell_words(rest, raw=False))
        if len(plain) != 1:
            continue
        raw_word = next(shell_words(rest, raw=True))
        quotes = plain[0].count("'") + plain[0].count('"')
        raw_quotes = raw_word.count("'") + raw_word.count('"')
        found.append(Heredoc(
            name=plain[0], content="", file_descriptor=int(match.group(1) or 0),
            chomp=match.group(2) == "-", expand=quotes == raw_quotes,
        ))
    return found


def unquote(word: str, escape: str = "\\") -> str:
    """A word with its quotes and escapes undone: `"a b"` -> `a b` (for reading values)."""
    out: list[str] = []
    quote = ""
    position, size = 0, len(word)
    while position < size:
        char = word[position]
        if quote:
            if char == quote:
                quote = ""
            elif char == escape and quote == '"' and position + 1 < size:
                position += 1
                out.append(word[position])
            else:
                out.append(char)
        elif char in "'\"":
            quote = char
        elif char == escape and position + 1 < size:
            position += 1
            out.append(word[position])
        else:
            out.append(char)
        position += 1
    return "".join(out)
