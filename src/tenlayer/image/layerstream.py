"""Turn a stored layer blob into its uncompressed tar stream, with a limit on its size.

The compression is told by the media type and confirmed by the first bytes, because
registries and archives sometimes label layers loosely (docker-archive layers are often
gzip although nothing says so).
"""

from __future__ import annotations

from typing import BinaryIO

from tenlayer.errors import BadInput

DEFAULT_MAX_LAYER_BYTES = 32 << 30
"""Uncompressed bytes one layer may expand to before it counts as a decompression bomb."""

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

LAYER_MEDIA_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": "",
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd": "zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": "",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": "zstd",
    "application/vnd.docker.image.rootfs.diff.tar": "",
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd": "zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
}


def check_layer_media_type(media_type: str, *, context: str) -> None:
    if media_type not in LAYER_MEDIA_TYPES:
        raise BadInput(f"{context}: unknown layer media type {media_type!r}")


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0:
                data = self._head + self._rest.read()
                self._head = b""
                return data
            data, self._head = self._head[:n], self._head[n:]
            return data
        return self._rest.read(n)


class _Limited:
    def __init__(self, source: BinaryIO, limit: int, context: str) -> None:
        self._source = source
        self._left = limit
        self._limit = limit
        self._context = context

    def read(self, n: int = -1) -> bytes:
        data = self._source.read(n)
        self._left -= len(data)
        if self._left < 0:
            raise BadInput(
                f"{self._context}: layer decompresses to more than {self._limit} bytes "
                "(decompression bomb?); raise --max-layer-size if this image is genuine"
            )
        return data


class _GzipStream:
    """Streaming gzip (multi-member, as pigz and some registries write) at ISA-L speed.

    Input goes in 64 KiB at a time: deflate expands at most ~1032:1, so one call yields at
    most ~66 MB even for a bomb. (zlib's `max_length` would bound it tighter, but copies
    the unconsumed input on every call and runs three times slower.)
    """

    _INPUT = 1 << 16

    def __init__(self, source: BinaryIO) -> None:
        from isal import isal_zlib

        self._zlib = isal_zlib
        self._source = source
        self._inflater = isal_zlib.decompressobj(wbits=31)
        self._pending = b""
        self._ended = False
        self._started = False

    def read(self, n: int = -1) -> bytes:
        while not self._ended:
            if not self._pending:
                self._pending = self._source.read(self._INPUT)
                if not self._pending:
                    if self._started and not self._inflater.eof:
                        raise EOFError
                    self._ended = True
                    break
            data = self._inflater.decompress(self._pending[: self._INPUT])
            self._pending = self._pending[self._INPUT :]
            self._started = True
            if self._inflater.eof:
                rest = self._inflater.unused_data + self._pending
                self._inflater = self._zlib.decompressobj(wbits=31)
                self._started = False
                self._pending = rest.lstrip(b"\0")  # padding some writers put after a member
            if data:
                return bytes(data)
        return b""


class _Decompressing:
    """Wrap a decompressor so that damaged compressed data becomes a one-line BadInput."""

    def __init__(self, reader: BinaryIO, kind: str, context: str) -> None:
        self._reader = reader
        self._kind = kind
        self._context = context

    def read(self, n: int = -1) -> bytes:
        try:
            return self._reader.read(n)
        except BadInput:
            raise
        except EOFError:
            raise BadInput(f"{self._context}: {self._kind} layer is truncated") from None
        except Exception as error:  # zlib.error, isal errors, zstd.ZstdError, OSError
            raise BadInput(f"{self._context}: damaged {self._kind} layer ({error})") from None


def open_layer(raw: BinaryIO, *, context: str, max_bytes: int) -> BinaryIO:
    """Return the uncompressed tar stream of a layer blob, whatever compression it uses."""
    head = raw.read(4)
    source: BinaryIO = _Prefixed(head, raw)  # type: ignore[assignment]
    if head.startswith(_GZIP_MAGIC):
        stream: BinaryIO = _Decompressing(
            _GzipStream(source), "gzip", context  # type: ignore[arg-type]
        )  # type: ignore[assignment]
    elif head.startswith(_ZSTD_MAGIC):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
        stream = _Decompressing(reader, "zstd", context)  # type: ignore[assignment]
    else:
        stream = source
    return _Limited(stream, max_bytes, context)  # type: ignore[return-value]
