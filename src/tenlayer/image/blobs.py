"""Content-addressed blobs: digest syntax, and readers that prove bytes match their digest."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, BinaryIO

from tenlayer.errors import BadInput

MAX_JSON_BLOB = 8 << 20
"""Manifests, indexes and configs larger than this are refused (real ones are kilobytes)."""

_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


def check_digest(digest: object, *, context: str) -> str:
    """Return `digest` if it is a well-formed sha256/sha512 digest, else raise BadInput.

    Digests become file names in OCI layouts, so an unchecked one is a path traversal.
    """
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise BadInput(f"{context}: invalid digest {digest!r}")
    return digest


def new_hash(digest: str) -> Any:
    return hashlib.new(digest.partition(":")[0])


def hex_of(digest: str) -> str:
    return digest.partition(":")[2]


class VerifyingReader:
    """Pass bytes through while hashing them; at the end, compare with the expected digest.

    Raises BadInput when the stream ends with a different digest or size, and also as soon
    as more bytes arrive than the descriptor's size announced.
    """

    def __init__(
        self, source: BinaryIO, digest: str, *, size: int | None, context: str
    ) -> None:
        self._source = source
        self._digest = digest
        self._hash = new_hash(digest)
        self._size = size
        self._seen = 0
        self._context = context
        self.verified = False

    def read(self, n: int = -1) -> bytes:
        data = self._source.read(n)
        if data:
            self._hash.update(data)
            self._seen += len(data)
            if self._size is not None and self._seen > self._size:
                raise BadInput(
                    f"{self._context}: blob {self._digest} is larger than its descriptor's "
                    f"size {self._size}"
                )
        elif not self.verified and n != 0:
            self._verify()
        return data

    def _verify(self) -> None:
        if self._size is not None and self._seen != self._size:
            raise BadInput(
                f"{self._context}: blob {self._digest} is truncated "
                f"({self._seen} of {self._size} bytes)"
            )
        actual = f"{self._digest.partition(':')[0]}:{self._hash.hexdigest()}"
        if actual != self._digest:
            raise BadInput(
                f"{self._context}: blob content does not match its digest {self._digest} "
                f"(found {actual})"
            )
        self.verified = True

    def close(self) -> None:
        self._source.close()


def verify_bytes(data: bytes, digest: str, *, context: str) -> bytes:
    actual = f"{digest.partition(':')[0]}:{_hexdigest(data, digest)}"
    if actual != digest:
        raise BadInput(
            f"{context}: blob content does not match its digest {digest} (found {actual})"
        )
    return data


def _hexdigest(data: bytes, digest: str) -> str:
    hasher = new_hash(digest)
    hasher.update(data)
    return str(hasher.hexdigest())


def parse_json(data: bytes, *, context: str) -> dict[str, Any]:
    """Parse a JSON object; anything else (or malformed JSON) is a one-line BadInput."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, bad UTF-8, deep nesting
        raise BadInput(f"{context}: malformed JSON ({error})") from None
    if not isinstance(value, dict):
        raise BadInput(f"{context}: expected a JSON object, found {type(value).__name__}")
    return value
