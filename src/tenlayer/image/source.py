"""What every image source hands to the layer walker: image metadata and layer readers.

An image source (docker-archive, OCI layout, OCI archive, root filesystem, registry) opens
to an `OpenedImage`: the `Image` record and, in order from the base up, one `LayerHandle`
per layer. A handle gives a `LayerReader` over the layer's entries and, once the walker is
done with it, `finish()` reads what is left so that every byte is checked against its digest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from tenlayer.errors import BadInput
from tenlayer.image.blobs import VerifyingReader
from tenlayer.image.layerstream import DEFAULT_MAX_LAYER_BYTES, open_layer
from tenlayer.image.mapped import (
    FileRegion,
    MappedReader,
    MemberReader,
    RegionHasher,
    read_head,
)
from tenlayer.image.prefetch import PrefetchReader
from tenlayer.image.tarstream import CHUNK, TarEntry, TarStream
from tenlayer.model import Image, ImageLayer


class LayerReader(Protocol):
    """Entries of one layer; `read`/`read_content` give the current entry's data."""

    def __iter__(self) -> Iterator[TarEntry]: ...

    def read(self, size: int = -1) -> bytes: ...

    def read_content(self, limit: int | None = None) -> bytes: ...

    def skip(self, n: int) -> int: ...


class LayerHandle(Protocol):
    layer: ImageLayer

    def reader(self) -> LayerReader: ...

    def finish(self) -> None: ...

    def close(self) -> None:
        """Release what the handle holds; called whether or not `finish` ran."""


class OpenedImage(Protocol):
    image: Image

    def layers(self) -> Iterator[LayerHandle]: ...

    def close(self) -> None: ...


class MappedLayerHandle:
    """An uncompressed tar layer in a local file: parsed from a memory map while another
    thread hashes it (see mapped.py). `digest` is what the bytes must hash to."""

    def __init__(
        self,
        layer: ImageLayer,
        region: FileRegion,
        *,
        digest: str,
        context: str,
        max_bytes: int = DEFAULT_MAX_LAYER_BYTES,
        owns_fd: bool = False,
    ) -> None:
        self.layer = layer
        self._region = region
        self._owns_fd = owns_fd
        if region.size > max_bytes:
            raise BadInput(
                f"{context}: layer is {region.size} bytes, more than {max_bytes} "
                "(raise --max-layer-size if this image is genuine)"
            )
        self._hasher = RegionHasher(region, digest, context=context)
        self._tar = TarStream(MappedReader(region), context=context)

    def reader(self) -> TarStream:
        return self._tar

    def finish(self) -> None:
        self._hasher.verify()

    def close(self) -> None:
        self._hasher.cancel()
        self._tar = TarStream(MappedReader(FileRegion(-1, 0, 0)), context="")  # drop views
        if self._owns_fd and self._region.fd >= 0:
            os.close(self._region.fd)
            self._owns_fd = False


def local_layer_handle(
    layer: ImageLayer,
    region: FileRegion,
    *,
    blob_digest: str | None,
    context: str,
    max_bytes: int,
    owns_fd: bool = False,
) -> LayerHandle:
    """The fastest handle for a layer blob stored in a local file.

    `blob_digest` is the digest of the stored blob when the source has one (OCI); without
    it (docker-archive) the uncompressed tar is checked against the layer's diff_id.
    """
    head = read_head(region, 4)
    compressed = head.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd"))
    if not compressed:
        return MappedLayerHandle(
            layer, region, digest=blob_digest or layer.diff_id, context=context,
            max_bytes=max_bytes, owns_fd=owns_fd,
        )
    raw: BinaryIO = MemberReader(region.fd, region.offset, region.size)  # type: ignore[assignment]
    if blob_digest is not None:
        raw = VerifyingReader(  # type: ignore[assignment]
            raw, blob_digest, size=region.size, context=context
        )
    handle = TarLayerHandle(
        layer, raw, context=context, verify_diff_id=blob_digest is None, max_bytes=max_bytes
    )
    if owns_fd:
        handle.close_fd = region.fd
    return handle


class TarLayerHandle:
    """A layer stored as a (possibly compressed) tar blob.

    `raw` is the blob as stored, already wrapped to verify its digest. When the source knows
    no digest for the stored blob (docker-archive), `verify_diff_id` checks the uncompressed
    stream against the config's `rootfs.diff_ids` instead.
    """

    def __init__(
        self,
        layer: ImageLayer,
        raw: BinaryIO,
        *,
        context: str,
        verify_diff_id: bool = False,
        max_bytes: int = DEFAULT_MAX_LAYER_BYTES,
    ) -> None:
        self.layer = layer
        self._raw = raw
        stream = open_layer(raw, context=context, max_bytes=max_bytes)
        if verify_diff_id:
            stream = VerifyingReader(  # type: ignore[assignment]
                stream, layer.diff_id, size=None, context=context
            )
        self._prefetch = PrefetchReader(stream)
        self._tar = TarStream(self._prefetch, context=context)
        self.close_fd = -1
        """A file descriptor to close with the handle (a blob file opened for this layer)."""

    def reader(self) -> TarStream:
        return self._tar

    def finish(self) -> None:
        self._tar.drain()
        while self._raw.read(CHUNK):
            pass

    def close(self) -> None:
        self._prefetch.close()
        if self.close_fd >= 0:
            os.close(self.close_fd)
            self.close_fd = -1
