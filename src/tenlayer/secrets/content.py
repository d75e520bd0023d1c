"""Secrets in a file's content: well-known credential shapes (rules.py) in any text file,
passwords in files of known formats (files.py), and an AWS secret access key on the lines
next to an access key id.

Binary files (a NUL byte in the first 8 KiB) are not scanned. What is returned holds the
secret redacted, never in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tenlayer.model import Severity
from tenlayer.secrets.files import scanner_for
from tenlayer.secrets.redact import redact
from tenlayer.secrets.rules import RULES

BINARY_PROBE = 8192
_AWS_SECRET_NEARBY = re.compile(rb"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
_NEARBY_LINES = 3
_PASSWORD_SEVERITY = Severity.HIGH


@dataclass(frozen=True, slots=True)
class SecretMatch:
    rule_id: str
    title: str
    severity: Severity
    line: int
    """1-based line where the secret starts."""
    redacted: str


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PROBE]


def scan_content(path: str, data: bytes) -> tuple[SecretMatch, ...]:
    """Every secret in `data` (the content of the file at `path`), sorted by line."""
    if not data or is_binary(data):
        return ()
    lower = data.lower()
    found: dict[tuple[str, int, str], SecretMatch] = {}

    def add(rule_id: str, title: str, severity: Severity, start: int, secret: bytes) -> None:
        line = data.count(b"\n", 0, start) + 1
        shown = redact(secret.decode("utf-8", "replace"))
        found.setdefault((rule_id, line, shown),
                         SecretMatch(rule_id, title, severity, line, shown))

    key_id_lines: list[int] = []
    for rule in RULES:
        if not any(keyword in lower for keyword in rule.keywords):
            continue
        for m in rule.pattern.finditer(data):
            add(rule.id, rule.title, rule.severity, m.start(), m.group(1))
            if rule.id == "aws-access-key-id":
                key_id_lines.append(data.count(b"\n", 0, m.start(1)))
    if key_id_lines and not any(k[0] == "aws-secret-access-key" for k in found):
        _aws_secrets_nearby(data, key_id_lines, add)
    scanner = scanner_for(path)
    if scanner is not None:
        shaped = {line for (_, line, _) in found}
        for rule_id, title, start, secret in scanner(data):
            if data.count(b"\n", 0, start) + 1 not in shaped:  # a shape rule said it better
                add(rule_id, title, _PASSWORD_SEVERITY, start, secret)
    return tuple(sorted(found.values(), key=lambda m: (m.line, m.rule_id, m.redacted)))


def _aws_secrets_nearby(
    data: bytes, key_id_lines: list[int], add: Callable[[str, str, Severity, int, bytes], None]
) -> None:
    """A 40-character key of mixed case and digits within three lines of an access key id."""
    lines = data.split(b"\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    wanted = sorted({
        n for k in key_id_lines
        for n in range(max(0, k - _NEARBY_LINES), min(len(lines), k + _NEARBY_LINES + 1))
    })
    for number in wanted:
        for m in _AWS_SECRET_NEARBY.finditer(lines[number]):
            token = m.group(1)
            if any(c.isdigit() for c in token.decode()) and token.lower() != token \
                    and token.upper() != token:
                add("aws-secret-access-key", "An AWS secret access key", Severity.CRITICAL,
                    offsets[number] + m.start(1), token)
