"""The library's wording helpers (`pluralize`, `joinQuote`, Go's `%q`), so reasons read alike."""

from __future__ import annotations

from collections.abc import Sequence

_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def plural(singular: str, plural_form: str, count: int) -> str:
    return singular if count == 1 else plural_form


def join_quote(values: Sequence[str]) -> str:
    """`"a", "b"` — quotes added, nothing escaped, as the library's joinQuote does."""
    if not values:
        return ""
    return '"' + '", "'.join(values) + '"'


def go_quote(value: str) -> str:
    """Go's `%q` for the printable strings manifests hold; other control characters as \\xNN."""
    out = []
    for char in value:
        escaped = _GO_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " " or char == "\x7f":
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def setters(pod_bad: bool, containers: list[str]) -> str:
    """`pod`, `container "a"`, `pod and containers "a", "b"` — who set a forbidden value."""
    parts = ["pod"] if pod_bad else []
    if containers:
        parts.append(
            f"{plural('container', 'containers', len(containers))} {join_quote(containers)}"
        )
    return " and ".join(parts)


def with_detail(reason: str, detail: str) -> str:
    """The library's `reason (detail)` form of one forbidden check."""
    return f"{reason} ({detail})" if detail else reason
