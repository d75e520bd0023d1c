"""Debian versions (`[epoch:]upstream[-revision]`), ordered as `dpkg --compare-versions`.

Debian policy §5.6.12 and dpkg's `verrevcmp`: each part is compared as alternating runs of
non-digits and digits. Non-digit runs go character by character, where `~` sorts before
everything (even the end of the run), then the end, then letters, then everything else;
digit runs compare as numbers (an absent run counts as 0).

Parsing mirrors dpkg's `parseversion`: what dpkg refuses with an error (an empty version,
embedded spaces, a bad epoch, an empty upstream or revision) raises InvalidVersion; what dpkg
only warns about (an upstream that does not start with a digit, characters outside policy)
is accepted and ordered exactly as dpkg orders it, since `dpkg --compare-versions` does too.

The key flattens the whole version into one tuple of ints, so comparisons run in C:
`(epoch, <upstream>, 0, <revision>, 0)` where a part is, per run pair, the orders of the
non-digit characters, a 0 for the run's end, then the digit run's value. The part's closing 0
meets, in the other key, either its closing 0 or the first character of a further non-digit
run (never 0: `~` is -1, others are positive), which is exactly dpkg's "run against the end".
"""

from __future__ import annotations

import re
from functools import lru_cache

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, KeyedScheme, check_length

NAME = "dpkg"
_INT_MAX = 2**31 - 1


def _char_order(byte: int) -> int:
    """dpkg's `order()` for one byte of a non-digit run (bytes are signed chars on amd64)."""
    if byte == 0x7E:  # ~
        return -1
    if 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A:  # ASCII letters sort as themselves
        return byte
    if byte >= 0x80:  # a negative signed char c gives c + 256: the byte value itself
        return byte
    return byte + 256  # every other ASCII character sorts after the letters


_ORDER = tuple(_char_order(b) for b in range(256))
_RUNS = re.compile(rb"([^0-9]*)([0-9]*)")
_BLANK = " \t"
_SPACE = " \t\n\v\f\r"
_EPOCH = re.compile(r"[+-]?[0-9]+")


def _part(text: str, out: list[int]) -> None:
    order = _ORDER.__getitem__
    first = True
    for letters, digits in _RUNS.findall(text.encode("utf-8", "surrogatepass")):
        if not letters and not digits and not first:
            break  # findall's empty match at the end
        first = False
        out.extend(map(order, letters))
        out.append(0)
        out.append(int(digits) if digits else 0)
    out.append(0)


def split(version: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision) as dpkg's `parseversion` reads them; raises InvalidVersion."""
    check_length(version, NAME)
    if "\0" in version:
        raise InvalidVersion(version, NAME, "contains a NUL character")
    text = version.lstrip(_BLANK)
    if not text:
        raise InvalidVersion(version, NAME, "version string is empty")
    end = 0
    while end < len(text) and text[end] not in _SPACE:
        end += 1
    if text[end:].strip(_SPACE):
        raise InvalidVersion(version, NAME, "version string has embedded spaces")
    epoch = 0
    colon = text.find(":")
    if colon >= 0:
        # strtol(): an optional sign, then digits that must run up to the colon
        head = text[:colon]
        number = _EPOCH.match(head)
        if number is None:
            raise InvalidVersion(version, NAME, "epoch in version is empty")
        if number.end() != colon:
            raise InvalidVersion(version, NAME, "epoch in version is not number")
        epoch = int(head)
        if epoch < 0:
            raise InvalidVersion(version, NAME, "epoch in version is negative")
        if epoch > _INT_MAX:
            raise InvalidVersion(version, NAME, "epoch in version is too big")
        if colon + 1 == len(text):
            raise InvalidVersion(version, NAME, "nothing after colon in version number")
        body = text[colon + 1 : end]
    else:
        body = text[:end]
    upstream, hyphen, revision = body.rpartition("-")
    if not hyphen:
        upstream, revision = body, ""
    elif not revision:
        raise InvalidVersion(version, NAME, "revision number is empty")
    if not upstream:
        raise InvalidVersion(version, NAME, "version number is empty")
    return epoch, upstream, revision


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> tuple[int, ...]:
    """The ordering key of a Debian version; raises InvalidVersion."""
    epoch, upstream, revision = split(version)
    out = [epoch]
    _part(upstream, out)
    _part(revision, out)
    return tuple(out)


SCHEME = KeyedScheme(NAME, key)
