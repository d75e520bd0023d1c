"""Multi-document YAML and JSON, loaded safely and once, with every node's line kept.

PyYAML's C parser composes each document into nodes (which carry their line); this module
builds plain dicts, lists and scalars from those nodes itself instead of running PyYAML's
Python constructor, which is about half of `yaml.load`'s time. The nodes are kept, so a
finding's field path is turned into a line only when a finding needs it: nothing is parsed
twice.

Hostile input is refused with `BadInput` naming the file and document:
- alias bombs: aliases are expanded as the document is built and count against the node
  limit, so a billion-laughs document stops after `max_nodes` nodes, not after gigabytes;
- self-referencing aliases and deep nesting stop at `max_depth`;
- files above `max_file_bytes` are not read at all;
- no tag ever constructs a Python object: only str, int, float, bool and null are built,
  timestamps stay strings (as Kubernetes' own YAML reader leaves them), other tags are
  read as the plain scalar, list or mapping they tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tenlayer.errors import BadInput

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"

_LOADER = getattr(yaml, "CSafeLoader", None)
if _LOADER is None:  # pragma: no cover - PyYAML built without libyaml
    raise ImportError("PyYAML was built without libyaml; reinstall it with its C extension")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one input may hold. Generous for real manifests (the largest CRDs have some
    tens of thousands of nodes), small enough that hostile input stops early."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_nodes: int = 2_000_000
    """Nodes in one document after aliases are expanded."""
    max_depth: int = 256


DEFAULT_LIMITS = Limits()


class Document:
    """One YAML document of a file: its data and, for line lookups, its nodes."""

    __slots__ = ("_node", "body", "index", "line", "source")

    def __init__(self, source: str, index: int, body: Any, node: Node) -> None:
        self.source = source
        self.index = index
        """0-based position of the document in its file."""
        self.body = body
        self.line = node.start_mark.line + 1
        self._node = node

    def line_of(self, path: Sequence[str | int]) -> int:
        """The 1-based line of the field at `path`, or of its deepest ancestor present (so a
        field that must be added points at the object it belongs in)."""
        node = self._node
        line = node.start_mark.line + 1
        for step in path:
            found = _child(node, step)
            if found is None:
                break
            key_node, node = found
            line = (key_node or node).start_mark.line + 1
        return line

    def __repr__(self) -> str:
        return f"Document({self.source!r}, index={self.index}, line={self.line})"


def _child(node: Node, step: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, MappingNode) and isinstance(step, str):
        merged: list[Node] = []
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.tag == _MERGE:
                    merged.append(value)
                elif key.value == step:
                    return key, value
        for value in merged:  # keys written in the mapping win over merged ones
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                found = _child(source, step)
                if found is not None:
                    return found
        return None
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return None, node.value[step]
    return None


def load_documents(
    data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Document]:
    """The non-empty documents of a YAML (or JSON) stream, in order."""
    if len(data) > limits.max_file_bytes:
        raise BadInput(
            f"{source}: {len(data)} bytes is more than the {limits.max_file_bytes}-byte limit "
            "for one manifest file"
        )
    loader = _LOADER(data)  # type: ignore[misc]
    index = -1
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is None or _is_empty(node):
                continue
            builder = _Builder(limits, source, index)
            yield Document(source, index, builder.build(node, 0), node)
    except yaml.YAMLError as error:
        raise BadInput(f"{source}: not valid YAML{_where(error)}: {_problem(error)}") from None
    finally:
        loader.dispose()


def _is_empty(node: Node) -> bool:
    """A document holding only `null` (comments, a bare `---`): skipped, as kubectl does."""
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def _problem(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None) or getattr(error, "reason", None)
    return str(problem or "malformed")


_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+")


class _Builder:
    """Builds one document's data from its nodes, counting nodes as aliases expand."""

    __slots__ = ("_budget", "_index", "_limits", "_source")

    def __init__(self, limits: Limits, source: str, index: int) -> None:
        self._limits = limits
        self._budget = limits.max_nodes
        self._source = source
        self._index = index

    def _refuse(self, node: Node, what: str) -> BadInput:
        line = node.start_mark.line + 1
        return BadInput(f"{self._source}: document {self._index + 1} (line {line}) {what}")

    def build(self, node: Node, depth: int) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise self._refuse(
                node,
                f"expands to more than {self._limits.max_nodes} nodes "
                "(a YAML alias bomb or an oversized document)",
            )
        if depth > self._limits.max_depth:
            raise self._refuse(
                node,
                f"nests more than {self._limits.max_depth} levels deep "
                "(or an alias refers to itself)",
            )
        if isinstance(node, ScalarNode):
            return _scalar(node) if node.tag != _STR else node.value
        if isinstance(node, MappingNode):
            return self._mapping(node, depth)
        return [self.build(item, depth + 1) for item in node.value]

    def _mapping(self, node: MappingNode, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.build(key_node, depth + 1)
            if isinstance(key, (dict, list)):
                raise self._refuse(key_node, "has a mapping key that is not a scalar")
            result[key] = self.build(value_node, depth + 1)
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                merged = self.build(source, depth + 1)
                if not isinstance(merged, dict):
                    raise self._refuse(source, "merges (<<) something that is not a mapping")
                for key, value in merged.items():
                    result.setdefault(key, value)
        return result


def _scalar(node: ScalarNode) -> Any:
    """Plain scalars as YAML 1.1 resolves them (which is what Kubernetes' reader does for
    booleans, integers and floats); timestamps and every other tag stay strings."""
    tag, value = node.tag, node.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOLS.get(value.lower(), value)
    if tag == _INT:
        return _integer(value)
    if tag == _FLOAT:
        return _float(value)
    return value


def _integer(text: str) -> int | str:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits != "0" and digits.startswith("0"):
            return sign * int(digits, 8)
        if ":" in digits and _SEXAGESIMAL.fullmatch(text):
            total = 0
            for part in digits.split(":"):
                total = total * 60 + int(part)
            return sign * total
        return sign * int(digits)
    except ValueError:
        return text


def _float(text: str) -> float | str:
    lowered = text.replace("_", "").lower()
    if lowered in (".inf", "+.inf"):
        return float("inf")
    if lowered == "-.inf":
        return float("-inf")
    if lowered == ".nan":
        return float("nan")
    if ":" in lowered:
        return text  # sexagesimal floats: nobody writes them in a manifest
    try:
        return float(lowered)
    except ValueError:
        return text
