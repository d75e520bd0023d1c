"""Read a stream ahead in a background thread.

Decompression (ISA-L, zstd) and hashing release the GIL, so a reader thread that pulls the
layer through them overlaps with the tar parsing and analysis in the main thread: on two
cores an image inventory takes the time of the slower half instead of the sum.
"""

from __future__ import annotations

import queue
import threading
from typing import BinaryIO

_END = object()


class PrefetchReader:
    def __init__(self, source: BinaryIO, *, chunk: int = 1 << 20, depth: int = 8) -> None:
        self._source = source
        self._chunk = chunk
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._buffer = b""
        self._pos = 0
        self._ended = False
        self._thread = threading.Thread(target=self._pump, name="tenlayer-prefetch", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            while not self._stop.is_set():
                data = self._source.read(self._chunk)
                if not data:
                    break
                if not self._put(data):
                    return
            self._put(_END)
        except BaseException as error:  # handed to the consumer, raised there
            self._put(error)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read(self, n: int = -1) -> bytes:
        if self._pos >= len(self._buffer):
            if self._ended:
                return b""
            item = self._queue.get()
            if item is _END:
                self._ended = True
                self._thread.join()
                return b""
            if isinstance(item, BaseException):
                self._ended = True
                self._thread.join()
                raise item
            self._buffer = item  # type: ignore[assignment]
            self._pos = 0
        if n < 0 or (self._pos == 0 and n >= len(self._buffer)):
            data = self._buffer[self._pos :]
            self._pos = len(self._buffer)
            return data
        data = self._buffer[self._pos : self._pos + n]
        self._pos += len(data)
        return data

    def close(self) -> None:
        """Stop the reader thread (when the consumer gives up before the end)."""
        self._stop.set()
        self._thread.join()
