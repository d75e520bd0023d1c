"""Just enough of POSIX shell to find the commands a RUN runs: words (quotes undone), simple
commands split at `&&`, `||`, `;`, `&`, `|`, newlines and parentheses, leading variable
assignments and control keywords passed over, and which command's input is a pipe.

Command substitutions and quoted scripts (`sh -c "…"`) are not opened: as in hadolint, a
command inside them is not seen.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from tenlayer.dockerfile.syntax import Instruction

_OPERATORS = ("&&", "||", ";;", "|", ";", "&", "\n", "(", ")")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
                       "for", "case", "esac", "{", "}", "!", "time", "in"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SUDO_WITH_VALUE = frozenset({"-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U", "-D"})
_ENV_WITH_VALUE = frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"})
_XARGS_WITH_VALUE = frozenset({"-I", "-n", "-P", "-L", "-s", "-d", "-E", "-a",
                               "--max-args", "--max-procs", "--delimiter", "--arg-file"})
_WRAPPERS = frozenset({"sudo", "env", "exec", "nohup", "command"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[str, ...]
    piped: bool = False
    """Its standard input is the previous command's output (`a | b`: b is piped)."""
    name: str = field(init=False)
    """The program, without its directory (`/usr/bin/apt-get` -> `apt-get`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name",
                           posixpath.basename(self.words[0]) if self.words else "")

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[1:]

    def unwrapped(self) -> Command:
        """The command a wrapper runs (`sudo -u app apk add x` -> `apk add x`, `env A=1
        bash` -> `bash`; sudo, env, exec, nohup and `command`, nested); itself otherwise."""
        command = self
        while command.name in _WRAPPERS:
            inner = _wrapped(command)
            if not inner.words:
                return command
            command = inner
        return command

    def nested(self) -> list[Command]:
        """The commands `find … -exec CMD … ;` (also -execdir, -ok) and `xargs … CMD` run."""
        if self.name == "find":
            found = []
            words = list(self.args)
            for position, word in enumerate(words):
                if word in ("-exec", "-execdir", "-ok", "-okdir"):
                    rest = words[position + 1:]
                    end = next((i for i, w in enumerate(rest) if w in (";", "+")), len(rest))
                    if rest[:end]:
                        found.append(Command(tuple(rest[:end])).unwrapped())
            return found
        if self.name == "xargs":
            words = list(self.args)
            while words and words[0].startswith("-"):
                option = words.pop(0)
                if option in _XARGS_WITH_VALUE and words:
                    words.pop(0)
            return [Command(tuple(words)).unwrapped()] if words else []
        return []

    def has(self, *words: str) -> bool:
        """All of `words` are among the arguments."""
        return all(word in self.args for word in words)


def _wrapped(command: Command) -> Command:
    words = list(command.words[1:])
    if command.name == "sudo":
        while words and words[0].startswith("-"):
            option = words.pop(0)
            if option in _SUDO_WITH_VALUE and words:
                words.pop(0)
    elif command.name == "env":
        while words and (words[0].startswith("-") or _ASSIGNMENT.match(words[0])):
            option = words.pop(0)
            if option in _ENV_WITH_VALUE and words:
                words.pop(0)
    else:  # exec, nohup, command: their options take no value
        while words and words[0].startswith("-"):
            if command.name == "command" and words[0] in ("-v", "-V"):
                return Command((), command.piped)  # a question, nothing is run
            words.pop(0)
    return Command(tuple(words), command.piped)


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


_TOKEN = re.compile(
    r"(?P<space>[ \t\r]+)"
    r"|(?P<op>&&|\|\||;;|[|;&\n()])"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<word>(?:[^\s'\"\\|;&()$]+|'[^']*'?|\"(?:[^\"\\]|\\.)*\"?|\\(?:.|\n)?"
    r"|\$\((?:[^()]|\([^()]*\))*\)?|\$)+)",
    re.DOTALL,
)
_PART = re.compile(r"'[^']*'?|\"(?:[^\"\\]|\\.)*\"?|\\(?:.|\n)?|[^'\"\\]+", re.DOTALL)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\(["\\$`])')


def _tokens(script: str) -> list[tuple[str, bool]]:
    """(word with its quotes undone, False) and (operator, True), comments dropped."""
    tokens: list[tuple[str, bool]] = []
    position, size = 0, len(script)
    while position < size:
        match = _TOKEN.match(script, position)
        if match is None:  # a lone character no rule takes: part of no word
            position += 1
            continue
        position = match.end()
        kind = match.lastgroup
        if kind == "op":
            tokens.append((match.group(), True))
        elif kind == "word":
            tokens.append((_unquote(match.group()), False))
    return tokens


def _unquote(word: str) -> str:
    if not any(char in word for char in "'\"\\"):
        return word
    out = []
    for part in _PART.findall(word):
        if part[0] == "'":
            out.append(part[1:-1] if part.endswith("'") and len(part) > 1 else part[1:])
        elif part[0] == '"':
            body = part[1:-1] if part.endswith('"') and len(part) > 1 else part[1:]
            out.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", body))
        elif part[0] == "\\":
            out.append(part[1:].replace("\n", ""))
        else:
            out.append(part)
    return "".join(out)
