"""RPM versions (`[epoch:]version[-release]`), ordered as rpm 4.18's `rpmvercmp`.

`rpmvercmp` skips every character that is not an ASCII letter, digit, `~` or `^`, then
walks the rest as tokens: `~`, `^`, a run of digits or a run of letters. At the first place
two versions differ, `~` < the end < `^` < letters (compared as strings) < digits (compared
as numbers). So `1.0~rc1` < `1.0` < `1.0^git1` < `1.0a` < `1.0.1`, and separators never
count (`1.0` == `1_0`).

An EVR is split as rpm's `parseEVR` does: leading digits followed by `:` are the epoch (an
empty one is 0, a missing one is 0), the release follows the last `-`. Epochs, versions and
releases are compared in turn, as `rpm.vercmp` does; a version without a release sorts
below the same version with any release, even an empty or `~` one (`1.0` < `1.0-~1` <
`1.0-` == `1.0-.` < `1.0-1`), which rpm's own comparison shows. (rpm's dependency matching,
unlike its version comparison, lets a missing release match any release; that rule belongs
to range matching, not to the order.)

The key is one flat tuple: the epoch, the version's tokens, the end, then 0 for no release
or 1 followed by the release's tokens and the end; each token is a rank (~ 0, end 1, ^ 2,
letters 3, digits 4) followed, for letters and digits, by the value. Equal prefixes keep
both keys aligned, so ranks meet ranks and values meet values of the same type.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, KeyedScheme, check_length

NAME = "rpm"
_TOKENS = re.compile(r"(~)|(\^)|([0-9]+)|([A-Za-z]+)")
_EPOCH = re.compile(r"([0-9]*):")
_TILDE, _END, _CARET, _ALPHA, _DIGITS = 0, 1, 2, 3, 4


def _tokens(text: str, out: list[int | str]) -> None:
    for tilde, _caret, digits, alpha in _TOKENS.findall(text):
        if digits:
            out.append(_DIGITS)
            out.append(int(digits))
        elif alpha:
            out.append(_ALPHA)
            out.append(alpha)
        elif tilde:
            out.append(_TILDE)
        else:
            out.append(_CARET)
    out.append(_END)


def split(version: str) -> tuple[int, str, str | None]:
    """(epoch, version, release or None) as rpm's `parseEVR` reads them."""
    check_length(version, NAME)
    if not version:
        raise InvalidVersion(version, NAME, "version string is empty")
    if "\0" in version:
        raise InvalidVersion(version, NAME, "contains a NUL character")
    epoch = 0
    rest = version
    match = _EPOCH.match(version)
    if match:
        epoch = int(match.group(1) or 0)
        rest = version[match.end() :]
    body, hyphen, release = rest.rpartition("-")
    if not hyphen:
        return epoch, rest, None
    return epoch, body, release


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> tuple[int | str, ...]:
    """The ordering key of an RPM EVR (or a bare version); raises InvalidVersion."""
    epoch, body, release = split(version)
    out: list[int | str] = [epoch]
    _tokens(body, out)
    if release is None:
        out.append(0)
    else:
        out.append(1)
        _tokens(release, out)
    return tuple(out)


SCHEME = KeyedScheme(NAME, key)
