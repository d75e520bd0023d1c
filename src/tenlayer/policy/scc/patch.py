"""Write what an SCC set back into a copy of the pod manifest.

Only fields whose value changed are written, so everything else in the manifest (unknown
fields included) comes through untouched; the input is never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenlayer.policy.scc.podview import PodView
from tenlayer.policy.scc.provider import Outcome
from tenlayer.policy.scc.securitycontext import CONTAINER_JSON_KEYS, POD_JSON_KEYS, json_value


def copy_tree(value: Any) -> Any:
    """A deep copy of JSON-like data (mappings become dicts, lists stay lists)."""
    if isinstance(value, Mapping):
        return {key: copy_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_tree(item) for item in value]
    return value


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    child = parent.get(key)
    if not isinstance(child, dict):
        child = parent[key] = {}
    return child


def _write(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = json_value(value)


def patched_pod(
    original: Mapping[str, Any], view: PodView, outcome: Outcome, annotations: Mapping[str, str]
) -> dict[str, Any]:
    """A copy of `original` with the outcome's defaults and `annotations` written in."""
    pod: dict[str, Any] = copy_tree(original)
    metadata = _child(pod, "metadata")
    written = _child(metadata, "annotations")
    for key, value in {**outcome.annotations, **annotations}.items():
        if view.annotations.get(key) != value:
            written[key] = value
    spec = _child(pod, "spec")
    for attr, key in POD_JSON_KEYS.items():
        value = getattr(outcome.pod_sc, attr)
        if value != getattr(view.sc, attr):
            _write(_child(spec, "securityContext"), key, value)
    for container, sc in zip(view.containers, outcome.containers, strict=True):
        if sc == container.sc:
            continue
        items = spec[container.kind]
        if not isinstance(items[container.index], dict):
            items[container.index] = {}
        target = _child(items[container.index], "securityContext")
        for attr, key in CONTAINER_JSON_KEYS.items():
            value = getattr(sc, attr)
            if value != getattr(container.sc, attr):
                _write(target, key, value)
    return pod
