"""Namespace objects: the labels and annotations admission reads from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenlayer.kube.objects import KubeObject


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    obj: KubeObject | None = None

    def as_object(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": self.name,
                "labels": dict(self.labels),
                "annotations": dict(self.annotations),
            },
        }


def namespaces_of(objects: Iterable[KubeObject]) -> dict[str, Namespace]:
    """Namespace objects by name (OpenShift's `Project` counts as one); the last wins."""
    found: dict[str, Namespace] = {}
    for obj in objects:
        if obj.kind not in ("Namespace", "Project") or not obj.name:
            continue
        metadata = obj.body.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        found[obj.name] = Namespace(
            obj.name, _strings(metadata.get("labels")), _strings(metadata.get("annotations")), obj
        )
    return found


def _strings(value: Any) -> dict[str, str]:
    """Labels and annotations are string maps; anything else in them is ignored."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
