"""Reading untrusted manifest values: naming what was found where something else belongs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def type_name(value: Any) -> str:
    """`a string`, `an empty string`, `a list`, … for messages such as "expected a mapping,
    got a list"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def json_spelling(value: Any) -> str:
    """A scalar as JSON (and `kubectl get -o json`) spells it: `true`, not Python's `True`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def not_a_string(value: Any) -> str:
    """`a boolean (true); quote it` for a value where Kubernetes wants a string. The loader
    keeps no original spelling (`on`, `yes` and `true` all read as true), so the fix says to
    quote what was written rather than guess it."""
    if isinstance(value, (Mapping, list)):
        return f"{type_name(value)}, not a string"
    return f"{type_name(value)} ({json_spelling(value)}); quote it"
