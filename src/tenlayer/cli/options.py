"""Option parsing shared by commands: sizes, formats, output paths."""

from __future__ import annotations

import math
import re
import sys
from typing import TYPE_CHECKING

from tenlayer.errors import EXIT_FINDINGS, BadInput

if TYPE_CHECKING:
    from tenlayer.image.open import OpenOptions
    from tenlayer.model import Finding

MAX_TIMEOUT = 3600.0

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(text: str, *, option: str) -> int:
    """`512MiB`, `2GB`, `1073741824` -> bytes (KiB-style units are powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise BadInput(f"{option} {text!r}: expected a size such as 512MiB or 2GB")
    number = float(match.group(1))
    unit = (match.group(2) or "").lower()
    base = 1024 if "i" in unit else 1000
    power = "kmgt".find(unit[:1]) + 1 if unit[:1] in "kmgt" and unit else 0
    value = int(number * base**power)
    if value <= 0:
        raise BadInput(f"{option} {text!r}: must be greater than zero")
    return value


def parse_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_TIMEOUT:  # also refuses nan
        raise BadInput(f"--timeout {text!r}: expected seconds, more than 0 and at most 3600")
    return value


def open_options(
    *, platform: str | None, insecure: bool, max_layer_size: str, timeout: str
) -> OpenOptions:
    """The image-source options every image command shares, checked."""
    from tenlayer.image.open import OpenOptions
    from tenlayer.image.platform import DEFAULT_PLATFORM, Platform

    return OpenOptions(
        platform=Platform.parse(platform or DEFAULT_PLATFORM),
        require_platform=platform is not None,
        insecure=insecure,
        max_layer_bytes=parse_size(max_layer_size, option="--max-layer-size"),
        timeout=parse_timeout(timeout),
    )


def exit_for_findings(findings: list[Finding], fail_on: str) -> None:
    """Exit 1 when any finding is at least as severe as `fail_on` (DESIGN.md)."""
    from tenlayer.model import Severity

    threshold = Severity.parse(fail_on)
    if any(f.severity >= threshold for f in findings):
        sys.exit(EXIT_FINDINGS)


def registries_option(text: str | None) -> tuple[str, ...]:
    """`--allowed-registries a,b`, normalised as the image policy compares them."""
    from tenlayer.policy.workloads import normalize_registries

    if text is None:
        return ()
    registries = normalize_registries(tuple(text.split(",")))
    if not registries:
        raise BadInput(f"--allowed-registries {text!r}: no registry named")
    for registry in registries:
        if "*" in registry.removeprefix("*."):
            raise BadInput(f"--allowed-registries {registry!r}: a wildcard may only open a "
                           "host name, as in *.example.com")
    return registries


def terminal_width(terminal: bool) -> int | None:
    """Fold a table to the terminal; piped, lines stay whole (for grep)."""
    import shutil

    return shutil.get_terminal_size().columns if terminal else None
