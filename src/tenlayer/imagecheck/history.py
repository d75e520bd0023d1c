"""Secrets in the build steps an image records (`history[].created_by`).

Docker writes `/bin/sh -c #(nop)  ENV K=V` and `/bin/sh -c #(nop)  ARG K=V`; BuildKit writes
`ENV K=V`, `ARG K=V` and, for RUN steps, the build arguments in use first:
`RUN |2 K=V L=W /bin/sh -c …`. A secret shows as an assignment whose name or value says so
(`secret_reason`, the rule for environment variables), as a `--password VALUE` option, or as
a well-known credential shape anywhere in the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenlayer.secrets.env import secret_reason
from tenlayer.secrets.redact import redact
from tenlayer.secrets.rules import RULES

_ASSIGNMENT = re.compile(
    r"""(?:^|[\s|;(])(?:--?)?([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s;|&)]+)"""
)
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")
_SPACED_OPTION = re.compile(
    r"(?:^|\s)--?(password|passwd|pass|token|secret|api-key|apikey|access-token|auth-token|"
    r"client-secret|secret-key)\s+([^\s-][^\s;|&]*)",
    re.IGNORECASE,
)


def history_secrets(created_by: str) -> Iterator[tuple[str, str]]:
    """(reason, redacted value) for every secret in one history line, in line order."""
    for reason, value in _secrets(created_by):
        yield reason, redact(value)


def redact_history(created_by: str) -> str:
    """The line with every secret `history_secrets` finds in it redacted."""
    for _, value in _secrets(created_by):
        created_by = created_by.replace(value, redact(value))
    return created_by


def _secrets(created_by: str) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for m in _ASSIGNMENT.finditer(created_by):
        name, value = m.group(1), _unquote(m.group(2))
        reason = secret_reason(name, value)
        if reason is not None and value not in seen:
            seen.add(value)
            yield f"{name}: {reason}", value
    for m in _SPACED_OPTION.finditer(created_by):
        value = _unquote(m.group(2))
        if value not in seen and not value.startswith("$"):
            seen.add(value)
            yield f"the option --{m.group(1)} is given a value", value
    for m in _URL_PASSWORD.finditer(created_by):
        value = m.group(1)
        if value not in seen and not value.startswith("$"):
            seen.add(value)
            yield "a password in a URL", value
    for shape, value in _shapes(created_by):
        if not any(value in known or known in value for known in seen):
            seen.add(value)
            yield f"it has the shape of {shape}", value


def _shapes(line: str) -> Iterator[tuple[str, str]]:
    data = line.encode("utf-8", "surrogateescape")
    for rule in RULES:
        for m in rule.pattern.finditer(data):
            yield rule.title[0].lower() + rule.title[1:], m.group(1).decode("utf-8", "replace")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
