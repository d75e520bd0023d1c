"""Declared licenses, turned into SPDX identifiers where the short name is a known alias.

Debian copyright files, RPM headers and package metadata use short names (`GPL-2+`,
`BSD-3-clause`, `Expat`); SBOM consumers want SPDX ids. Names with no SPDX equivalent are
kept as written so nothing is lost.
"""

from __future__ import annotations

import re
from functools import lru_cache

_GNU = {"GPL": "GPL", "LGPL": "LGPL", "AGPL": "AGPL", "GFDL": "GFDL"}
_ALIASES = {
    "expat": "MIT",
    "mit": "MIT",
    "mit/x11": "MIT",
    "x11": "X11",
    "isc": "ISC",
    "zlib": "Zlib",
    "apache-2": "Apache-2.0",
    "apache-2.0": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd-4-clause": "BSD-4-Clause",
    "bsd-4-clause-uc": "BSD-4-Clause-UC",
    "cc0-1.0": "CC0-1.0",
    "cc0": "CC0-1.0",
    "artistic-2": "Artistic-2.0",
    "artistic-2.0": "Artistic-2.0",
    "psf": "PSF-2.0",
    "psf-2.0": "PSF-2.0",
    "mpl-2.0": "MPL-2.0",
    "fsfullr": "FSFULLR",
    "fsfap": "FSFAP",
    "fsful": "FSFUL",
    "unlicense": "Unlicense",
    "0bsd": "0BSD",
    "bsl-1.0": "BSL-1.0",
    "openssl": "OpenSSL",
    "curl": "curl",
    "libpng": "Libpng",
    "sleepycat": "Sleepycat",
}
_GNU_FORM = re.compile(
    r"^(?P<family>A?GPL|LGPL|GFDL)(?:v|-)?(?P<version>\d(?:\.\d)?)?(?P<plus>\+)?(?:-only)?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def to_spdx(name: str) -> str:
    """Map one license short name to its SPDX id, or return it unchanged."""
    text = name.strip().rstrip(",")
    alias = _ALIASES.get(text.lower())
    if alias:
        return alias
    match = _GNU_FORM.match(text)
    if match and match.group("version"):
        family = _GNU[match.group("family").upper()]
        version = match.group("version")
        if "." not in version:
            version += ".0"
        suffix = "-or-later" if match.group("plus") else "-only"
        return f"{family}-{version}{suffix}"
    return text


_SEPARATORS = re.compile(r"\s+(?:and/or|or|and)\s+|\s*[,;|&]\s*", re.IGNORECASE)
_CONNECTIVE = re.compile(r"^(?:and/or|and|or)\s+", re.IGNORECASE)
_EXCEPTION = re.compile(r"\s+with\s+.*$", re.IGNORECASE)
_MAX_WORDS = 3
"""More words than this is prose (`The main library is licensed under…`), not a name."""


@lru_cache(maxsize=4096)
def split_expression(text: str) -> tuple[str, ...]:
    """Split a Debian/RPM license field (`GPL-2+ or Artistic`, `MIT and BSD`) into names.

    Cached: the same few hundred fields recur across every package of a distribution.
    """
    names = []
    for part in _SEPARATORS.split(text):
        part = _CONNECTIVE.sub("", part.strip().strip("()").strip())
        part = _EXCEPTION.sub("", part).strip()
        if (
            part
            and part.lower() not in ("none", "unknown", "and", "or")
            and len(part.split()) <= _MAX_WORDS
            and not part.endswith(":")
        ):
            names.append(part)
    return tuple(names)


def declared(texts: list[str]) -> tuple[str, ...]:
    """The sorted, de-duplicated SPDX ids (or names) declared by some license fields."""
    found = {to_spdx(name) for text in texts for name in split_expression(text)}
    return tuple(sorted(found))
