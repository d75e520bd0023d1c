"""The containers of a pod spec, with their field paths; wrongly typed input is passed over."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True, slots=True)
class Container:
    field: str
    """`containers`, `initContainers` or `ephemeralContainers`."""
    index: int
    body: Mapping[str, Any]

    @property
    def path(self) -> str:
        return f"spec.{self.field}[{self.index}]"

    @property
    def name(self) -> str:
        name = self.body.get("name")
        return name if isinstance(name, str) else f"#{self.index}"


def containers_of(
    spec: Mapping[str, Any], fields: tuple[str, ...] = CONTAINER_FIELDS
) -> Iterator[Container]:
    for field_name in fields:
        items = spec.get(field_name)
        if not isinstance(items, list):
            continue
        for index, body in enumerate(items):
            if isinstance(body, dict):
                yield Container(field_name, index, body)


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one: for reading untrusted nested fields."""
    return value if isinstance(value, dict) else _EMPTY


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_EMPTY: Mapping[str, Any] = {}
