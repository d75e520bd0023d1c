"""Secrets at rest: scrypt for passwords and robot secrets, SHA-256 for random lookup tokens.

Stored form: `scrypt$N$r$p$salt$hash` (salt and hash base64). Comparison is constant-time.
`verify_secret` against `None` still runs the KDF, so an unknown account takes as long as a
wrong password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
LENGTH = 32
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + base64.b64encode(b"\0" * LENGTH).decode()


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=LENGTH, maxmem=64 * 1024 * 1024
    )


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, N, R, P)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${N}${R}${P}${encoded[0]}${encoded[1]}"


def verify_secret(secret: str, stored: str | None) -> bool:
    parts = (stored or _DUMMY).split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
        actual = _scrypt(secret, salt, n, r, p)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected) and stored is not None


def new_secret() -> str:
    """A random secret for a robot or a refresh token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def lookup_hash(token: str) -> str:
    """SHA-256 of a random token (refresh tokens are looked up by this; never stored raw)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
