"""Field errors worded as the Kubernetes API machinery words them.

`spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers
are not allowed`. Values are rendered as current apimachinery renders them: scalars plainly,
strings quoted, unset values as `null`, lists and objects as compact JSON (`[2000]`).
"""

from __future__ import annotations

import json
from typing import Any


def render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def invalid(path: str, value: Any, detail: str) -> str:
    text = f"{path}: Invalid value: {render(value)}"
    return f"{text}: {detail}" if detail else text


def required(path: str, detail: str = "") -> str:
    return f"{path}: Required value: {detail}" if detail else f"{path}: Required value"


def forbidden(path: str, detail: str) -> str:
    return f"{path}: Forbidden: {detail}" if detail else f"{path}: Forbidden"


def go_list(items: tuple[str, ...] | list[str]) -> str:
    """A string slice as Go's %v prints it: `[a b]`."""
    return "[" + " ".join(items) + "]"
