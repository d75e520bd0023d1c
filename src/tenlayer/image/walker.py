"""The layer walker: every layer read once, in order, with the union filesystem applied.

Analyzers declare which files they want (`wants`); only those are read, each into its
analyzer and never to disk. What an analyzer returns for a file is kept per path, with the
history of that path across layers, so the inventory can tell which layer introduced a
package. Layers are merged as a container runtime merges them:

- `.wh.NAME` deletes NAME (and what lies under it) from the layers below;
- `.wh..wh..opq` empties its directory of everything from the layers below;
- any entry at a path replaces what lower layers had there, and an entry that is not a
  directory (a file, a symlink) hides everything lower layers had beneath it.

Deletions recorded in a layer apply to lower layers only, so a layer may delete and
re-create a path.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from tenlayer.errors import BadInput
from tenlayer.image.paths import OPAQUE_MARKER, WHITEOUT_PREFIX, ancestors, is_under, parent
from tenlayer.image.source import LayerHandle, LayerReader, OpenedImage
from tenlayer.image.tarstream import EntryKind
from tenlayer.image.traces import TraceBook
from tenlayer.model import ImageLayer, SkippedFile

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class FileContent(Protocol):
    """The data of one wanted file: `size` bytes, read once, front to back."""

    size: int

    def read(self, n: int = -1) -> bytes: ...

    def skip(self, n: int) -> int:
        """Pass over up to `n` bytes without handing them out; how many were passed."""
        ...


class FileAnalyzer(Protocol[R_co]):
    name: str
    max_file_size: int
    """Files larger than this are skipped with a warning (streaming analyzers set it high)."""

    def wants(self, path: str, mode: int, size: int) -> bool: ...

    def analyze(self, path: str, content: FileContent) -> R_co | None: ...


class AnalysisFailed(BadInput):
    """Raised by an analyzer for a file it must refuse (a corrupt package database)."""


@dataclass(frozen=True, slots=True)
class Record(Generic[R]):
    layer_index: int
    result: R


@dataclass
class WalkResult(Generic[R]):
    files: dict[str, list[Record[R]]]
    """Per surviving path, its analysis in every layer that wrote it (oldest first)."""
    layers: tuple[ImageLayer, ...]
    skipped: list[SkippedFile] = field(default_factory=list)


class _EntryContent:
    def __init__(self, reader: LayerReader, size: int) -> None:
        self.size = size
        self._reader = reader

    def read(self, n: int = -1) -> bytes:
        return self._reader.read(n)

    def skip(self, n: int) -> int:
        return self._reader.skip(n)


class _BytesContent:
    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._data = data
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else min(len(self._data), self._pos + n)
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def skip(self, n: int) -> int:
        end = min(len(self._data), self._pos + max(0, n))
        skipped, self._pos = end - self._pos, end
        return skipped


LayerCallback = Callable[[ImageLayer, int], None]


def walk(
    image: OpenedImage,
    analyzers: Sequence[FileAnalyzer[R]] | Callable[[], Sequence[FileAnalyzer[R]]],
    *,
    on_layer: LayerCallback | None = None,
    traces: TraceBook[Any] | None = None,
) -> WalkResult[R]:
    """Walk every layer. `analyzers` may be a function that makes them: it is called once the
    first layer is open, so that their set-up overlaps with that layer's reading threads.

    `traces`, when given, sees every entry and the files its checks want (traces.py): checks
    of the built image share the single pass over each layer with the inventory."""
    state: dict[str, list[Record[R]]] = {}
    dirs_with_results: Counter[str] = Counter()
    result = WalkResult[R](files=state, layers=image.image.layers)
    total = len(image.image.layers)
    handles = iter(image.layers())
    first = next(handles, None)
    if callable(analyzers):
        try:
            analyzers = analyzers()
        except BaseException:
            if first is not None:
                first.close()
            raise
    for handle in itertools.chain([first] if first is not None else [], handles):
        if on_layer is not None:
            on_layer(handle.layer, total)
        try:
            if traces is not None:
                traces.start_layer(handle.layer.index)
            _walk_layer(handle, analyzers, state, dirs_with_results, result.skipped, traces)
            if traces is not None:
                traces.end_layer()
        except AnalysisFailed as error:
            context = f"{image.image.reference}"
            if image.image.source_kind != "rootfs":
                context += f" layer {handle.layer.index}"
            raise AnalysisFailed(f"{context}: {error}") from None
        finally:
            handle.close()
    return result


def _walk_layer(
    handle: LayerHandle,
    analyzers: Sequence[FileAnalyzer[R]],
    state: dict[str, list[Record[R]]],
    dirs_with_results: Counter[str],
    skipped: list[SkippedFile],
    traces: TraceBook[Any] | None = None,
) -> None:
    index = handle.layer.index
    reader = handle.reader()
    removed: set[str] = set()  # lower-layer paths this layer deletes (whiteouts)
    replaced: set[str] = set()  # lower-layer paths this layer writes again
    subtrees: list[str] = []  # lower-layer directories this layer empties or hides
    fresh: dict[str, R] = {}
    for entry in reader:
        path = entry.path
        name = path[path.rfind("/") + 1 :]
        if name.startswith(WHITEOUT_PREFIX):
            if name == OPAQUE_MARKER:
                subtrees.append(parent(path))
                if traces is not None:
                    traces.delete(parent(path), only_below=True)
            else:
                target = path[: len(path) - len(name)] + name[len(WHITEOUT_PREFIX) :]
                removed.add(target)
                subtrees.append(target)
                if traces is not None:
                    traces.delete(target)
            continue
        if path in state:
            replaced.add(path)
        if entry.kind is not EntryKind.DIR and path in dirs_with_results:
            subtrees.append(path)
        checking = (
            traces.entry(path, entry.kind, entry.mode, entry.size) if traces is not None else None
        )
        if entry.kind is not EntryKind.FILE:
            continue
        wanting = [a for a in analyzers if a.wants(path, entry.mode, entry.size)]
        data = None
        if checking:
            assert traces is not None
            if len(checking) == 1 and not wanting:  # streamed: a check may stop early
                traces.analyze(path, _EntryContent(reader, entry.size), checking[0])
                continue
            data = reader.read_content()
            for check in checking:
                traces.analyze(path, _BytesContent(data), check)
        if not wanting:
            continue
        outcome = _analyze(path, entry.size, reader, wanting, skipped, index, data)
        if outcome is not None:
            fresh[path] = outcome
    handle.finish()
    removed.update(replaced.difference(fresh))  # rewritten, but no longer recognised
    _apply_deletions(state, dirs_with_results, removed, subtrees)
    for path, outcome in fresh.items():
        history = state.get(path)
        if history is None:
            state[path] = [Record(index, outcome)]
            dirs_with_results.update(ancestors(path))
        else:
            history.append(Record(index, outcome))


def _analyze(
    path: str,
    size: int,
    reader: LayerReader,
    analyzers: list[FileAnalyzer[R]],
    skipped: list[SkippedFile],
    layer_index: int,
    data: bytes | None = None,
) -> R | None:
    usable = []
    for analyzer in analyzers:
        if size > analyzer.max_file_size:
            skipped.append(
                SkippedFile(path, analyzer.name, size, analyzer.max_file_size, layer_index)
            )
        else:
            usable.append(analyzer)
    if not usable:
        return None
    if len(usable) == 1 and data is None:
        return _run(usable[0], path, _EntryContent(reader, size))
    if data is None:
        data = reader.read_content()
    outcome: R | None = None
    for analyzer in usable:
        found = _run(analyzer, path, _BytesContent(data))
        if found is not None:
            outcome = found  # one result per path: the first analyzer that recognises it wins
            break
    return outcome


def _run(analyzer: FileAnalyzer[R], path: str, content: FileContent) -> R | None:
    try:
        return analyzer.analyze(path, content)
    except AnalysisFailed as error:
        raise AnalysisFailed(f"/{path}: {error}") from None


def _apply_deletions(
    state: dict[str, list[Record[R]]],
    dirs_with_results: Counter[str],
    removed: set[str],
    subtrees: list[str],
) -> None:
    doomed = {path for path in removed if path in state}
    for directory in subtrees:
        if directory == "" or directory in dirs_with_results:
            doomed.update(p for p in state if is_under(p, directory))
    for path in doomed:
        del state[path]
        dirs_with_results.subtract(ancestors(path))
    for directory in [d for d, count in dirs_with_results.items() if count <= 0]:
        del dirs_with_results[directory]
