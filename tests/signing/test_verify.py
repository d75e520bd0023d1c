"""Payloads, signature manifests and offline verification, on in-memory signatures."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tenlayer.errors import BadInput
from tenlayer.signing.keys import generate_private_key
from tenlayer.signing.manifest import (
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    SignatureLayer,
    append_signature,
    parse_signature_manifest,
    signature_tag,
)
from tenlayer.signing.payload import MAX_PAYLOAD, Payload, PayloadError, sign
from tenlayer.signing.verify import Identity, PublicKey, SignatureResult, check_signatures

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
REPO = "127.0.0.1:5000/team/app"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_payload_bytes_are_cosigns() -> None:
    assert Payload(REPO, DIGEST).to_bytes() == (
        b'{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/team/app"},'
        b'"image":{"docker-manifest-digest":"' + DIGEST.encode() + b'"},'
        b'"type":"cosign container image signature"},"optional":null}'
    )
    with_notes = Payload(REPO, DIGEST, {"z": "1", "a": "2"}).to_bytes()
    assert with_notes.endswith(b'"optional":{"a":"2","z":"1"}}')
    assert Payload.parse(with_notes) == Payload(REPO, DIGEST, {"a": "2", "z": "1"})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"critical": {}}, "critical has missing identity, image, type"),
        ({"optional": None}, "payload has missing critical"),
        ({"critical": {"identity": {"docker-reference": REPO},
                       "image": {"docker-manifest-digest": DIGEST},
                       "type": "cosign container image signature", "extra": 1}},
         "critical has unknown extra"),
        ({"critical": {"identity": {"docker-reference": REPO},
                       "image": {"docker-manifest-digest": DIGEST}, "type": "atomic"}},
         "payload type is 'atomic', not 'cosign container image signature'"),
        ({"critical": {"identity": {"docker-reference": 5},
                       "image": {"docker-manifest-digest": DIGEST},
                       "type": "cosign container image signature"}},
         "payload's digest and docker-reference must be strings"),
        ([], "payload is not a JSON object"),
    ],
)
def test_payloads_are_read_strictly(document: object, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        Payload.parse(json.dumps(document).encode())
    assert str(caught.value) == message


def test_huge_payload_is_capped() -> None:
    with pytest.raises(PayloadError) as caught:
        Payload.parse(b" " * (MAX_PAYLOAD + 1))
    assert str(caught.value) == f"payload is {MAX_PAYLOAD + 1} bytes, over the {MAX_PAYLOAD} limit"


def test_signature_tag() -> None:
    assert signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def other_key() -> ec.EllipticCurvePrivateKey:
    return generate_private_key()


class Store:
    """Blobs by digest, as a registry or layout would serve them."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.layers: list[SignatureLayer] = []

    def add(self, payload: bytes, signature: str, **changes: object) -> None:
        new = append_signature(self.layers, payload, signature)
        self.layers = parse_signature_manifest(new.manifest, context="sig")
        self.blobs[digest_of(payload)] = payload
        if changes:
            raw = {**self.layers[-1].raw, **changes}
            document = json.loads(new.manifest)
            document["layers"][-1] = raw
            self.layers = parse_signature_manifest(json.dumps(document).encode(), context="sig")

    def fetch(self, digest: str) -> bytes:
        if digest not in self.blobs:
            raise BadInput(f"blob {digest} not found")
        return self.blobs[digest]

    def check(self, *keys: ec.EllipticCurvePrivateKey, names: tuple[str, ...] = ("a.pub", "b.pub"),
              digest: str = DIGEST) -> list[SignatureResult]:
        public = [PublicKey(name, k.public_key()) for name, k in zip(names, keys, strict=False)]
        return check_signatures(self.layers, self.fetch, image_digest=digest,
                                identity=Identity(REPO), keys=public)


def reasons(results: list[SignatureResult]) -> list[tuple[bool, str | None, str]]:
    return [(r.valid, r.key, r.reason) for r in results]


def test_valid_signature_names_its_key(key: ec.EllipticCurvePrivateKey,
                                       other_key: ec.EllipticCurvePrivateKey) -> None:
    store = Store()
    payload = Payload(REPO + ":v1", DIGEST).to_bytes()  # skopeo names the tag too
    store.add(payload, sign(payload, key))
    assert reasons(store.check(other_key, key)) == [(True, "b.pub", "")]
    assert reasons(store.check(other_key, names=("other.pub",))) == [
        (False, None, "signature does not verify with other.pub")
    ]


