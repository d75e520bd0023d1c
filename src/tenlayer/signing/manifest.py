"""Signature manifests: where cosign keeps an image's signatures.

The signatures of the image with manifest digest `sha256:HEX` live in the same repository,
in an OCI image manifest tagged `sha256-HEX.sig`. Each signature is one layer: the payload
blob (media type `application/vnd.dev.cosign.simplesigning.v1+json`), its signature in
the layer annotation `dev.cosignproject.cosign/signature`. A new signature is appended as a
new layer; the layers already there are kept byte for byte (their annotations too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from tenlayer.errors import BadInput
from tenlayer.image.blobs import check_digest
from tenlayer.image.oci import OCI_CONFIG, OCI_MANIFEST, Descriptor

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
MAX_SIGNATURES = 1000
_ZERO_TIME = "0001-01-01T00:00:00Z"


def signature_tag(digest: str) -> str:
    """`sha256:HEX` -> `sha256-HEX.sig`."""
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded}.sig"


@dataclass(frozen=True, slots=True)
class SignatureLayer:
    descriptor: Descriptor
    raw: dict[str, Any]
    """The descriptor as stored, re-written unchanged when a signature is appended."""

    @property
    def signature(self) -> str | None:
        return (self.descriptor.annotations or {}).get(SIGNATURE_ANNOTATION)


def parse_signature_manifest(data: bytes, *, context: str) -> list[SignatureLayer]:
    """The layers of a signature manifest; a document that is not one is a BadInput."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise BadInput(f"{context}: signature manifest is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise BadInput(f"{context}: signature manifest is not an image manifest (schemaVersion 2)")
    media_type = document.get("mediaType", OCI_MANIFEST)
    if media_type != OCI_MANIFEST:
        raise BadInput(f"{context}: signature manifest has media type {media_type!r}, "
                       f"expected {OCI_MANIFEST}")
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise BadInput(f"{context}: signature manifest has no layers list")
    if len(layers) > MAX_SIGNATURES:
        raise BadInput(
            f"{context}: signature manifest has {len(layers)} layers, over {MAX_SIGNATURES}"
        )
    found = []
    for number, raw in enumerate(layers):
        descriptor = Descriptor.parse(raw, context=f"{context}: signature layer {number + 1}")
        found.append(SignatureLayer(descriptor, raw))
    return found


@dataclass(frozen=True, slots=True)
class NewManifest:
    manifest: bytes
    config: bytes
    config_digest: str
    appended: bool
    """False when the very same signature was there already (cosign skips it too)."""
    count: int


def append_signature(
    existing: list[SignatureLayer], payload: bytes, signature: str,
    annotations: dict[str, str] | None = None,
) -> NewManifest:
    """The signature manifest with one more layer for `payload` signed by `signature`."""
    digest = sha256_digest(payload)
    layer: dict[str, Any] = {
        "mediaType": SIMPLE_SIGNING,
        "size": len(payload),
        "digest": digest,
        "annotations": {**(annotations or {}), SIGNATURE_ANNOTATION: signature},
    }
    duplicate = any(
        old.descriptor.digest == digest and old.signature == signature for old in existing
    )
    raws = [old.raw for old in existing] + ([] if duplicate else [layer])
    digests = [check_digest(raw.get("digest"), context="signature layer") for raw in raws]
    config = orjson.dumps(
        {
            "architecture": "",
            "created": _ZERO_TIME,
            "history": [{"created": _ZERO_TIME} for _ in raws],
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": digests},
            "config": {},
        }
    )
    config_digest = sha256_digest(config)
    manifest = orjson.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": config_digest},
            "layers": raws,
        }
    )
    return NewManifest(manifest, config, config_digest, not duplicate, len(raws))


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
