"""Uncompressed layers on local disk, read without copying and hashed in parallel.

An uncompressed layer in a docker-archive or an OCI layout is already the tar stream. It is
mapped into memory a window at a time: the tar reader parses headers straight out of the
mapping, and a second thread hashes the same bytes through its own windows (hashlib releases
the GIL), so checking the digest costs no time on two cores. Windows are unmapped as soon as
they are passed, so memory stays flat however large the layer.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from dataclasses import dataclass

from tenlayer.errors import BadInput

WINDOW = 16 << 20
_HASH_CHUNK = WINDOW


@dataclass(frozen=True, slots=True)
class FileRegion:
    """`size` bytes at `offset` of the open file `fd` (which the region does not own)."""

    fd: int
    offset: int
    size: int


def _map(region: FileRegion, start: int, length: int) -> tuple[mmap.mmap, int]:
    """Map [start, start+length) of the region; returns the map and where `start` is in it."""
    absolute = region.offset + start
    aligned = absolute - absolute % mmap.ALLOCATIONGRANULARITY
    mapping = mmap.mmap(
        region.fd, length + (absolute - aligned), access=mmap.ACCESS_READ, offset=aligned
    )
    return mapping, absolute - aligned


class MappedReader:
    """`read(n)` hands out memoryviews of the region, one window mapped at a time.

    A view stays valid while the caller holds it; the window behind it is unmapped when the
    last view of it is dropped.
    """

    def __init__(self, region: FileRegion, window: int = WINDOW) -> None:
        self._region = region
        self._window = window
        self._pos = 0  # position in the region of the next byte to hand out
        self._view: memoryview | None = None
        self._view_start = 0

    def read(self, n: int = -1) -> memoryview | bytes:
        if self._pos >= self._region.size:
            self._view = None
            return b""
        view = self._view
        if view is None or self._pos >= self._view_start + len(view):
            length = min(self._window, self._region.size - self._pos)
            mapping, at = _map(self._region, self._pos, length)
            # The view keeps the mapping alive; it is unmapped when the last view goes.
            view = memoryview(mapping)[at : at + length]
            self._view, self._view_start = view, self._pos
        at = self._pos - self._view_start
        end = len(view) if n < 0 else min(len(view), at + n)
        self._pos = self._view_start + end
        return view[at:end]

    def skip(self, n: int) -> int:
        n = max(0, min(n, self._region.size - self._pos))
        self._pos += n
        return n


class RegionHasher:
    """Hash a region in a background thread; `verify()` waits and compares with a digest."""

    def __init__(self, region: FileRegion, digest: str, *, context: str) -> None:
        self._region = region
        self._digest = digest
        self._context = context
        self._actual: str | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tenlayer-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            algorithm = self._digest.partition(":")[0]
            hasher = hashlib.new(algorithm)
            done = 0
            while done < self._region.size and not self._stop.is_set():
                length = min(WINDOW, self._region.size - done)
                mapping, at = _map(self._region, done, length)
                with memoryview(mapping) as view:
                    for chunk in range(at, at + length, _HASH_CHUNK):
                        hasher.update(view[chunk : min(chunk + _HASH_CHUNK, at + length)])
                mapping.close()
                done += length
            self._actual = f"{algorithm}:{hasher.hexdigest()}"
        except BaseException as error:  # reported by verify(), in the caller's thread
            self._error = error

    def verify(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise BadInput(f"{self._context}: cannot read layer ({self._error})")
        if self._actual != self._digest:
            raise BadInput(
                f"{self._context}: blob content does not match its digest {self._digest} "
                f"(found {self._actual})"
            )

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()


class MemberReader:
    """Reads `size` bytes at `offset` of a file with pread: no shared file position, so any
    number of readers can share one descriptor. A short file reads as an early end."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd = fd
        self._pos = offset
        self._end = offset + size

    def read(self, n: int = -1) -> bytes:
        left = self._end - self._pos
        if n < 0 or n > left:
            n = left
        if n <= 0:
            return b""
        data = os.pread(self._fd, n, self._pos)
        self._pos += len(data)
        return data

    def skip(self, n: int) -> int:
        n = max(0, min(n, self._end - self._pos))
        self._pos += n
        return n

    def close(self) -> None:
        """The archive owns the file descriptor; nothing to release here."""

def read_head(region: FileRegion, size: int) -> bytes:
    return os.pread(region.fd, min(size, region.size), region.offset)