def test_second_signature_is_appended_and_duplicates_skipped(
    key: ec.EllipticCurvePrivateKey, other_key: ec.EllipticCurvePrivateKey
) -> None:
    store = Store()
    payload = Payload(REPO, DIGEST).to_bytes()
    first = sign(payload, key)
    store.add(payload, first)
    again = append_signature(store.layers, payload, first)
    assert (again.appended, again.count) == (False, 1)
    store.add(payload, sign(payload, other_key))
    assert len(store.layers) == 2
    assert store.layers[0].signature == first
    assert reasons(store.check(other_key, names=("other.pub",))) == [
        (False, None, "signature does not verify with other.pub"), (True, "other.pub", "")
    ]
    config = json.loads(append_signature(store.layers, b"{}", "x").config)
    assert config["rootfs"]["diff_ids"] == [layer.descriptor.digest for layer in store.layers] + [
        digest_of(b"{}")
    ]


def test_payload_naming_another_digest(key: ec.EllipticCurvePrivateKey) -> None:
    store = Store()
    payload = Payload(REPO, OTHER).to_bytes()
    store.add(payload, sign(payload, key))
    assert reasons(store.check(key)) == [
        (False, "a.pub", f"payload signs manifest {OTHER}, not the image's {DIGEST}")
    ]


def test_payload_naming_another_repository(key: ec.EllipticCurvePrivateKey) -> None:
    store = Store()
    payload = Payload("127.0.0.1:5000/team/other", DIGEST).to_bytes()
    store.add(payload, sign(payload, key))
    assert reasons(store.check(key)) == [
        (False, "a.pub",
         "payload names '127.0.0.1:5000/team/other', not repository '127.0.0.1:5000/team/app'")
    ]


def test_blob_not_matching_its_descriptor(key: ec.EllipticCurvePrivateKey) -> None:
    store = Store()
    payload = Payload(REPO, DIGEST).to_bytes()
    store.add(payload, sign(payload, key))
    forged = payload.replace(b"team/app", b"team/xyz")
    store.blobs[digest_of(payload)] = forged
    assert reasons(store.check(key)) == [
        (False, None,
         f"payload blob does not match its descriptor ({len(forged)} bytes hashing to "
         f"{digest_of(forged)}; the descriptor says {len(payload)} bytes, {digest_of(payload)})")
    ]


def test_missing_blob(key: ec.EllipticCurvePrivateKey) -> None:
    store = Store()
    payload = Payload(REPO, DIGEST).to_bytes()
    store.add(payload, sign(payload, key))
    store.blobs.clear()
    assert reasons(store.check(key)) == [
        (False, None, f"payload blob unreadable (blob {digest_of(payload)} not found)")
    ]


def test_truncated_and_non_base64_signatures(key: ec.EllipticCurvePrivateKey) -> None:
    payload = Payload(REPO, DIGEST).to_bytes()
    good = sign(payload, key)
    truncated = base64.b64encode(base64.b64decode(good)[:-8]).decode()
    for annotation, reason in (
        (good[:-6], "signature annotation is not valid base64"),
        ("not base64!", "signature annotation is not valid base64"),
        ("", "signature annotation is empty"),
        (truncated, "signature does not verify with a.pub"),
    ):
        store = Store()
        store.add(payload, "x", annotations={SIGNATURE_ANNOTATION: annotation})
        assert reasons(store.check(key)) == [(False, None, reason)]


def test_layer_shape_problems(key: ec.EllipticCurvePrivateKey) -> None:
    payload = Payload(REPO, DIGEST).to_bytes()
    store = Store()
    store.add(payload, sign(payload, key), mediaType="application/octet-stream")
    assert reasons(store.check(key)) == [
        (False, None, f"layer media type 'application/octet-stream' is not {SIMPLE_SIGNING}")
    ]
    store = Store()
    store.add(payload, sign(payload, key), annotations={})
    assert reasons(store.check(key)) == [
        (False, None, "no dev.cosignproject.cosign/signature annotation")
    ]
    store = Store()
    store.add(payload, sign(payload, key), size=MAX_PAYLOAD + 1)
    assert reasons(store.check(key)) == [
        (False, None, f"payload is {MAX_PAYLOAD + 1} bytes, over the {MAX_PAYLOAD}-byte limit")
    ]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"{", "sig: signature manifest is not valid JSON ("),
        (b'{"schemaVersion": 1}', "sig: signature manifest is not an image manifest"),
        (b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}',
         "sig: signature manifest has media type 'application/vnd.oci.image.index.v1+json'"),
        (b'{"schemaVersion": 2}', "sig: signature manifest has no layers list"),
        (b'{"schemaVersion": 2, "layers": [{"digest": "sha256:12", "size": 1}]}',
         "sig: signature layer 1: "),
    ],
)
def test_malformed_signature_manifests(manifest: bytes, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_signature_manifest(manifest, context="sig")
    assert str(caught.value).startswith(message)
