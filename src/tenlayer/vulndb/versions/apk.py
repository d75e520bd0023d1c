"""Alpine package versions, ordered as apk-tools orders them (Alpine, Wolfi, Chainguard).

Grammar (apk-tools `version.c`): `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`,
where the suffixes are `alpha`, `beta`, `pre`, `rc` (pre-releases) and `cvs`, `svn`, `git`,
`hg`, `p` (post-releases), `letter` is one of a-z and `hash` is lowercase hex. Anything else
is invalid (apk itself refuses such versions; its comparison of them is not an ordering).

Comparison walks both versions token by token. Tokens of the same kind compare by value:
the first number and suffix, hash and revision numbers numerically; a dotted component
numerically unless either side starts with `0`, when the two compare as strings (Gentoo's
rule, so `1.01` < `1.1` and `8.2.0` < `8.2.001`); letters and hashes as strings; suffixes
in the order above. Where the kinds differ, a pre-release suffix loses; otherwise the side
whose token comes earlier in the grammar wins (the other has "run out" sooner), with the end
of the version last of all: `1.0_rc1` < `1.0` < `1.0-r1` < `1.0_p1` < `1.0a` < `1.0.1`.

This is the ordering of apk-tools 2.14 and 3.x, which agree on every version valid in both
(3.x added `~hash` and refuses `-r` without a number). apk-tools 2.12 and older compared
zero-led components differently (`8.2.0` > `8.2.001` there).

The key is a flat tuple of (rank, value...) per token, ranked so that tuple order is apk's
order: pre-release suffix -1 < end 0 < revision 1 < hash 2 < suffix number 3 <
post-release suffix 4 < letter 5 < dotted number 6 < first number 7. Numbers wrap at 2**64
as apk's parser does.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, KeyedScheme, check_length

NAME = "apk"
_WRAP = (1 << 64) - 1
_SUFFIXES = {
    "alpha": (-1, 1),
    "beta": (-1, 2),
    "pre": (-1, 3),
    "rc": (-1, 4),
    "cvs": (4, 6),
    "svn": (4, 7),
    "git": (4, 8),
    "hg": (4, 9),
    "p": (4, 10),
}
_FULL = re.compile(
    r"(?P<first>[0-9]+)(?P<dotted>(?:\.[0-9]+)*)(?P<letter>[a-z]?)"
    r"(?P<suffixes>(?:_[a-z]+[0-9]*)*)(?:~(?P<hash>[0-9a-f]+))?(?:-r(?P<revision>[0-9]+))?"
)
_SUFFIX = re.compile(r"_([a-z]+)([0-9]*)")


def _number(digits: str) -> int:
    return int(digits) & _WRAP


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> tuple[int | str, ...]:
    """The ordering key of an apk version; raises InvalidVersion."""
    check_length(version, NAME)
    match = _FULL.fullmatch(version)
    if match is None:
        raise InvalidVersion(version, NAME, _why_invalid(version))
    out: list[int | str] = [7, _number(match["first"])]
    dotted = match["dotted"]
    if dotted:
        for part in dotted[1:].split("."):
            if part[0] == "0":
                out += (6, 0, part)
            else:
                out += (6, 1, _number(part))
    if match["letter"]:
        out += (5, match["letter"])
    suffixes = match["suffixes"]
    if suffixes:
        for name, digits in _SUFFIX.findall(suffixes):
            rank = _SUFFIXES.get(name)
            if rank is None:
                raise InvalidVersion(version, NAME, f"unknown suffix '_{name}'")
            out += rank
            if digits:
                out += (3, _number(digits))
    if match["hash"]:
        out += (2, match["hash"])
    if match["revision"]:
        out += (1, _number(match["revision"]))
    out.append(0)
    return tuple(out)


def _why_invalid(version: str) -> str:
    if not version:
        return "version string is empty"
    if not version[0].isascii() or not version[0].isdigit():
        return "does not start with a digit"
    return "does not follow digits{.digits}[letter]{_suffix[N]}[~hash][-rN]"


SCHEME = KeyedScheme(NAME, key)
