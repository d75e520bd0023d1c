"""Secrets passed on a command line: one scanner for the image's Entrypoint/Cmd, its history
(`created_by`) and the values of its environment variables (`OPTS=--password=…`).

What counts, anywhere in the text:
- an assignment or an option with `=` whose name or value says it holds a secret
  (`PGPASSWORD=x psql`, `--password=X`, `-Dapp.db.password=X`; `secret_reason`, the rule for
  environment variables);
- an option such as `--password VALUE` or `--token VALUE`;
- a password in a URL (`postgres://user:password@host`);
- a well-known credential's shape (secrets/rules.py);
and, for the programs where a short option means a password:
- `mysql -pPASSWORD` (and mysqldump, mysqladmin, mariadb, …): the password glued to `-p`. With
  a blank between, `mysql -p NAME` prompts for the password and NAME is the database, so
  that is not a secret;
- `sshpass -p PASSWORD` (or `-pPASSWORD`), before the command sshpass runs;
- `curl -u USER:PASSWORD` (`--user`, `-U`/`--proxy-user`, `-uUSER:PASSWORD`): the part after
  the first `:`; `curl -u USER` prompts and holds none.

Values that are references (`$VAR`, `${VAR}`, `$(VAR)`) are not secrets. Each secret is
returned with its span in the text, so a line can be shown with the secrets redacted
(`redact_command`) without touching the rest of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tenlayer.secrets.env import name_says_secret, secret_reason
from tenlayer.secrets.redact import redact
from tenlayer.secrets.rules import RULES

_QUOTED = r""""(?:[^"\\]|\\.)*"|'[^']*'"""
_ASSIGNMENT = re.compile(
    r"""(?:^|(?<=[\s|;(&'"`]))(?P<dashes>--?)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)="""
    rf"""(?P<value>{_QUOTED}|[^\s;|&)'"`]+)"""
)
_SPACED_OPTION = re.compile(
    r"(?:^|(?<=[\s'\"]))(?P<dashes>--?)(?P<name>password|passwd|pass|token|secret|api-key|"
    r"apikey|access-token|auth-token|client-secret|secret-key)\s+"
    rf"""(?P<value>{_QUOTED}|[^\s;|&)'"`-][^\s;|&)'"`]*)""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@")
_MYSQL = ("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlshow",
          "mysqlslap", "mysqlpump", "mariadb", "mariadb-dump", "mariadb-admin",
          "mariadb-import", "mariadb-check", "mariadb-show", "mariadb-slap")
"""The MySQL and MariaDB clients: `-pPASSWORD` is the password (glued, never spaced)."""
_PROGRAM = re.compile(
    r"""(?:^|(?<=[\s;&|(`'"]))(?:[^\s;&|()`'"]*/)?"""
    rf"""(?P<program>{'|'.join(re.escape(p) for p in sorted(_MYSQL, key=len, reverse=True))}"""
    r"|sshpass|curl)(?=\s)"
)
_SEPARATOR = re.compile(r"[;&|\n)`]")
_WORD = re.compile(rf"""(?:{_QUOTED}|[^\s'"])+""")
_REFERENCE = re.compile(r"^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[^}]*\}|\([^)]*\))$")


@dataclass(frozen=True, slots=True)
class CommandSecret:
    reason: str
    value: str
    """The secret itself: never to be printed, only given to `redact`."""
    start: int
    end: int
    """Where `value` is in the text scanned."""


def command_secrets(text: str) -> list[CommandSecret]:
    """Every secret in `text`, in the order they appear; a value found twice (by two of the
    rules above) once."""
    found: list[CommandSecret] = []
    seen: set[str] = set()
    for item in (*_assignments(text), *_spaced_options(text), *_programs(text),
                 *_url_passwords(text), *_shapes(text)):
        if not item.value or _REFERENCE.match(item.value) or item.value.startswith("$("):
            continue
        if item.value in seen or (item.reason.startswith("it has the shape") and any(
                item.value in known or known in item.value for known in seen)):
            continue
        if any(item.start < other.end and other.start < item.end for other in found):
            continue
        seen.add(item.value)
        found.append(item)
    return sorted(found, key=lambda s: s.start)


def redact_command(text: str) -> str:
    """`text` with every secret `command_secrets` finds replaced by its redaction."""
    for secret in reversed(command_secrets(text)):
        text = text[: secret.start] + redact(secret.value) + text[secret.end :]
    return text


def _value(text: str, start: int, end: int) -> tuple[str, int, int]:
    """A word's value and span, without the quotes around it."""
    word = text[start:end]
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1], start + 1, end - 1
    return word, start, end


def _assignments(text: str) -> Iterator[CommandSecret]:
    for m in _ASSIGNMENT.finditer(text):
        name, dashes = m.group("name"), m.group("dashes")
        value, start, end = _value(text, m.start("value"), m.end("value"))
        reason = secret_reason(name, value)
        if reason is None:
            continue
        if dashes and name_says_secret(name):
            reason = f"the option {dashes}{name} is given a value"
        elif dashes:
            reason = f"the option {dashes}{name}: {reason}"
        else:
            reason = f"{name}: {reason}"
        yield CommandSecret(reason, value, start, end)


def _spaced_options(text: str) -> Iterator[CommandSecret]:
    for m in _SPACED_OPTION.finditer(text):
        value, start, end = _value(text, m.start("value"), m.end("value"))
        yield CommandSecret(f"the option --{m.group('name')} is given a value", value,
                            start, end)


def _url_passwords(text: str) -> Iterator[CommandSecret]:
    for m in _URL_PASSWORD.finditer(text):
        yield CommandSecret("a password in a URL", m.group(1), m.start(1), m.end(1))


def _shapes(text: str) -> Iterator[CommandSecret]:
    data = text.encode("utf-8", "surrogateescape")
    lower = data.lower()
    for rule in RULES:
        if not any(keyword in lower for keyword in rule.keywords):
            continue
        for m in rule.pattern.finditer(data):
            start = len(data[: m.start(1)].decode("utf-8", "surrogateescape"))
            value = m.group(1).decode("utf-8", "surrogateescape")
            title = rule.title[0].lower() + rule.title[1:]
            yield CommandSecret(f"it has the shape of {title}", value, start,
                                start + len(value))


def _programs(text: str) -> Iterator[CommandSecret]:
    for m in _PROGRAM.finditer(text):
        program = m.group("program")
        stop = _SEPARATOR.search(text, m.end())
        end = stop.start() if stop else len(text)
        words = [(w.group(0), w.start(), w.end()) for w in _WORD.finditer(text, m.end(), end)]
        if program == "sshpass":
            yield from _sshpass(text, words)
        elif program == "curl":
            yield from _curl(text, words)
        else:
            yield from _mysql(text, program, words)


Words = list[tuple[str, int, int]]


def _mysql(text: str, program: str, words: Words) -> Iterator[CommandSecret]:
    for word, start, end in words:
        if word.startswith("-p") and len(word) > 2:
            value, vstart, vend = _value(text, start + 2, end)
            yield CommandSecret(f"{program}'s option -p is given a password", value, vstart,
                                vend)


def _sshpass(text: str, words: Words) -> Iterator[CommandSecret]:
    """sshpass's own options come before the command it runs (`sshpass -p X ssh -p 22 h`)."""
    number = 0
    while number < len(words):
        word, start, end = words[number]
        if word == "-p" and number + 1 < len(words):
            value, vstart, vend = _value(text, words[number + 1][1], words[number + 1][2])
            yield CommandSecret("sshpass's option -p is given a password", value, vstart, vend)
            number += 2
        elif word.startswith("-p"):
            value, vstart, vend = _value(text, start + 2, end)
            yield CommandSecret("sshpass's option -p is given a password", value, vstart, vend)
            number += 1
        elif word in ("-f", "-d", "-P"):
            number += 2
        elif word.startswith("-"):
            number += 1
        else:
            return


_CURL_USER = re.compile(r"-[A-Za-z]*[uU]|--user|--proxy-user")
_CURL_USER_GLUED = re.compile(r"-[uU].")


def _curl(text: str, words: Words) -> Iterator[CommandSecret]:
    for number, (word, start, end) in enumerate(words):
        if _CURL_USER.fullmatch(word) and number + 1 < len(words):
            option = word if word.startswith("--") else f"-{word[-1]}"
            credentials = _value(text, words[number + 1][1], words[number + 1][2])
        elif word.startswith(("--user=", "--proxy-user=")):
            option = word[: word.index("=")]
            credentials = _value(text, start + len(option) + 1, end)
        elif _CURL_USER_GLUED.match(word):
            option = word[:2]
            credentials = _value(text, start + 2, end)
        else:
            continue
        user, colon, password = credentials[0].partition(":")
        if colon and password:
            vstart = credentials[1] + len(user) + 1
            yield CommandSecret(f"curl's option {option} is given a user and password",
                                password, vstart, vstart + len(password))
