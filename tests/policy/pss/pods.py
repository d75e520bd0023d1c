"""Small pod builders for the control tests."""

from __future__ import annotations

import copy
from typing import Any

from tenlayer.policy.pss import Level, PolicyVersion, Violation, evaluate_pod

GOOD_CONTAINER_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}


def container(name: str = "app", **context: Any) -> dict[str, Any]:
    """A container; keyword arguments become its securityContext."""
    result: dict[str, Any] = {"name": name, "image": "registry.example/app:1"}
    if context:
        result["securityContext"] = context
    return result


def restricted_container(name: str = "app", **context: Any) -> dict[str, Any]:
    """A container that satisfies every restricted container rule, plus `context`."""
    return container(name, **{**copy.deepcopy(GOOD_CONTAINER_CONTEXT), **context})


def restricted_spec(**fields: Any) -> dict[str, Any]:
    """A pod spec that passes restricted at every version, with `fields` replacing its own."""
    spec: dict[str, Any] = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [restricted_container()],
    }
    spec.update(fields)
    return spec


def evaluate(spec: Any, level: Level, version: str, metadata: Any = None) -> tuple[Violation, ...]:
    return evaluate_pod(metadata or {}, spec, level, PolicyVersion.parse(version))


def controls(spec: Any, level: Level, version: str, metadata: Any = None) -> list[str]:
    return [violation.control for violation in evaluate(spec, level, version, metadata)]


def only(spec: Any, level: Level, version: str, metadata: Any = None) -> Violation:
    """The single violation a pod draws; fails when there is not exactly one."""
    violations = evaluate(spec, level, version, metadata)
    assert len(violations) == 1, violations
    return violations[0]
