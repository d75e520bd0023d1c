"""Semantic Versioning 2.0 precedence (npm, crates.io, and OSV SEMVER ranges).

`MAJOR.MINOR.PATCH[-prerelease][+build]`: numbers without leading zeros; a version with a
prerelease sorts before the same version without; prerelease identifiers compare in turn,
numeric ones numerically and before alphanumeric ones (ASCII order), and a shorter list of
identifiers sorts first when it is a prefix of the other; build metadata is ignored
(`1.0.0+a` == `1.0.0+b`).

Like npm (`semver.clean`, which npm applies to package.json versions), surrounding
whitespace and leading `=` and `v` characters are accepted: `v1.2.3`, `=1.2.3`, ` =v1.2.3 `.
npm's limits apply too: at most 256 characters, and MAJOR, MINOR and PATCH at most
2**53 - 1. Prerelease numbers compare exactly at any size (node-semver compares those past
2**53 as floating-point numbers, which no real version reaches).

The key: `(major, minor, patch, 1)` for a release, `(major, minor, patch, 0, kind, value,
...)` for a prerelease, with kind 0 for a number and 1 for a string.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, KeyedScheme, check_length

NAME = "semver"
_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENTIFIER = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
# What JavaScript's String.prototype.trim() removes (npm trims versions with it).
_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

Key = tuple[int | str, ...]
_NPM_MAX_LENGTH = 256  # node-semver's MAX_LENGTH
_NPM_MAX_NUMBER = 2**53 - 1  # Number.MAX_SAFE_INTEGER


def prerelease_key(pre: str | None, out: list[int | str]) -> None:
    """Append SemVer's release/prerelease precedence to a key under construction."""
    if pre is None:
        out.append(1)
        return
    out.append(0)
    for identifier in pre.split("."):
        if identifier.isdigit():
            out += (0, int(identifier))
        else:
            out += (1, identifier)


def parse_key(version: str, text: str, scheme: str) -> Key:
    if len(text) > _NPM_MAX_LENGTH:
        raise InvalidVersion(version, scheme, f"longer than {_NPM_MAX_LENGTH} characters")
    match = _SEMVER.fullmatch(text)
    if match is None:
        raise InvalidVersion(version, scheme, _why_invalid(text))
    numbers = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    if max(numbers) > _NPM_MAX_NUMBER:
        raise InvalidVersion(version, scheme, "MAJOR, MINOR and PATCH must be below 2**53")
    out: list[int | str] = list(numbers)
    prerelease_key(match["pre"], out)
    return tuple(out)


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> Key:
    """The ordering key of a semantic version (npm's leading `v`/`=` allowed)."""
    check_length(version, NAME)
    # as npm's `semver.clean`: trim, drop leading `=`/`v`, trim again, then one optional `v`
    text = version.strip(_WHITESPACE).lstrip("=v").strip(_WHITESPACE)
    if text.startswith("v"):
        text = text[1:]
    return parse_key(version, text, NAME)


def _why_invalid(text: str) -> str:
    if not text:
        return "version string is empty"
    core = re.split(r"[-+]", text, maxsplit=1)[0]
    parts = core.split(".")
    if len(parts) != 3:
        return "needs MAJOR.MINOR.PATCH"
    if not all(re.fullmatch(_NUMBER, part) for part in parts):
        return "MAJOR, MINOR and PATCH must be numbers without leading zeros"
    return "bad prerelease or build identifiers (dot-separated [0-9A-Za-z-], no leading zeros)"


SCHEME = KeyedScheme(NAME, key)
