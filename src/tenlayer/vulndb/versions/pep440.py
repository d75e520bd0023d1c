"""PyPI versions, ordered by PEP 440 through `packaging.version`.

`packaging` parses (it is the reference implementation pip uses); the key is rebuilt from the
parsed version's public fields as a tuple of ints and strings, because `Version` objects
compare through Python-level methods and, in older `packaging` releases, through
`Infinity` sentinel objects. The key mirrors PEP 440's order: epoch; release with trailing
zeros dropped; then `.devN` alone < `aN` < `bN` < `rcN` < final; `.postN` after its base;
`.devN` before its base; a local label after the public version, its parts compared
numerically when both are numbers, a string part before a number part.

Legacy (non-PEP 440) strings raise InvalidVersion, as pip does since it dropped them.
"""

from __future__ import annotations

from functools import lru_cache

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from tenlayer.vulndb.versions.base import CACHE_SIZE, InvalidVersion, KeyedScheme, check_length

NAME = "pep440"
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_NO_LOCAL: tuple[int] = (0,)

Key = tuple[int, tuple[int, ...], int, int, int, int, int, int, tuple[object, ...]]


def parse(version: str) -> Version:
    """`packaging.version.Version(version)`, with every failure as InvalidVersion."""
    check_length(version, NAME)
    try:
        return Version(version)
    except _PackagingInvalid:
        raise InvalidVersion(version, NAME, "not a PEP 440 version") from None
    except ValueError as error:  # e.g. a number beyond Python's int-conversion limit
        raise InvalidVersion(version, NAME, str(error).splitlines()[0]) from None


@lru_cache(maxsize=CACHE_SIZE)
def key(version: str) -> Key:
    """The ordering key of a PEP 440 version; raises InvalidVersion."""
    parsed = parse(version)
    release = parsed.release
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    pre, post, dev = parsed.pre, parsed.post, parsed.dev
    if pre is not None:
        pre_rank, pre_number = _PRE_RANK[pre[0]], pre[1]
    elif post is None and dev is not None:
        pre_rank, pre_number = -1, 0  # 1.0.dev1 sorts before 1.0a1
    else:
        pre_rank, pre_number = 3, 0
    local = parsed.local
    local_key: tuple[object, ...] = _NO_LOCAL
    if local is not None:
        parts: list[object] = [1]
        for part in local.split("."):
            if part.isdigit():
                parts += (1, int(part))
            else:
                parts += (0, part)
        local_key = tuple(parts)
    return (
        parsed.epoch,
        release[:end] if end < len(release) else release,
        pre_rank,
        pre_number,
        0 if post is None else 1,
        0 if post is None else post,
        1 if dev is None else 0,
        0 if dev is None else dev,
        local_key,
    )


SCHEME = KeyedScheme(NAME, key)
