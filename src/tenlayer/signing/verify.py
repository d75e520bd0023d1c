"""Offline verification of cosign signatures against public keys (no transparency log).

For each layer of the signature manifest, in order: it is a simple-signing layer with a
signature annotation; its blob is the size and digest its descriptor says; the signature
verifies with one of the keys; the payload is well formed, names the image's manifest
digest and a docker-reference in the expected repository. The first failure is the reason
a signature is invalid; a signature is valid only when every step passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from tenlayer.errors import BadInput
from tenlayer.signing.manifest import SIGNATURE_ANNOTATION, SIMPLE_SIGNING, SignatureLayer
from tenlayer.signing.payload import MAX_PAYLOAD, Payload, PayloadError, decode_signature, verify


@dataclass(frozen=True, slots=True)
class PublicKey:
    name: str
    """How the user named it (the file path)."""
    key: ec.EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class Identity:
    """The docker-reference a payload must name: a repository (`registry/repo`)."""

    expected: str

    def matches(self, docker_reference: str) -> bool:
        return _normalized(docker_reference) == _normalized(self.expected)


def _normalized(text: str) -> str:
    from tenlayer.image.registry.reference import parse_reference

    try:
        return parse_reference(text).name
    except BadInput:
        return text


@dataclass(frozen=True, slots=True)
class SignatureResult:
    number: int
    """1-based position in the signature manifest."""
    payload_digest: str
    valid: bool
    key: str | None
    """The key it verified with (also when the payload was then refused)."""
    reason: str
    """Why it is invalid; empty when valid."""
    docker_reference: str | None = None


def already_signed(
    layers: list[SignatureLayer], payload: bytes, key: ec.EllipticCurvePublicKey
) -> bool:
    """Whether a layer signs this very payload with this key, as cosign's duplicate
    detection asks before appending: signing again would add a copy of the same claim
    (ECDSA signatures differ each time, so the signature text cannot be compared)."""
    digest = "sha256:" + hashlib.sha256(payload).hexdigest()
    for layer in layers:
        if layer.descriptor.digest != digest or layer.descriptor.media_type != SIMPLE_SIGNING:
            continue
        if layer.signature is None:
            continue
        try:
            signature = decode_signature(layer.signature)
        except PayloadError:
            continue
        if verify(payload, signature, key):
            return True
    return False


def check_signatures(
    layers: list[SignatureLayer],
    fetch: Callable[[str], bytes],
    *,
    image_digest: str,
    identity: Identity,
    keys: list[PublicKey],
) -> list[SignatureResult]:
    """`fetch(digest)` returns a blob's bytes (at most MAX_PAYLOAD + 1 of them) or raises
    BadInput for a missing one; an EnvironmentProblem passes through."""
    return [
        _check(number, layer, fetch, image_digest, identity, keys)
        for number, layer in enumerate(layers, start=1)
    ]


def _check(
    number: int,
    layer: SignatureLayer,
    fetch: Callable[[str], bytes],
    image_digest: str,
    identity: Identity,
    keys: list[PublicKey],
) -> SignatureResult:
    descriptor = layer.descriptor

    def invalid(
        reason: str, key: str | None = None, reference: str | None = None
    ) -> SignatureResult:
        return SignatureResult(number, descriptor.digest, False, key, reason, reference)

    if descriptor.media_type != SIMPLE_SIGNING:
        return invalid(f"layer media type {descriptor.media_type!r} is not {SIMPLE_SIGNING}")
    annotation = layer.signature
    if annotation is None:
        return invalid(f"no {SIGNATURE_ANNOTATION} annotation")
    if descriptor.size > MAX_PAYLOAD:
        return invalid(f"payload is {descriptor.size} bytes, over the {MAX_PAYLOAD}-byte limit")
    try:
        blob = fetch(descriptor.digest)
    except BadInput as error:
        return invalid(f"payload blob unreadable ({error})")
    actual = "sha256:" + hashlib.sha256(blob).hexdigest()
    if len(blob) != descriptor.size or actual != descriptor.digest:
        return invalid(
            f"payload blob does not match its descriptor ({len(blob)} bytes hashing to "
            f"{actual}; the descriptor says {descriptor.size} bytes, {descriptor.digest})"
        )
    try:
        signature = decode_signature(annotation)
    except PayloadError as error:
        return invalid(str(error))
    key = next((k for k in keys if verify(blob, signature, k.key)), None)
    if key is None:
        names = ", ".join(k.name for k in keys)
        return invalid(f"signature does not verify with {names}")
    try:
        payload = Payload.parse(blob)
    except PayloadError as error:
        return invalid(str(error), key.name)
    if payload.manifest_digest != image_digest:
        return invalid(
            f"payload signs manifest {payload.manifest_digest}, not the image's {image_digest}",
            key.name, payload.docker_reference,
        )
    if not identity.matches(payload.docker_reference):
        return invalid(
            f"payload names {payload.docker_reference!r}, not repository {identity.expected!r}",
            key.name, payload.docker_reference,
        )
    return SignatureResult(number, descriptor.digest, True, key.name, "",
                           payload.docker_reference)
