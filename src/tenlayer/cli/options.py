"""Option parsing shared by commands: sizes, formats, output paths."""

from __future__ import annotations

import re

from tenlayer.errors import BadInput

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
