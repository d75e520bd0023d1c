"""The "simple signing" payload cosign signs, and the ECDSA signature over it.

    {"critical": {"identity": {"docker-reference": REPO},
                  "image": {"docker-manifest-digest": DIGEST},
                  "type": "cosign container image signature"},
     "optional": null | {ANNOTATIONS}}

Written compactly with keys in Go's order, as cosign writes it. Read strictly, as
containers/image reads it: `critical` must hold exactly those three members, so a payload
that one verifier would accept and another would not never passes here.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_TYPE = "cosign container image signature"
MAX_PAYLOAD = 1 << 20
"""A real payload is a few hundred bytes; containers/image caps signatures at 4 MiB."""


class PayloadError(ValueError):
    """Why a payload or signature does not verify (one line, no context)."""


@dataclass(frozen=True, slots=True)
class Payload:
    docker_reference: str
    manifest_digest: str
    optional: dict[str, object] | None = None

    def to_bytes(self) -> bytes:
        document = {
            "critical": {
                "identity": {"docker-reference": self.docker_reference},
                "image": {"docker-manifest-digest": self.manifest_digest},
                "type": SIGNATURE_TYPE,
            },
            "optional": self.optional,
        }
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)

    @classmethod
    def parse(cls, data: bytes) -> Payload:
        if len(data) > MAX_PAYLOAD:
            raise PayloadError(f"payload is {len(data)} bytes, over the {MAX_PAYLOAD} limit")
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise PayloadError(f"payload is not valid JSON ({error})") from None
        top = _exact(document, {"critical", "optional"}, "payload", required={"critical"})
        optional = top.get("optional")
        if optional is not None and not isinstance(optional, dict):
            raise PayloadError("payload's optional member is not an object or null")
        fields = _exact(top["critical"], {"identity", "image", "type"}, "critical")
        if fields["type"] != SIGNATURE_TYPE:
            raise PayloadError(f"payload type is {fields['type']!r}, not {SIGNATURE_TYPE!r}")
        image = _exact(fields["image"], {"docker-manifest-digest"}, "critical.image")
        identity = _exact(fields["identity"], {"docker-reference"}, "critical.identity")
        digest, reference = image["docker-manifest-digest"], identity["docker-reference"]
        if not isinstance(digest, str) or not isinstance(reference, str):
            raise PayloadError("payload's digest and docker-reference must be strings")
        return cls(reference, digest, optional)


def _exact(
    value: object, names: set[str], where: str, required: set[str] | None = None
) -> dict[str, object]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} is not a JSON object")
    extra = set(value) - names
    missing = (names if required is None else required) - set(value)
    if extra or missing:
        parts = [f"unknown {', '.join(sorted(extra))}" if extra else "",
                 f"missing {', '.join(sorted(missing))}" if missing else ""]
        raise PayloadError(f"{where} has {'; '.join(p for p in parts if p)}")
    return value


def sign(payload: bytes, key: ec.EllipticCurvePrivateKey) -> str:
    """ECDSA over SHA-256, DER, base64: the `dev.cosignproject.cosign/signature` value."""
    return base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def decode_signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("signature annotation is not valid base64") from None
    if not raw:
        raise PayloadError("signature annotation is empty")
    return raw


def verify(payload: bytes, signature: bytes, key: ec.EllipticCurvePublicKey) -> bool:
    try:
        key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
