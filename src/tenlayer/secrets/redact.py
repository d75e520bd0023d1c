"""Show enough of a secret to find it again, never the secret itself."""

from __future__ import annotations


def redact(secret: str) -> str:
    """The first few characters (none of a short secret), then one `*` per hidden one, at
    most 16: `AKIAIOSFODNN7EXAMPLE` -> `AKIA****************`, `hunter2` -> `*******`."""
    keep = 4 if len(secret) >= 16 else 2 if len(secret) >= 10 else 0
    return secret[:keep] + "*" * min(16, len(secret) - keep)
