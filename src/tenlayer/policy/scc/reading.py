"""Type-checked reads from untrusted objects (YAML/JSON as plain dicts).

Every reader names the object and the field path when a value has the wrong type, so a bad
manifest becomes one clear `BadInput` line instead of a traceback deep in the evaluation.
`None` (a missing key or an explicit null) reads as "unset" everywhere, as in the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from tenlayer.errors import BadInput
from tenlayer.kube.values import type_name

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


class Fields:
    """Reads fields of one object; `what` names it in errors (`Pod/ns/name`)."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, path: str, message: str) -> NoReturn:
        raise BadInput(f"{self.what}: {path}: {message}")

    def _expected(self, path: str, what: str, value: Any) -> NoReturn:
        self.fail(path, f"expected {what}, got {type_name(value)}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if value is None or isinstance(value, Mapping):
            return value
        self._expected(path, "a mapping", value)

    def string(self, value: Any, path: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self._expected(path, "a string", value)

    def boolean(self, value: Any, path: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        self._expected(path, "a boolean", value)

    def integer(self, value: Any, path: str, bounds: tuple[int, int] = INT64) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self._expected(path, "an integer", value)
        if not bounds[0] <= value <= bounds[1]:
            self.fail(path, f"{value} is out of range")
        return value

    def array(self, value: Any, path: str) -> list[Any] | None:
        if value is None or isinstance(value, list):
            return value
        self._expected(path, "a list", value)

    def strings(self, value: Any, path: str) -> tuple[str, ...] | None:
        items = self.array(value, path)
        if items is None:
            return None
        for index, item in enumerate(items):
            if not isinstance(item, str):
                self._expected(f"{path}[{index}]", "a string", item)
        return tuple(items)

    def string_map(self, value: Any, path: str) -> dict[str, str]:
        mapping = self.mapping(value, path)
        if mapping is None:
            return {}
        for key, item in mapping.items():
            if not isinstance(key, str) or not isinstance(item, str):
                self.fail(f"{path}[{key}]", f"expected a string, got {type_name(item)}")
        return dict(mapping)
