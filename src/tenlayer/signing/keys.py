"""Key files in cosign's formats.

A private key is a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign before 2.0 wrote
`ENCRYPTED COSIGN PRIVATE KEY`; both are read) whose body is the JSON document of
go-securesystemslib's `encrypted` package:

    {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": B64},
     "cipher": {"name": "nacl/secretbox", "nonce": B64}, "ciphertext": B64}

The password goes through scrypt (32-byte key) and the PKCS#8 DER private key is sealed with
NaCl secretbox (XSalsa20-Poly1305, a 24-byte nonce; the ciphertext starts with the 16-byte
tag, as Go's `secretbox.Seal` writes it). A public key is a PEM `PUBLIC KEY` block
(SubjectPublicKeyInfo), as cosign, skopeo and openssl write them.

Only ECDSA P-256 keys are accepted, for signing and verifying: they are what cosign and
skopeo generate, and refusing other types clearly beats verifying them half-right.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tenlayer.errors import BadInput

SIGSTORE_PRIVATE = "ENCRYPTED SIGSTORE PRIVATE KEY"
COSIGN_PRIVATE = "ENCRYPTED COSIGN PRIVATE KEY"
PUBLIC = "PUBLIC KEY"
MAX_KEY_FILE = 64 << 10

SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
"""What cosign writes (go-securesystemslib's "legacy" strength)."""
ACCEPTED_SCRYPT = frozenset({(32768, 8, 1), (65536, 8, 1), (131072, 8, 1)})
"""The parameter sets go-securesystemslib writes; anything else could make scrypt take
minutes or gigabytes, so it is refused before any work is done."""
SALT_SIZE, NONCE_SIZE, BOX_KEY_SIZE = 32, 24, 32


@dataclass(frozen=True, slots=True)
class PemBlock:
    label: str
    body: bytes


def read_key_file(path: Path, *, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not a {what} file") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read {what} ({error.strerror})") from None
    if len(data) > MAX_KEY_FILE:
        raise BadInput(f"{path}: too large for a {what} (over {MAX_KEY_FILE} bytes)")
    return data


def parse_pem(data: bytes, *, context: str, expected: str) -> PemBlock:
    """The first PEM block of `data`; a missing, unterminated or non-base64 one is refused."""
    text = data.decode("ascii", errors="replace")
    start = text.find("-----BEGIN ")
    if start < 0:
        raise BadInput(f"{context}: not a PEM file (expected a {expected} block)")
    header_end = text.find("-----", start + 11)
    if header_end < 0:
        raise BadInput(f"{context}: truncated PEM header")
    label = text[start + 11 : header_end]
    footer = f"-----END {label}-----"
    end = text.find(footer, header_end)
    if end < 0:
        raise BadInput(f"{context}: truncated PEM block {label!r} (no END line)")
    lines = [line.strip() for line in text[header_end + 5 : end].splitlines()]
    if any(":" in line for line in lines):
        raise BadInput(f"{context}: PEM block {label!r} has headers (an old encrypted format)")
    try:
        body = base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{context}: PEM block {label!r} is not valid base64") from None
    return PemBlock(label, body)


# -- private keys ---------------------------------------------------------------------------


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    """The PEM text of `key` in cosign's encrypted format."""
    from nacl.secret import SecretBox

    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, nonce = os.urandom(SALT_SIZE), os.urandom(NONCE_SIZE)
    box_key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    sealed = SecretBox(box_key).encrypt(der, nonce).ciphertext
    document = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": _b64(salt),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": _b64(nonce)},
        "ciphertext": _b64(sealed),
    }
    return pem_encode(SIGSTORE_PRIVATE, orjson.dumps(document))


def decrypt_private_key(
    data: bytes, password: bytes, *, context: str
) -> ec.EllipticCurvePrivateKey:
    """The ECDSA P-256 key in a cosign key file; every malformed part is a one-line BadInput."""
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    block = parse_pem(data, context=context, expected=SIGSTORE_PRIVATE)
    if block.label not in (SIGSTORE_PRIVATE, COSIGN_PRIVATE):
        raise BadInput(
            f"{context}: PEM block is {block.label!r}, expected {SIGSTORE_PRIVATE!r} "
            f"(or {COSIGN_PRIVATE!r}), a private key as cosign or tenlayer keys generate "
            "writes it"
        )
    sealed = EncryptedKey.parse(block.body, context=context)
    box_key = _scrypt(password, sealed.salt, sealed.n, sealed.r, sealed.p)
    try:
        der = SecretBox(box_key).decrypt(sealed.ciphertext, sealed.nonce)
    except CryptoError:
        raise BadInput(
            f"{context}: wrong password (or a corrupted key: decryption failed)"
        ) from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        raise BadInput(f"{context}: the decrypted key is not a PKCS#8 private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise BadInput(f"{context}: {describe_key(key)} private key; only ECDSA P-256 keys are "
                       "supported")
    return key


