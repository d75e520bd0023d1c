"""What every image source hands to the layer walker: image metadata and layer readers.

An image source (docker-archive, OCI layout, OCI archive, root filesystem, registry) opens
to an `OpenedImage`: the `Image` record and, in order from the base up, one `LayerHandle`
per layer. A handle gives a `LayerReader` over the layer's entries and, once the walker is
done with it, `finish()` reads what is left so that every byte is checked against its digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

from tenlayer.image.blobs import VerifyingReader
from tenlayer.image.layerstream import DEFAULT_MAX_LAYER_BYTES, open_layer
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
        self._tar = TarStream(self._prefetch, context=context)  # type: ignore[arg-type]

    def reader(self) -> TarStream:
        return self._tar

    def finish(self) -> None:
        self._tar.drain()
        while self._raw.read(CHUNK):
            pass

    def close(self) -> None:
        self._prefetch.close()
