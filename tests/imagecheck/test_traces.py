"""The trace book: entries end as the union file system says, and ended traces are kept."""

from __future__ import annotations

from tenlayer.image.tarstream import EntryKind
from tenlayer.image.traces import Content, Trace, TraceBook


class Bytes:
    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._data = data

    def read(self, n: int = -1) -> bytes:
        chunk, self._data = (self._data, b"") if n < 0 else (self._data[:n], self._data[n:])
        return chunk


class Marks:
    """Notes every setuid entry and every file whose content is `secret`."""

    name = "marks"
    max_file_size = 100
    mode_mask = 0o4000

    def note(self, path: str, kind: EntryKind, mode: int) -> str:
        return f"mode {mode:o}"

    def wants(self, path: str, mode: int, size: int) -> bool:
        return True

    def analyze(self, path: str, content: Content) -> str | None:
        return "secret" if content.read() == b"secret" else None


def layer(book: TraceBook[str], index: int, *steps: tuple[str, ...]) -> None:
    book.start_layer(index)
    for step in steps:
        if step[0] == "whiteout":
            book.delete(step[1])
        elif step[0] == "opaque":
            book.delete(step[1], only_below=True)
        else:
            kind, path, content, mode = step[0], step[1], step[2], int(step[3], 8)
            entry_kind = EntryKind.DIR if kind == "dir" else EntryKind.FILE
            for check in book.entry(path, entry_kind, mode, len(content)):
                book.analyze(path, Bytes(content.encode()), check)
    book.end_layer()


def test_deletions_replacements_and_survivors() -> None:
    book: TraceBook[str] = TraceBook([Marks()])
    layer(book, 0,
          ("file", "a/key", "secret", "644"), ("file", "b/key", "secret", "644"),
          ("file", "c/d/key", "secret", "644"), ("file", "bin/su", "x", "4755"),
          ("file", "e/key", "secret", "644"), ("file", "big", "x" * 101, "644"),
          ("file", "g/key", "secret", "644"))
    layer(book, 1,
          ("file", "g/key", "clean", "644"),  # written again at its own path
          ("whiteout", "a/key"),          # a whiteout of the file
          ("opaque", "c"),                # an opaque directory above it
          ("file", "bin/su", "x", "755"),  # rewritten without the bit
          ("file", "e", "", "644"))       # a file where a directory was hides what was below
    layer(book, 2, ("file", "a/key", "secret", "644"))  # re-created after its deletion
    assert book.traces() == [
        Trace("a/key", 0, "secret", deleted_in=1),
        Trace("b/key", 0, "secret"),
        Trace("bin/su", 0, "mode 4755", deleted_in=1, overwritten=True),
        Trace("c/d/key", 0, "secret", deleted_in=1),
        Trace("e/key", 0, "secret", deleted_in=1),
        Trace("g/key", 0, "secret", deleted_in=1, overwritten=True),
        Trace("a/key", 2, "secret"),
    ]
    skipped = [(s.path, s.size, s.limit, s.layer_index) for s in book.skipped]
    assert skipped == [("big", 101, 100, 0)]


def test_a_whiteout_in_the_same_layer_only_deletes_what_lies_below() -> None:
    book: TraceBook[str] = TraceBook([Marks()])
    layer(book, 0, ("file", "k", "secret", "644"))
    layer(book, 1, ("whiteout", "k"), ("file", "k", "secret", "644"))
    assert book.traces() == [
        Trace("k", 0, "secret", deleted_in=1, overwritten=True), Trace("k", 1, "secret")
    ]