@dataclass(frozen=True, slots=True)
class EncryptedKey:
    n: int
    r: int
    p: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    @classmethod
    def parse(cls, body: bytes, *, context: str) -> EncryptedKey:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadInput(f"{context}: encrypted key is not valid JSON ({error})") from None
        if not isinstance(document, dict):
            raise BadInput(f"{context}: encrypted key is not a JSON object")
        kdf = _object(document, "kdf", context)
        cipher = _object(document, "cipher", context)
        if kdf.get("name") != "scrypt":
            raise BadInput(
                f"{context}: unsupported key derivation {kdf.get('name')!r} (expected 'scrypt')"
            )
        if cipher.get("name") != "nacl/secretbox":
            raise BadInput(
                f"{context}: unsupported cipher {cipher.get('name')!r} "
                "(expected 'nacl/secretbox')"
            )
        params = _object(kdf, "params", context, where="kdf.")
        n, r, p = (params.get(name) for name in ("N", "r", "p"))
        if (n, r, p) not in ACCEPTED_SCRYPT or any(type(v) is not int for v in (n, r, p)):
            raise BadInput(
                f"{context}: unsupported scrypt parameters N={n!r} r={r!r} p={p!r} "
                "(expected N=32768, 65536 or 131072 with r=8, p=1)"
            )
        assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
        salt = _bytes(kdf, "salt", context, where="kdf.")
        nonce = _bytes(cipher, "nonce", context, where="cipher.")
        ciphertext = _bytes(document, "ciphertext", context)
        if len(salt) != SALT_SIZE:
            raise BadInput(f"{context}: kdf.salt has {len(salt)} bytes, expected {SALT_SIZE}")
        if len(nonce) != NONCE_SIZE:
            raise BadInput(
                f"{context}: cipher.nonce has {len(nonce)} bytes, expected {NONCE_SIZE}"
            )
        return cls(n, r, p, salt, nonce, ciphertext)


def _object(document: dict[str, Any], name: str, context: str, where: str = "") -> dict[str, Any]:
    value = document.get(name)
    if not isinstance(value, dict):
        raise BadInput(f"{context}: encrypted key has no {where}{name} object")
    return value


def _bytes(document: dict[str, Any], name: str, context: str, where: str = "") -> bytes:
    value = document.get(name)
    if not isinstance(value, str):
        raise BadInput(f"{context}: encrypted key has no {where}{name}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{context}: encrypted key's {where}{name} is not valid base64") from None


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password, salt=salt, n=n, r=r, p=p, maxmem=130 * r * n * p + (1 << 20),
        dklen=BOX_KEY_SIZE,
    )


# -- public keys ----------------------------------------------------------------------------


def public_key_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(data: bytes, *, context: str) -> ec.EllipticCurvePublicKey:
    block = parse_pem(data, context=context, expected=PUBLIC)
    if block.label != PUBLIC:
        hint = " (that is a private key; pass the .pub file)" if "PRIVATE" in block.label else ""
        raise BadInput(
            f"{context}: PEM block is {block.label!r}, expected {PUBLIC!r}{hint}"
        )
    try:
        key = serialization.load_der_public_key(block.body)
    except (ValueError, TypeError):
        raise BadInput(f"{context}: PUBLIC KEY block is not a valid public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise BadInput(
            f"{context}: {describe_key(key)} public key; only ECDSA P-256 keys are supported"
        )
    return key


def describe_key(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"an RSA-{key.key_size}"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "an Ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"an ECDSA {key.curve.name}"
    return f"a {type(key).__name__.removeprefix('_')}"


def pem_encode(label: str, body: bytes) -> bytes:
    encoded = base64.b64encode(body).decode("ascii")
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
