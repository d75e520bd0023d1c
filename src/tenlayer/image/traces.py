"""What entry checks leave behind as the walker streams layers: traces, kept across deletions.

The inventory's analyzers see the merged file system: a file deleted by a later layer is
gone. Checks of a built image need more. A secret written in one layer and deleted in the
next is still in the first layer's blob, so it must be reported, with the layer that deleted
it; a setuid file, on the other hand, only matters while it survives to the final file system.

An `EntryCheck` sees each entry's metadata (`note`, called only when the entry's mode has a
bit of the check's `mode_mask`, so checks on modes cost nothing for ordinary files) and the
contents of the files it `wants`. Its results become `Trace` records. The `TraceBook` applies
the same union-filesystem rules as the walker: a trace is ended (`deleted_in`) by a whiteout
of its path or of a directory above it, an opaque marker, or any later entry at its path (or
a non-directory entry at a directory above it). Ended traces are kept; `overwritten` tells a
file written again at its own path from one deleted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from tenlayer.image.paths import ancestors, is_under
from tenlayer.image.tarstream import EntryKind
from tenlayer.model import SkippedFile

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class Content(Protocol):
    """A wanted file's data, read front to back (what the walker does not read, it skips)."""

    size: int

    def read(self, n: int = -1) -> bytes: ...


class EntryCheck(Protocol[S_co]):
    name: str
    max_file_size: int
    """A wanted file larger than this is not read; it is recorded in `TraceBook.skipped`."""
    mode_mask: int
    """`note` is called for entries whose permission bits share a bit with this mask."""

    def note(self, path: str, kind: EntryKind, mode: int) -> S_co | None: ...

    def wants(self, path: str, mode: int, size: int) -> bool: ...

    def analyze(self, path: str, content: Content) -> S_co | None: ...


@dataclass(frozen=True, slots=True)
class Trace(Generic[S]):
    path: str
    layer_index: int
    result: S
    deleted_in: int | None = None
    """The layer that deleted or replaced the entry; None when it is in the final file system."""
    overwritten: bool = False
    """Ended by a later entry at its own path (the file written again), not by a deletion."""


class TraceBook(Generic[S]):
    """The traces of every layer so far; the walker calls it as it reads each layer."""

    def __init__(self, checks: Sequence[EntryCheck[S]]) -> None:
        self.checks = tuple(checks)
        self.skipped: list[SkippedFile] = []
        self._mask = 0
        for check in self.checks:
            self._mask |= check.mode_mask
        self._alive: dict[str, list[Trace[S]]] = {}
        self._dirs: Counter[str] = Counter()
        self._ended: list[Trace[S]] = []
        self._index = 0
        self._touched: set[str] = set()
        self._rewritten: set[str] = set()
        self._subtrees: list[str] = []
        self._fresh: list[Trace[S]] = []

    def start_layer(self, index: int) -> None:
        self._index = index
        self._touched = set()
        self._rewritten = set()
        self._subtrees = []
        self._fresh = []

    def delete(self, path: str, *, only_below: bool = False) -> None:
        """A whiteout of `path` (`only_below`: an opaque marker in directory `path`)."""
        if not only_below:
            self._touched.add(path)
        self._subtrees.append(path)

    def entry(self, path: str, kind: EntryKind, mode: int, size: int) -> list[EntryCheck[S]]:
        """Note the entry; return the checks that want its content."""
        if path in self._alive:
            self._touched.add(path)
            self._rewritten.add(path)
        if kind is not EntryKind.DIR and path in self._dirs:
            self._subtrees.append(path)
        if mode & self._mask:
            for check in self.checks:
                if mode & check.mode_mask:
                    noted = check.note(path, kind, mode)
                    if noted is not None:
                        self._fresh.append(Trace(path, self._index, noted))
        if kind is not EntryKind.FILE:
            return []
        wanting = []
        for check in self.checks:
            if check.wants(path, mode, size):
                if size > check.max_file_size:
                    self.skipped.append(
                        SkippedFile(path, check.name, size, check.max_file_size, self._index)
                    )
                else:
                    wanting.append(check)
        return wanting

    def analyze(self, path: str, content: Content, check: EntryCheck[S]) -> None:
        found = check.analyze(path, content)
        if found is not None:
            self._fresh.append(Trace(path, self._index, found))

    def end_layer(self) -> None:
        doomed = {path for path in self._touched if path in self._alive}
        for directory in self._subtrees:
            if directory == "" or directory in self._dirs:
                doomed.update(p for p in self._alive if is_under(p, directory))
        for path in doomed:
            overwritten = path in self._rewritten
            for trace in self._alive.pop(path):
                self._ended.append(replace(trace, deleted_in=self._index, overwritten=overwritten))
            self._dirs.subtract(ancestors(path))
        for directory in [d for d, count in self._dirs.items() if count <= 0]:
            del self._dirs[directory]
        for trace in self._fresh:
            if trace.path not in self._alive:
                self._alive[trace.path] = []
                self._dirs.update(ancestors(trace.path))
            self._alive[trace.path].append(trace)
        self._fresh = []

    def traces(self) -> list[Trace[S]]:
        """Every trace, ended ones included, in layer order."""
        alive = [trace for traces in self._alive.values() for trace in traces]
        return sorted([*self._ended, *alive], key=lambda t: (t.layer_index, t.path))
