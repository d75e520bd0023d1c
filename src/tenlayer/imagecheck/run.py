"""`image scan --checks config,secret`: the entry check to run in the walk, and its findings.

    book = trace_book(config=True, secrets=True)   # hand to inventory_image(traces=book)
    found, warnings = image_findings(inventory.image, book, config=True)
"""

from __future__ import annotations

from tenlayer.image.traces import TraceBook
from tenlayer.imagecheck.config import config_findings
from tenlayer.imagecheck.findings import layer_findings, skipped_findings
from tenlayer.imagecheck.layerfiles import LayerFileCheck, LayerFileResult
from tenlayer.model import Finding, Image

CHECK_KINDS = ("vuln", "config", "secret")


def parse_checks(text: str) -> frozenset[str]:
    """`vuln,config,secret` (any subset, in any order); ValueError names the bad one."""
    kinds = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(kinds.difference(CHECK_KINDS))
    if unknown or not kinds:
        raise ValueError(
            f"unknown check kind {', '.join(map(repr, unknown)) or '(none given)'}"
            f" (expected a comma-separated list of: {', '.join(CHECK_KINDS)})"
        )
    return frozenset(kinds)


def trace_book(*, config: bool, secrets: bool) -> TraceBook[LayerFileResult] | None:
    if not (config or secrets):
        return None
    return TraceBook([LayerFileCheck(modes=config, secrets=secrets)])


def image_findings(
    image: Image, book: TraceBook[LayerFileResult] | None, *, config: bool
) -> tuple[list[Finding], list[str]]:
    found = config_findings(image) if config else []
    warnings: list[str] = []
    if book is not None:
        found.extend(layer_findings(image, book.traces()))
        too_large, warnings = skipped_findings(image, book.skipped)
        found.extend(too_large)
    return sorted(found, key=lambda f: (f.sort_key(), f.title, f.evidence)), warnings
