"""`tenlayer image verify` output: a table for people, JSON for programs."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tenlayer.signing.content import ContentCheck
from tenlayer.signing.verify import SignatureResult


@dataclass(frozen=True, slots=True)
class Verification:
    image: str
    digest: str
    signature_manifest: str
    found: bool
    """False when there is no signature manifest at all."""
    results: tuple[SignatureResult, ...]
    content: ContentCheck | None = None
    """The image's blobs against their digests; None when not checked (no valid signature)."""

    @property
    def signed(self) -> bool:
        return any(result.valid for result in self.results)

    @property
    def verified(self) -> bool:
        return self.signed and self.content is not None and self.content.problem is None

    @property
    def why_not(self) -> str:
        """Why the image is not verified (for the one-line message)."""
        if not self.results:
            return "no signatures"
        if not self.signed:
            return f"none of {len(self.results)} signatures is valid"
        if self.content is None:
            return "image content not checked"
        return self.content.problem or ""


def _content_line(content: ContentCheck | None) -> str:
    if content is None:
        return "Content: not checked (no valid signature)"
    if content.problem is not None:
        return f"Content: {content.problem}"
    return f"Content: all {content.blobs} blobs match their digests"


def render_table(verification: Verification) -> bytes:
    lines = [
        f"Image: {verification.image}",
        f"Digest: {verification.digest}",
        f"Signatures: {verification.signature_manifest}"
        + ("" if verification.found else " (not found)"),
    ]
    for result in verification.results:
        if result.valid:
            lines.append(
                f"  #{result.number} valid: signed by {result.key} for "
                f"{result.docker_reference} (payload {result.payload_digest})"
            )
        else:
            lines.append(f"  #{result.number} invalid: {result.reason}")
    valid = sum(result.valid for result in verification.results)
    lines.append(f"Verified: {valid} of {len(verification.results)} signatures valid")
    lines.append(_content_line(verification.content))
    return ("\n".join(lines) + "\n").encode()


def render_json(verification: Verification) -> bytes:
    document = {
        "image": verification.image,
        "digest": verification.digest,
        "signature_manifest": verification.signature_manifest,
        "found": verification.found,
        "verified": verification.verified,
        "signatures": [
            {
                "number": result.number,
                "payload_digest": result.payload_digest,
                "valid": result.valid,
                "key": result.key,
                "docker_reference": result.docker_reference,
                "reason": result.reason or None,
            }
            for result in verification.results
        ],
        "content": None if verification.content is None else {
            "blobs": verification.content.blobs,
            "valid": verification.content.problem is None,
            "problem": verification.content.problem,
        },
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
