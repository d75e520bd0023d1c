"""cosign's key formats: the encrypted private key and PEM public keys, and every way a key
file can be wrong."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from nacl.secret import SecretBox

from tenlayer.errors import BadInput
from tenlayer.signing.keys import (
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    load_public_key,
    parse_pem,
    pem_encode,
    public_key_pem,
)


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def sealed(key: ec.EllipticCurvePrivateKey) -> bytes:
    return encrypt_private_key(key, b"s3cret")


def document_of(pem: bytes) -> dict[str, object]:
    return json.loads(parse_pem(pem, context="k", expected="x").body)  # type: ignore[no-any-return]


def with_document(document: dict[str, object]) -> bytes:
    return pem_encode("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(document).encode())


def test_encrypted_key_has_cosigns_format(sealed: bytes, key: ec.EllipticCurvePrivateKey) -> None:
    assert sealed.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    assert sealed.endswith(b"\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    document = document_of(sealed)
    assert list(document) == ["kdf", "cipher", "ciphertext"]
    kdf, cipher = document["kdf"], document["cipher"]
    assert isinstance(kdf, dict) and isinstance(cipher, dict)
    assert kdf["name"] == "scrypt" and kdf["params"] == {"N": 32768, "r": 8, "p": 1}
    assert cipher["name"] == "nacl/secretbox"
    salt = base64.b64decode(kdf["salt"])
    nonce = base64.b64decode(cipher["nonce"])
    assert (len(salt), len(nonce)) == (32, 24)
    # decrypt independently of tenlayer: scrypt -> secretbox -> PKCS#8 DER
    import hashlib

    box_key = hashlib.scrypt(b"s3cret", salt=salt, n=32768, r=8, p=1, maxmem=64 << 20,
                             dklen=32)
    der = SecretBox(box_key).decrypt(base64.b64decode(str(document["ciphertext"])), nonce)
    loaded = serialization.load_der_private_key(der, None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    assert loaded.private_numbers() == key.private_numbers()


def test_round_trip_and_cosigns_older_label(sealed: bytes, key: ec.EllipticCurvePrivateKey) -> None:
    assert decrypt_private_key(sealed, b"s3cret", context="k").private_numbers() == (
        key.private_numbers()
    )
    older = sealed.replace(b"SIGSTORE", b"COSIGN")
    assert decrypt_private_key(older, b"s3cret", context="k").private_numbers() == (
        key.private_numbers()
    )


def test_empty_password_works(key: ec.EllipticCurvePrivateKey) -> None:
    sealed = encrypt_private_key(key, b"")
    assert decrypt_private_key(sealed, b"", context="k").private_numbers() == key.private_numbers()


def refusal(data: bytes, password: bytes = b"s3cret") -> str:
    with pytest.raises(BadInput) as caught:
        decrypt_private_key(data, password, context="cosign.key")
    return str(caught.value)


def test_wrong_password(sealed: bytes) -> None:
    assert refusal(sealed, b"guess") == (
        "cosign.key: wrong password (or a corrupted key: decryption failed)"
    )


def test_corrupt_and_truncated_pem(sealed: bytes) -> None:
    assert refusal(b"hello") == (
        "cosign.key: not a PEM file (expected a ENCRYPTED SIGSTORE PRIVATE KEY block)"
    )
    assert refusal(sealed[:200]) == (
        "cosign.key: truncated PEM block 'ENCRYPTED SIGSTORE PRIVATE KEY' (no END line)"
    )
    lines = sealed.split(b"\n")
    lines[2] = b"!!!!" + lines[2][4:]
    assert refusal(b"\n".join(lines)) == (
        "cosign.key: PEM block 'ENCRYPTED SIGSTORE PRIVATE KEY' is not valid base64"
    )
    private_pem = generate_private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert refusal(private_pem) == (
        "cosign.key: PEM block is 'PRIVATE KEY', expected 'ENCRYPTED SIGSTORE PRIVATE KEY' "
        "(or 'ENCRYPTED COSIGN PRIVATE KEY'), a private key as cosign or tenlayer keys "
        "generate writes it"
    )


def test_corrupt_json(sealed: bytes) -> None:
    body = parse_pem(sealed, context="k", expected="x").body
    truncated = pem_encode("ENCRYPTED SIGSTORE PRIVATE KEY", body[:-10])
    assert refusal(truncated).startswith("cosign.key: encrypted key is not valid JSON (")
    assert refusal(with_document([1, 2])) == "cosign.key: encrypted key is not a JSON object"  # type: ignore[arg-type]


def test_unknown_kdf_cipher_and_parameters(sealed: bytes) -> None:
    document = document_of(sealed)
    kdf, cipher = dict(document["kdf"]), dict(document["cipher"])  # type: ignore[call-overload]
    assert refusal(with_document({**document, "kdf": {**kdf, "name": "argon2"}})) == (
        "cosign.key: unsupported key derivation 'argon2' (expected 'scrypt')"
    )
    assert refusal(with_document({**document, "cipher": {**cipher, "name": "aes-gcm"}})) == (
        "cosign.key: unsupported cipher 'aes-gcm' (expected 'nacl/secretbox')"
    )
    huge = {**kdf, "params": {"N": 1 << 30, "r": 8, "p": 1}}
    assert refusal(with_document({**document, "kdf": huge})) == (
        "cosign.key: unsupported scrypt parameters N=1073741824 r=8 p=1 "
        "(expected N=32768, 65536 or 131072 with r=8, p=1)"
    )
    short = {**kdf, "salt": base64.b64encode(b"x" * 8).decode()}
    assert refusal(with_document({**document, "kdf": short})) == (
        "cosign.key: kdf.salt has 8 bytes, expected 32"
    )
    assert refusal(with_document({**document, "ciphertext": "%%%"})) == (
        "cosign.key: encrypted key's ciphertext is not valid base64"
    )
    del document["cipher"]
    assert refusal(with_document(document)) == "cosign.key: encrypted key has no cipher object"


def test_private_key_of_another_type_is_refused() -> None:
    from tenlayer.signing import keys

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sealed = keys.encrypt_private_key(rsa_key, b"pw")  # type: ignore[arg-type]
    assert refusal(sealed, b"pw") == (
        "cosign.key: an RSA-2048 private key; only ECDSA P-256 keys are supported"
    )


def public_refusal(data: bytes) -> str:
    with pytest.raises(BadInput) as caught:
        load_public_key(data, context="cosign.pub")
    return str(caught.value)


def spki(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_public_keys(key: ec.EllipticCurvePrivateKey, sealed: bytes) -> None:
    pem = public_key_pem(key.public_key())
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert load_public_key(pem, context="k").public_numbers() == key.public_key().public_numbers()
    assert public_refusal(
        spki(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    ) == "cosign.pub: an RSA-2048 public key; only ECDSA P-256 keys are supported"
    assert public_refusal(spki(ed25519.Ed25519PrivateKey.generate().public_key())) == (
        "cosign.pub: an Ed25519 public key; only ECDSA P-256 keys are supported"
    )
    assert public_refusal(spki(ec.generate_private_key(ec.SECP384R1()).public_key())) == (
        "cosign.pub: an ECDSA secp384r1 public key; only ECDSA P-256 keys are supported"
    )
    assert public_refusal(sealed) == (
        "cosign.pub: PEM block is 'ENCRYPTED SIGSTORE PRIVATE KEY', expected 'PUBLIC KEY' "
        "(that is a private key; pass the .pub file)"
    )
    assert public_refusal(pem_encode("PUBLIC KEY", b"\x30\x03junk")) == (
        "cosign.pub: PUBLIC KEY block is not a valid public key"
    )
    assert public_refusal(pem[:40]) == "cosign.pub: truncated PEM block 'PUBLIC KEY' (no END line)"
