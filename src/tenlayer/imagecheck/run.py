"""`image scan --checks config,secret`: the entry check to run in the walk, and its findings.

    book = trace_book(config=True, secrets=True)   # hand to inventory_image(traces=book)
    found, warnings = image_findings(inventory.image, book, config=True)
"""

from __future__ import annotations

from tenlayer.image.traces import EntryCheck, TraceBook
from tenlayer.imagecheck.accounts import (
    MAX_ACCOUNT_FILE,
    AccountFileCheck,
    TraceResult,
    final_passwd,
)
from tenlayer.imagecheck.config import config_findings
from tenlayer.imagecheck.findings import layer_findings, skipped_findings
from tenlayer.imagecheck.layerfiles import LayerFileCheck
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


def trace_book(*, config: bool, secrets: bool) -> TraceBook[TraceResult] | None:
    if not (config or secrets):
        return None
    checks: list[EntryCheck[TraceResult]] = [LayerFileCheck(modes=config, secrets=secrets)]
    if config:
        checks.append(AccountFileCheck())  # config.User names resolve through /etc/passwd
    return TraceBook(checks)


def image_findings(
    image: Image, book: TraceBook[TraceResult] | None, *, config: bool
) -> tuple[list[Finding], list[str]]:
    traces = book.traces() if book is not None else []
    found = config_findings(image, final_passwd(traces)) if config else []
    warnings: list[str] = []
    if book is not None:
        found.extend(layer_findings(image, traces))
        skipped = [item for item in book.skipped if item.analyzer == LayerFileCheck.name]
        too_large, warnings = skipped_findings(image, skipped)
        found.extend(too_large)
        if any(item.analyzer == AccountFileCheck.name for item in book.skipped):
            warnings.append(
                f"/etc/passwd is larger than {MAX_ACCOUNT_FILE >> 20} MiB: not read, so "
                "config.User names were not resolved to UIDs"
            )
    return sorted(found, key=lambda f: (f.sort_key(), f.title, f.evidence)), warnings
