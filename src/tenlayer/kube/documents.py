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
_KNOWN_TAGS = frozenset(
    {_STR, _INT, _BOOL, _NULL, _FLOAT, _MERGE, "tag:yaml.org,2002:timestamp",
     "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"}
)
"""The tags tenlayer reads as Kubernetes' YAML reader does; any other is refused, not guessed
at. `!!binary` is refused too: Kubernetes decodes it (an image or hostPath in base64), and
reading the base64 text instead would check something else than what is deployed."""

_C_LOADER = getattr(yaml, "CSafeLoader", None)
if _C_LOADER is None:  # pragma: no cover - PyYAML built without libyaml
    raise ImportError("PyYAML was built without libyaml; reinstall it with its C extension")
_RESOLVABLE = frozenset(k for k in _C_LOADER.yaml_implicit_resolvers if k)
"""First characters of the plain scalars YAML 1.1 may resolve to something but a string."""
assert None not in _C_LOADER.yaml_implicit_resolvers and not _C_LOADER.yaml_path_resolvers


class _Loader(_C_LOADER):  # type: ignore[misc,valid-type]
    """The C loader with a shortcut past the regular expressions for the scalars that can
    only be strings (a quoted one, or a plain one starting with a letter most words start
    with): two thirds of a manifest's scalars, and a tenth of the loading time."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and (not implicit[0] or (value and value[0] not in _RESOLVABLE)):
            return _STR
        tag = str(super().resolve(kind, value, implicit))
        if tag == _STR and kind is ScalarNode:  # where Go's YAML 1.1 reader differs
            if value in _GO_BOOLS:
                return _BOOL
            if _GO_OCTAL.fullmatch(value):
                return _INT
        return tag


_GO_BOOLS = frozenset({"y", "Y", "n", "N"})
"""Booleans to the YAML reader Kubernetes uses (go-yaml v2), strings to PyYAML."""
_GO_OCTAL = re.compile(r"[-+]?0o[0-7_]+")
"""`0o17`: an integer to go-yaml v2 (Go's ParseInt with base 0), a string to PyYAML."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one input may hold. Generous for real manifests (the largest CRDs have some
    tens of thousands of nodes), small enough that hostile input stops early."""

    max_file_bytes: int = 32 * 1024 * 1024
    """A Kubernetes object is at most ~1.5 MB in etcd; 32 MiB holds the largest rendered
    charts with room to spare, and bounds what one file costs in memory (~15× its size)."""
    max_nodes: int = 2_000_000
    """Nodes in one document after aliases are expanded."""
    max_depth: int = 256


DEFAULT_LIMITS = Limits()


class Document:
    """One YAML document of a file: its data and the line of every key and list item.

    Lines are kept in a table beside the data (container id -> {key: line} or [line, …])
    rather than by keeping PyYAML's nodes: a node and its two marks are three objects per
    scalar, which for 10,000 manifests is hundreds of megabytes the allocator must find.
    """

    __slots__ = ("_lines", "body", "index", "line", "source")

    def __init__(
        self, source: str, index: int, body: Any, line: int, lines: dict[int, Any]
    ) -> None:
        self.source = source
        self.index = index
        """0-based position of the document in its file."""
        self.body = body
        self.line = line
        self._lines = lines

    def line_of(self, path: Sequence[str | int]) -> int:
        """The 1-based line of the field at `path`, or of its deepest ancestor present (so a
        field that must be added points at the object it belongs in)."""
        container, line = self.body, self.line
        for step in path:
            table = self._lines.get(id(container))
            if table is None:
                break
            if isinstance(container, dict):
                if step not in container:
                    break
            elif not isinstance(step, int) or not 0 <= step < len(container):
                break
            line = table[step]
            container = container[step]
        return line

    def __repr__(self) -> str:
        return f"Document({self.source!r}, index={self.index}, line={self.line})"


def load_documents(
    data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Document]:
    """The non-empty documents of a YAML (or JSON) stream, in order."""
    if len(data) > limits.max_file_bytes:
        raise BadInput(
            f"{source}: {len(data)} bytes is more than the {limits.max_file_bytes}-byte limit "
            "for one manifest file"
        )
    loader = _Loader(data)
    index = -1
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is None or _is_empty(node):
                continue
            builder = _Builder(limits, source, index)
            body = builder.build(node, 0)
            yield Document(source, index, body, node.start_mark.line + 1, builder.lines)
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


_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False,
          "y": True, "n": False}
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+")


class _Builder:
    """Builds one document's data from its nodes, counting nodes as aliases expand."""

    __slots__ = ("_budget", "_index", "_limits", "_source", "lines")

    def __init__(self, limits: Limits, source: str, index: int) -> None:
        self.lines: dict[int, Any] = {}
        """id(container) -> {key: line} for a mapping, [line, …] for a list."""
        self._limits = limits
        self._budget = limits.max_nodes
        self._source = source
        self._index = index

    def _refuse(self, node: Node, what: str) -> BadInput:
        line = node.start_mark.line + 1
        return BadInput(f"{self._source}: document {self._index + 1} (line {line}) {what}")

    def _too_many(self, node: Node) -> BadInput:
        return self._refuse(
            node,
            f"expands to more than {self._limits.max_nodes} nodes "
            "(a YAML alias bomb or an oversized document)",
        )

    def build(self, node: Node, depth: int) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise self._too_many(node)
        if node.tag not in _KNOWN_TAGS:
            raise self._refuse(node, f"uses the YAML tag {node.tag!r}, which Kubernetes does not "
                                     "read (only the core tags: str, int, bool, null, …)")
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
        depth += 1
        items = node.value
        result = [
            item.value
            if item.tag == _STR and item.__class__ is ScalarNode and self._spend()
            else self.build(item, depth)
            for item in items
        ]
        self.lines[id(result)] = [item.start_mark.line + 1 for item in items]
        return result

    def _spend(self) -> bool:
        """Counts a plain string node against the budget (the fast path of `build`)."""
        self._budget -= 1
        return self._budget >= 0

    def _mapping(self, node: MappingNode, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        key_lines: dict[Any, int] = {}
        merges: list[Node] = []
        depth += 1
        self._budget -= len(node.value)  # the keys; values count as they are built
        if self._budget < 0:
            raise self._too_many(node)
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag == _STR and key_node.__class__ is ScalarNode:
                key = key_node.value
            elif key_tag == _MERGE:
                merges.append(value_node)
                continue
            else:
                key = self.build(key_node, depth)
                if isinstance(key, (dict, list)):
                    raise self._refuse(key_node, "has a mapping key that is not a scalar")
                key = _key_text(key)
            if key in result:
                raise self._refuse(
                    key_node,
                    f"sets {key!r} twice (first at line {key_lines[key]}): Kubernetes refuses "
                    "duplicate fields, and a reader that keeps either one can be fooled",
                )
            key_lines[key] = key_node.start_mark.line + 1
            if value_node.tag == _STR and value_node.__class__ is ScalarNode:
                self._budget -= 1
                result[key] = value_node.value
            else:
                result[key] = self.build(value_node, depth)
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                merged = self.build(source, depth)
                if not isinstance(merged, dict):
                    raise self._refuse(source, "merges (<<) something that is not a mapping")
                merged_lines = self.lines[id(merged)]
                for key, value in merged.items():
                    if key not in result:
                        result[key] = value
                        key_lines[key] = merged_lines[key]
        self.lines[id(result)] = key_lines
        return result


def _key_text(key: Any) -> str:
    """A scalar key as Kubernetes' reader turns it into a JSON field name (`yes:` → "true",
    `1:` → "1"), so `yes` and `1` are two keys, not one (True == 1 in Python)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


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
