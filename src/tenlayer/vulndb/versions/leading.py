"""The leading number of a version: enough, most of the time, to order two versions.

dpkg, rpm, apk, PEP 440, SemVer and Go compare versions that start with a number by that
number first (an epoch, `1:` or `1!`, comes before it, so such versions have none here).
`5.2-1` against a fix in `7.1-3` therefore needs no full parse, and the store can leave out,
in SQL, every fix below the installed version's leading number. Not Maven: it types numbers
by their digit count (`0000000000.1` sorts above `1`).
"""

from __future__ import annotations

import re
from functools import lru_cache

ORDERED_BY_LEADING_NUMBER = frozenset(("dpkg", "rpm", "apk", "pep440", "semver", "go"))

_LEADING_NUMBER = re.compile(r"(\d+)(?![\d:!])")


@lru_cache(maxsize=1 << 16)
def leading_number(version: str) -> int | None:
    match = _LEADING_NUMBER.match(version)
    return int(match.group(1)) if match else None


def leading_order(version: str, bound: str) -> bool | None:
    """Whether `version` < `bound` when their leading numbers already differ, else None."""
    first = leading_number(version)
    if first is None:
        return None
    second = leading_number(bound)
    if second is None or first == second:
        return None
    return first < second
