"""A registry image as an image source: manifest and config fetched, layers streamed.

Mirrors `oci_layout.LayoutImage`: `oci.resolve` walks index -> manifest -> config through
`read_json_blob`, and `layers()` hands out one `TarLayerHandle` per layer over the HTTP
response of its blob, so a layer is never written to disk nor held whole in memory. Only
one blob download is open at a time, and only while the walker reads that layer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tenlayer.errors import BadInput
from tenlayer.image.blobs import (
    MAX_JSON_BLOB,
    VerifyingReader,
    check_digest,
    new_hash,
    parse_json,
)
from tenlayer.image.oci import (
    DOCKER_SCHEMA1,
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    check_blob,
    resolve,
)
from tenlayer.image.registry.client import RegistryClient
from tenlayer.image.registry.credentials import find_credentials
from tenlayer.image.registry.reference import Reference, parse_reference
from tenlayer.image.registry.transport import ResponseStream
from tenlayer.image.source import LayerHandle, TarLayerHandle

if TYPE_CHECKING:
    from tenlayer.image.open import OpenOptions

log = logging.getLogger("tenlayer.image.registry")

_MANIFEST_TYPES = frozenset((*INDEX_TYPES, *MANIFEST_TYPES, *DOCKER_SCHEMA1))


class RegistryImage:
    """An image pulled from a registry, chosen by tag or digest, then by platform."""

    def __init__(self, reference: Reference, client: RegistryClient, options: OpenOptions) -> None:
        self.reference = reference
        self._client = client
        self._context = str(reference)
        self._max_layer_bytes = options.max_layer_bytes
        self._open: ResponseStream | None = None
        self._handle: TarLayerHandle | None = None
        self.warnings = list(client.lookup.warnings)
        data, content_type, sent_digest = client.get_manifest(reference.manifest_ref)
        digest = self._manifest_digest(data, sent_digest)
        root = Descriptor(self._media_type(data, content_type), digest, len(data))
        tags = (f"{reference.name}:{reference.tag}",) if reference.tag else ()
        self.image, self._layers = resolve(
            self, root, options.platform, reference=self._context, source_kind="registry",
            repo_tags=tags, root_bytes=data,
        )

    def _manifest_digest(self, data: bytes, sent: str) -> str:
        """The digest the manifest must have: the one pulled by, else the one the registry
        announced, else the manifest's sha256. The bytes are checked against the first two."""
        expected = self.reference.digest
        source = "the reference's digest"
        if expected is None and sent:
            expected = check_digest(
                sent, context=f"{self._context}: Docker-Content-Digest header"
            )
            source = "the registry's Docker-Content-Digest"
        if expected is None:
            return "sha256:" + hashlib.sha256(data).hexdigest()
        hasher = new_hash(expected)
        hasher.update(data)
        actual = f"{expected.partition(':')[0]}:{hasher.hexdigest()}"
        if actual != expected:
            raise BadInput(
                f"{self._context}: manifest from {self.reference.registry} does not match "
                f"{source} {expected} (found {actual})"
            )
        return expected

    def _media_type(self, data: bytes, content_type: str) -> str:
        """Content-Type, or schema 1 when a loosely labelled document says `schemaVersion: 1`
        (so that it gets the schema 1 message rather than "unknown media type")."""
        if content_type in _MANIFEST_TYPES:
            return content_type
        document = parse_json(data, context=f"{self._context}: manifest")
        if document.get("schemaVersion") == 1:
            return DOCKER_SCHEMA1[0]
        return content_type

    def read_json_blob(self, descriptor: Descriptor, *, context: str) -> bytes:
        if descriptor.size > MAX_JSON_BLOB:
            raise BadInput(
                f"{context}: blob {descriptor.digest} is too large ({descriptor.size} bytes)"
            )
        if descriptor.media_type in _MANIFEST_TYPES:
            data = self._client.get_manifest(
                descriptor.digest, accept=descriptor.media_type
            )[0]
        else:
            data = self._client.get_blob(descriptor.digest)
        return check_blob(data, descriptor, context=context)

    def layers(self) -> Iterator[LayerHandle]:
        for layer, descriptor in zip(self.image.layers, self._layers, strict=True):
            context = f"{self._context} layer {layer.index} ({descriptor.digest})"
            self._close_open()
            self._open = self._client.open_blob(descriptor.digest, descriptor.size, context=context)
            raw = VerifyingReader(
                self._open, descriptor.digest, size=descriptor.size, context=context  # type: ignore[arg-type]
            )
            self._handle = TarLayerHandle(
                layer, raw, context=context, max_bytes=self._max_layer_bytes  # type: ignore[arg-type]
            )
            yield self._handle
        self._close_open()

    def _close_open(self) -> None:
        """Stop the layer's reader (it may read ahead in a thread), then drop the download."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._open is not None:
            self._open.close()
            self._open = None

    def close(self) -> None:
        self._close_open()
        self._client.close()


def open_registry_image(reference: str, options: OpenOptions) -> RegistryImage:
    """Pull `reference` (`[registry/]repository[:tag][@digest]`) as an `OpenedImage`."""
    parsed = parse_reference(reference)
    lookup = find_credentials(parsed.registry, parsed.repository)
    for warning in lookup.warnings:
        log.warning("warning: %s", warning)
    client = RegistryClient(parsed, lookup, insecure=options.insecure, timeout=options.timeout)
    try:
        client.connect()
        return RegistryImage(parsed, client, options)
    except BaseException:
        client.close()
        raise
