"""Kubernetes objects out of documents: `List` kinds flattened, each object knowing its file,
its place in the document and, on demand, the line of any of its fields."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.kube.documents import Document
from tenlayer.kube.paths import parse_path


@dataclass(frozen=True, slots=True)
class KubeObject:
    kind: str
    api_version: str
    name: str
    namespace: str
    """As written in the manifest; "" when it does not say (cluster-scoped objects, or
    namespaced ones that take the namespace they are applied in)."""
    body: Mapping[str, Any]
    document: Document
    prefix: tuple[str | int, ...] = ()
    """Where the object sits in its document: () or ("items", N) inside a List."""

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def group(self) -> str:
        """The API group: "" for the core group (`v1`), `apps` for `apps/v1`."""
        return self.api_version.rpartition("/")[0]

    def subject(self, namespace: str) -> str:
        """`kind/namespace/name` (DESIGN.md), `kind/name` when the object has no namespace."""
        return f"{self.kind}/{namespace}/{self.name}" if namespace else f"{self.kind}/{self.name}"

    def line_of(self, path: str) -> int:
        return self.document.line_of(self.prefix + parse_path(path))

    @property
    def line(self) -> int:
        return self.document.line_of(self.prefix)


MAX_LIST_NESTING = 8


def objects_of(documents: Iterable[Document], *, typed_lists: bool = False) -> Iterator[KubeObject]:
    """Every object in the documents, Lists (nested ones too, as kubectl reads them)
    flattened; a document that is not an object raises BadInput. With `typed_lists`, the
    items of a typed list (`PodList`, `NamespaceList`) that do not name their kind are of
    the list's kind and apiVersion, as the API server returns them."""
    for document in documents:
        body = document.body
        where = f"{document.source}: document {document.index + 1} (line {document.line})"
        if not isinstance(body, dict):
            raise BadInput(f"{where} is {_describe(body)}, not a Kubernetes object")
        yield from _flatten(body, document, (), where, typed_lists)


def _flatten(
    body: dict[str, Any], document: Document, prefix: tuple[str | int, ...], where: str,
    typed_lists: bool = False,
) -> Iterator[KubeObject]:
    items = body.get("items")
    kind = body.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and isinstance(items, list)):
        yield _object(body, document, prefix, where)
        return
    if len(prefix) >= 2 * MAX_LIST_NESTING:
        raise BadInput(f"{where}: Lists nested more than {MAX_LIST_NESTING} deep")
    for number, item in enumerate(items):
        item_where = f"{where}: items[{number}]" if not prefix else f"{where}[{number}]"
        if not isinstance(item, dict):
            raise BadInput(f"{item_where} is {_describe(item)}, not an object")
        if typed_lists and kind != "List" and "kind" not in item:
            item = {"kind": kind.removesuffix("List"), "apiVersion": body.get("apiVersion"),
                    **item}
        yield from _flatten(item, document, (*prefix, "items", number), item_where, typed_lists)


def _object(
    body: Mapping[str, Any], document: Document, prefix: tuple[str | int, ...], where: str
) -> KubeObject:
    kind = body.get("kind")
    api_version = body.get("apiVersion")
    if not isinstance(kind, str) or not kind:
        raise BadInput(f"{where} has no kind: not a Kubernetes object")
    if not isinstance(api_version, str) or not api_version:
        raise BadInput(f"{where} ({kind}) has no apiVersion: not a Kubernetes object")
    metadata = body.get("metadata")
    name = namespace = ""
    if isinstance(metadata, dict):
        name = _text(metadata.get("name")) or _text(metadata.get("generateName"))
        namespace = _text(metadata.get("namespace"))
    return KubeObject(kind, api_version, name, namespace, body, document, prefix)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"a {type(value).__name__} scalar"
