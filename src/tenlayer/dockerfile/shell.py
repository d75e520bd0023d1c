"""Just enough of POSIX shell to find the commands a RUN runs: words (quotes undone), simple
commands split at `&&`, `||`, `;`, `&`, `|`, newlines and parentheses, leading variable
assignments and control keywords passed over, and which command's input is a pipe.

Command substitutions and quoted scripts (`sh -c "…"`) are not opened: as in hadolint, a
command inside them is not seen.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from tenlayer.dockerfile.syntax import Instruction

_OPERATORS = ("&&", "||", ";;", "|", ";", "&", "\n", "(", ")")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
                       "for", "case", "esac", "{", "}", "!", "time", "in"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SUDO_WITH_VALUE = frozenset({"-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U", "-D"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[str, ...]
    piped: bool = False
    """Its standard input is the previous command's output (`a | b`: b is piped)."""

    @property
    def name(self) -> str:
        return posixpath.basename(self.words[0]) if self.words else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[1:]

    def unwrapped(self) -> Command:
        """The command sudo runs (`sudo -u app apk add x` -> `apk add x`); itself otherwise."""
        if self.name != "sudo":
            return self
        words = list(self.words[1:])
        while words and words[0].startswith("-"):
            option = words.pop(0)
            if option in _SUDO_WITH_VALUE and words:
                words.pop(0)
        return Command(tuple(words), self.piped)

    def has(self, *words: str) -> bool:
        """All of `words` are among the arguments."""
        return all(word in self.args for word in words)


def script_of(instruction: Instruction) -> str:
    """The shell text a RUN runs: its line, and its heredoc bodies when they are the script
    (`RUN <<EOF`, `RUN bash <<EOF`), not data (`RUN cat <<EOF > file`)."""
    if instruction.json:
        values = instruction.values
        if len(values) >= 3 and posixpath.basename(values[0]) in SHELLS and values[1] == "-c":
            return values[2]
        return " ".join(_quote(v) for v in values)
    script = instruction.args
    if instruction.heredocs:
        first = next(iter(split_commands(script)), Command(()))
        if not first.words or first.name in SHELLS or first.words[0].startswith("<<"):
            script = "\n".join([script, *(h.content for h in instruction.heredocs)])
    return script


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'" if re.search(r"[^\w@%+=:,./-]", word) else word


def split_commands(script: str) -> list[Command]:
    commands: list[Command] = []
    words: list[str] = []
    piped = False
    for token, is_operator in _tokens(script):
        if not is_operator:
            words.append(token)
            continue
        _finish(commands, words, piped)
        words = []
        piped = token == "|"
    _finish(commands, words, piped)
    return commands


def _finish(commands: list[Command], words: list[str], piped: bool) -> None:
    while words and (words[0] in _KEYWORDS or _ASSIGNMENT.match(words[0])):
        if words[0] in ("for", "case"):
            return  # `for x in a b`, `case $x in`: no command here
        words = words[1:]
    if words:
        commands.append(Command(tuple(words), piped))


def _tokens(script: str) -> list[tuple[str, bool]]:
    tokens: list[tuple[str, bool]] = []
    word: list[str] = []
    started = False
    position, size = 0, len(script)

    def flush() -> None:
        nonlocal word, started
        if started:
            tokens.append(("".join(word), False))
        word, started = [], False

    while position < size:
        char = script[position]
        if char in " \t\r":
            flush()
        elif char == "\\" and position + 1 < size:
            position += 1
            if script[position] != "\n":
                word.append(script[position])
                started = True
        elif char in "'\"":
            end = _closing(script, position)
            body = script[position + 1:end]
            word.append(body if char == "'" else re.sub(r'\\(["\\$`])', r"\1", body))
            started = True
            position = end
        elif char == "#" and not started:
            while position < size and script[position] != "\n":
                position += 1
            continue
        elif char == "$" and script.startswith("$(", position):
            end = _matching_paren(script, position + 1)
            word.append(script[position:end + 1])
            started = True
            position = end
        else:
            operator = next((op for op in _OPERATORS if script.startswith(op, position)), None)
            if operator is None:
                word.append(char)
                started = True
            else:
                flush()
                tokens.append((operator, True))
                position += len(operator)
                continue
        position += 1
    flush()
    return tokens


def _closing(script: str, start: int) -> int:
    quote = script[start]
    position = start + 1
    while position < len(script):
        if script[position] == quote:
            return position
        if quote == '"' and script[position] == "\\":
            position += 1
        position += 1
    return len(script)


def _matching_paren(script: str, start: int) -> int:
    depth = 0
    for position in range(start, len(script)):
        if script[position] == "(":
            depth += 1
        elif script[position] == ")":
            depth -= 1
            if depth == 0:
                return position
    return len(script)
