"""A plain root filesystem directory, read as if it were a single-layer image.

Symbolic links are reported as links and never followed, and files are opened with
O_NOFOLLOW, so a hostile tree cannot make tenlayer read files outside it. Devices, sockets
and FIFOs are listed but never opened (a FIFO would block the scan).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from tenlayer.errors import BadInput
from tenlayer.image.tarstream import EntryKind, TarEntry
from tenlayer.model import Image, ImageLayer


class DirectoryReader:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._current: str | None = None
        self._handle: int | None = None
        self._remaining = 0

    def __iter__(self) -> Iterator[TarEntry]:
        stack = [""]
        while stack:
            relative = stack.pop()
            try:
                with os.scandir(self._root / relative if relative else self._root) as it:
                    children = sorted(it, key=lambda e: e.name)
            except OSError as error:
                where = relative or "/"
                raise BadInput(f"{self._root}: cannot list {where} ({error.strerror})") from None
            subdirs = []
            for child in children:
                path = f"{relative}/{child.name}" if relative else child.name
                info = child.stat(follow_symlinks=False)
                mode = info.st_mode
                if stat.S_ISDIR(mode):
                    kind, size, link = EntryKind.DIR, 0, ""
                    subdirs.append(path)
                elif stat.S_ISREG(mode):
                    kind, size, link = EntryKind.FILE, info.st_size, ""
                elif stat.S_ISLNK(mode):
                    kind, size, link = EntryKind.SYMLINK, 0, str(Path(child.path).readlink())
                else:
                    kind, size, link = EntryKind.OTHER, 0, ""
                self._close()
                self._current = path if kind is EntryKind.FILE else None
                self._remaining = size
                yield TarEntry(path, kind, stat.S_IMODE(mode), size, link)
            stack.extend(reversed(subdirs))
        self._close()

    def _open(self) -> int:
        if self._handle is None:
            if self._current is None:
                raise BadInput(f"{self._root}: no regular file to read")
            try:
                self._handle = os.open(
                    self._root / self._current, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                )
            except OSError as error:
                raise BadInput(
                    f"{self._root}: cannot read {self._current} ({error.strerror})"
                ) from None
        return self._handle

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._remaining:
            size = self._remaining
        if size == 0:
            return b""
        data = os.read(self._open(), size)
        self._remaining -= len(data)
        return data

    def skip(self, n: int) -> int:
        n = max(0, min(n, self._remaining))
        if n:
            os.lseek(self._open(), n, os.SEEK_CUR)
            self._remaining -= n
        return n

    def read_content(self, limit: int | None = None) -> bytes:
        wanted = self._remaining if limit is None else min(limit, self._remaining)
        pieces = []
        while wanted > 0:
            data = self.read(min(wanted, 1 << 20))
            if not data:
                break
            pieces.append(data)
            wanted -= len(data)
        return b"".join(pieces)

    def _close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


class _RootfsLayer:
    def __init__(self, layer: ImageLayer, root: Path) -> None:
        self.layer = layer
        self._reader = DirectoryReader(root)

    def reader(self) -> DirectoryReader:
        return self._reader

    def finish(self) -> None:
        self._reader._close()

    def close(self) -> None:
        self._reader._close()


class RootfsImage:
    def __init__(self, root: Path) -> None:
        self._root = root
        self.image = Image(
            reference=str(root),
            source_kind="rootfs",
            manifest_digest=None,
            config_digest=None,
            os="linux",
            architecture="",
            layers=(ImageLayer(index=0, digest="", diff_id="", media_type="", size=0),),
        )

    def layers(self) -> Iterator[_RootfsLayer]:
        yield _RootfsLayer(self.image.layers[0], self._root)

    def close(self) -> None:
        """Nothing is held open."""
