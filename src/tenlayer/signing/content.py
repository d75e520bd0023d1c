"""Whether an image is still the one that was signed: its blobs against their digests.

A signature names a manifest digest. The manifest's bytes must hash to it, and each blob
the manifest references — the config and every layer; for an index, every child manifest
and, in turn, its config and layers — must be present and hash to its descriptor's digest
(and have its size). Layers are streamed through `VerifyingReader`, never held whole; a
blob two manifests share is checked once.

The first blob that is missing or different is the answer: the signature may be valid, but
the image is not what was signed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from tenlayer.errors import BadInput
from tenlayer.image.blobs import MAX_JSON_BLOB, VerifyingReader, parse_json
from tenlayer.image.oci import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    MAX_INDEX_DEPTH,
    Descriptor,
    check_blob,
    media_type_of,
)

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ContentCheck:
    blobs: int
    """Blobs checked (manifests and indexes included)."""
    problem: str | None
    """`image blob sha256:… does not match its digest` or `… is missing`; None when all match."""


class Stream(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class ImageBlobs(Protocol):
    """Where the image's blobs are (its OCI layout or registry repository)."""

    def read_manifest_blob(self, descriptor: Descriptor) -> bytes | None:
        """A manifest or index as stored (at most MAX_JSON_BLOB + 1 bytes), or None when
        it is not there."""
        ...

    def open_image_blob(self, descriptor: Descriptor) -> Stream | None:
        """A stream of the blob's bytes, as stored, or None when it is not there."""
        ...


class _Mismatch(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def check_content(
    blobs: ImageBlobs, digest: str, manifest: bytes, media_type: str, *, context: str
) -> ContentCheck:
    """Check the image whose manifest (or index) `manifest` was signed as `digest`."""
    walk = _Walk(blobs, context)
    try:
        walk.document(Descriptor(media_type, digest, len(manifest)), manifest, depth=0)
    except _Mismatch as mismatch:
        return ContentCheck(len(walk.seen), mismatch.problem)
    return ContentCheck(len(walk.seen), None)


def mismatch(digest: str) -> str:
    return f"image blob {digest} does not match its digest"


class _Walk:
    def __init__(self, blobs: ImageBlobs, context: str) -> None:
        self.blobs = blobs
        self.context = context
        self.seen: set[str] = set()

    def document(self, descriptor: Descriptor, data: bytes, *, depth: int) -> None:
        """A manifest or index: its own bytes, then what it references."""
        self._check_bytes(descriptor, data)
        where = f"{self.context}: manifest {descriptor.digest}"
        document = parse_json(data, context=where)
        media_type = media_type_of(document, descriptor.media_type)
        if media_type in INDEX_TYPES:
            if depth >= MAX_INDEX_DEPTH:
                raise BadInput(f"{self.context}: image indexes nested deeper than "
                               f"{MAX_INDEX_DEPTH} levels")
            for child in _descriptors(document, "manifests", where):
                self._child(child, depth + 1)
        elif media_type in MANIFEST_TYPES:
            if "config" not in document:
                raise BadInput(f"{where}: no config")
            self.blob(Descriptor.parse(document["config"], context=f"{where} config"))
            for layer in _descriptors(document, "layers", where):
                self.blob(layer)
        else:
            raise BadInput(f"{where}: unknown manifest media type {media_type!r}")

    def _child(self, descriptor: Descriptor, depth: int) -> None:
        if descriptor.media_type not in (*INDEX_TYPES, *MANIFEST_TYPES):
            self.blob(descriptor)  # an artifact: its bytes count, its content is not ours
            return
        if descriptor.digest in self.seen:
            return
        data = self.blobs.read_manifest_blob(descriptor)
        if data is None:
            raise _Mismatch(f"image blob {descriptor.digest} is missing")
        if len(data) > MAX_JSON_BLOB:
            raise _Mismatch(mismatch(descriptor.digest))
        self.document(descriptor, data, depth=depth)

    def blob(self, descriptor: Descriptor) -> None:
        if descriptor.digest in self.seen:
            return
        stream = self.blobs.open_image_blob(descriptor)
        if stream is None:
            raise _Mismatch(f"image blob {descriptor.digest} is missing")
        source = _Source(stream)
        reader = VerifyingReader(
            source, descriptor.digest, size=descriptor.size, context=self.context  # type: ignore[arg-type]
        )
        try:
            while reader.read(CHUNK):
                pass
        except _ReadFailed as failed:  # the source's own error (unreadable file, network)
            raise failed.error from None
        except BadInput:  # the verifier's: too large, truncated or another hash
            raise _Mismatch(mismatch(descriptor.digest)) from None
        finally:
            reader.close()
        self.seen.add(descriptor.digest)

    def _check_bytes(self, descriptor: Descriptor, data: bytes) -> None:
        try:
            check_blob(data, descriptor, context=self.context)
        except BadInput:
            raise _Mismatch(mismatch(descriptor.digest)) from None
        self.seen.add(descriptor.digest)


class _ReadFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Source:
    """The stream, its errors set apart from the verifier's (both may be BadInput)."""

    def __init__(self, stream: Stream) -> None:
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        try:
            return self._stream.read(n)
        except Exception as error:
            raise _ReadFailed(error) from None

    def close(self) -> None:
        self._stream.close()


def _descriptors(document: dict[str, object], field: str, where: str) -> Iterator[Descriptor]:
    raw = document.get(field)
    if not isinstance(raw, list):
        raise BadInput(f"{where}: no {field} list")
    for number, item in enumerate(raw):
        yield Descriptor.parse(item, context=f"{where} {field}[{number}]")
