"""`tenlayer image verify` output: a table for people, JSON for programs."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tenlayer.signing.verify import SignatureResult


@dataclass(frozen=True, slots=True)
class Verification:
    image: str
    digest: str
    signature_manifest: str
    found: bool
    """False when there is no signature manifest at all."""
    results: tuple[SignatureResult, ...]

    @property
    def verified(self) -> bool:
        return any(result.valid for result in self.results)


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
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
