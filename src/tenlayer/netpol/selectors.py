"""Kubernetes label selectors (matchLabels and matchExpressions), validated as the API does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.values import json_spelling

_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

Labels = Mapping[str, str]


def label_key_problem(key: object) -> str | None:
    if not isinstance(key, str):
        return f"label key {key!r} is not a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"invalid label key {key!r}: the prefix must be a DNS subdomain"
    if not _NAME.fullmatch(name):
        return (f"invalid label key {key!r}: name part must be at most 63 alphanumeric "
                "characters, '-', '_' or '.', starting and ending alphanumeric")
    return None


def label_value_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"label value {json_spelling(value)} is not a string; quote it"
    if value and not _NAME.fullmatch(value):
        return (f"invalid label value {value!r}: at most 63 alphanumeric characters, '-', '_' "
                "or '.', starting and ending alphanumeric")
    return None


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]
    ordered: tuple[str, ...] | None = field(default=None, compare=False)
    """A matchExpressions entry's values as written (exposure analysis prints them so);
    None for a matchLabels entry."""

    def matches(self, labels: Labels) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels


@dataclass(frozen=True, slots=True)
class Selector:
    """A label selector; the empty selector selects everything."""

    requirements: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Labels) -> bool:
        return all(r.matches(labels) for r in self.requirements)


EVERYTHING = Selector()


def parse_selector(node: Any, where: str) -> Selector:
    """A LabelSelector object; raises BadInput on what the API server would refuse."""
    if node is None:
        return EVERYTHING
    if not isinstance(node, dict):
        raise BadInput(f"{where}: selector error: a label selector must be an object")
    requirements: list[Requirement] = []
    match_labels = node.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        raise BadInput(f"{where}: selector error: matchLabels must be an object")
    for key, value in match_labels.items():
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            raise BadInput(f"{where}: selector error: {problem}")
        requirements.append(Requirement(key, "In", frozenset({value})))
    expressions = node.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise BadInput(f"{where}: selector error: matchExpressions must be a list")
    for expression in expressions:
        requirements.append(_requirement(expression, where))
    return Selector(tuple(requirements))


def _requirement(expression: Any, where: str) -> Requirement:
    if not isinstance(expression, dict):
        raise BadInput(f"{where}: selector error: a matchExpressions entry must be an object")
    key = expression.get("key")
    operator = expression.get("operator")
    values = expression.get("values") or []
    problem = label_key_problem(key)
    if problem:
        raise BadInput(f"{where}: selector error: {problem}")
    if operator not in OPERATORS:
        raise BadInput(f"{where}: selector error: {operator!r} is not a valid label selector "
                       f"operator ({', '.join(OPERATORS)})")
    if not isinstance(values, list):
        raise BadInput(f"{where}: selector error: values of {key!r} must be a list")
    if operator in ("In", "NotIn") and not values:
        raise BadInput(f"{where}: selector error: {operator} on {key!r} needs values")
    if operator in ("Exists", "DoesNotExist") and values:
        raise BadInput(f"{where}: selector error: {operator} on {key!r} takes no values")
    for value in values:
        problem = label_value_problem(value)
        if problem:
            raise BadInput(f"{where}: selector error: {problem}")
    return Requirement(str(key), str(operator), frozenset(str(v) for v in values),
                       tuple(str(v) for v in values))


def string_labels(node: Any) -> dict[str, str]:
    """metadata.labels as strings (YAML may read `version: 1` as a number)."""
    if not isinstance(node, dict):
        return {}
    return {str(k): v if isinstance(v, str) else str(v).lower() if isinstance(v, bool)
            else str(v) for k, v in node.items() if v is not None}
