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
