"""A read-only view of an untrusted pod (metadata + spec), built once per evaluation.

Manifests come from files, so any field may hold the wrong type. Each value is read the way
the API server would decode it into the Go types the library checks, or treated as unset
where the API server would refuse it:

- a struct (`securityContext`, `seccompProfile`, …) is a dict, else unset;
- a list is a list, else unset; entries that are not dicts are skipped;
- a pointer to a bool or int (`privileged`, `runAsUser`) is a bool or an int, else unset;
- a plain string inside a present struct (`seccompProfile.type`) is a str, else "" (Go's zero
  value, which is also what `null` decodes to).

One deviation from decoding is deliberate and matches API defaulting: a volume that sets no
source at all is an emptyDir, as `SetDefaults_Volume` makes it before admission sees the pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Container = tuple[str, str, dict[str, Any], dict[str, Any] | None]
"""(path prefix such as `spec.containers[0]`, name, the container, its securityContext)."""

_KINDS = ("initContainers", "containers", "ephemeralContainers")
"""The order of the library's `visitContainers`: init containers, containers, ephemeral."""

_CACHED_INDEXES = 32
_PREFIXES = {kind: tuple(f"spec.{kind}[{i}]" for i in range(_CACHED_INDEXES)) for kind in _KINDS}
_EMPTY: dict[str, Any] = {}


def _prefix(kind: str, index: int) -> str:
    if index < _CACHED_INDEXES:
        return _PREFIXES[kind][index]
    return f"spec.{kind}[{index}]"


class PodView:
    """What every check reads, normalised once so each check stays a few dict lookups."""

    __slots__ = (
        "annotations",
        "containers",
        "security_context",
        "spec",
        "user_namespace",
        "windows",
    )

    def __init__(self, metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
        if not isinstance(spec, dict):
            spec = _EMPTY
        self.spec: dict[str, Any] = spec
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        self.annotations: dict[Any, Any] = annotations if type(annotations) is dict else _EMPTY
        security_context = spec.get("securityContext")
        self.security_context: dict[str, Any] | None = (
            security_context if type(security_context) is dict else None
        )
        pod_os = spec.get("os")
        self.windows = type(pod_os) is dict and pod_os.get("name") == "windows"
        self.user_namespace = spec.get("hostUsers") is False
        containers: list[Container] = []
        for kind in _KINDS:
            items = spec.get(kind)
            if type(items) is not list:
                continue
            for index, container in enumerate(items):
                if type(container) is not dict:
                    continue
                name = container.get("name")
                context = container.get("securityContext")
                containers.append(
                    (
                        _prefix(kind, index),
                        name if type(name) is str else "",
                        container,
                        context if type(context) is dict else None,
                    )
                )
        self.containers = containers


def struct(parent: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """A nested struct, or None when unset or not a mapping."""
    if parent is None:
        return None
    value = parent.get(key)
    return value if type(value) is dict else None


def items(parent: dict[str, Any] | None, key: str) -> list[Any]:
    """A list field, or an empty list when unset or not a list."""
    if parent is None:
        return []
    value = parent.get(key)
    return value if type(value) is list else []


def text(parent: dict[str, Any], key: str) -> str:
    """A string field of a present struct: Go's zero value "" when unset, null or mistyped."""
    value = parent.get(key)
    return value if type(value) is str else ""


def optional_text(parent: dict[str, Any] | None, key: str) -> str | None:
    """A pointer-to-string field (`procMount`): None when unset, null or mistyped."""
    if parent is None:
        return None
    value = parent.get(key)
    return value if type(value) is str else None


def integer(parent: dict[str, Any] | None, key: str) -> int | None:
    """An integer field: None when unset, null or mistyped (a bool is not an integer)."""
    if parent is None:
        return None
    value = parent.get(key)
    return value if type(value) is int else None


def flag(parent: dict[str, Any] | None, key: str) -> bool | None:
    """A pointer-to-bool field: True/False, or None when unset, null or mistyped."""
    if parent is None:
        return None
    value = parent.get(key)
    return value if type(value) is bool else None
