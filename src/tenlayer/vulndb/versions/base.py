"""What every version scheme shares: its errors, its protocol, and the key-ordered base.

A scheme turns a version string into a *key*: a plain, hashable Python object (tuples of
ints and strings) whose built-in ordering is the scheme's ordering, so that the matcher's
comparisons run in C and keys can be cached, sorted and stored in sets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

#: No real version comes near this; refusing longer strings bounds the work per key and keeps
#: every digit run below Python's int-conversion limit (4300 digits).
MAX_LENGTH = 4096

#: Keys are cached per scheme; a scan of a 20,000-package image with its advisories' bounds
#: stays well inside this, and a long-running server does not grow without bound.
CACHE_SIZE = 1 << 17


class InvalidVersion(ValueError):
    """A version string that its scheme cannot order. The message is one line."""

    def __init__(self, version: str, scheme: str, reason: str) -> None:
        self.version = version
        self.scheme = scheme
        self.reason = reason
        super().__init__(f"invalid {scheme} version {_show(version)}: {reason}")


class UnknownEcosystem(ValueError):
    """An ecosystem (or OSV range type) that no scheme orders. The message is one line."""

    def __init__(
        self,
        ecosystem: str,
        what: str = "unknown ecosystem",
        reason: str = "no version scheme orders it",
    ) -> None:
        self.ecosystem = ecosystem
        super().__init__(f"{what} {_show(ecosystem)}: {reason}")


def _show(text: str, limit: int = 80) -> str:
    """`repr` of a user string, cut short: a message stays one readable line."""
    if len(text) > limit:
        return repr(text[:limit]) + f"… ({len(text)} characters)"
    return repr(text)


class VersionScheme(Protocol):
    """One version syntax and its ordering (dpkg, rpm, apk, pep440, semver, go, maven)."""

    name: str

    def key(self, version: str) -> Any:
        """A hashable object ordered as the scheme orders versions; raises InvalidVersion."""
        ...

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as a is older than, equal to, or newer than b; raises InvalidVersion."""
        ...


class KeyedScheme:
    """A scheme whose order is exactly the order of its keys."""

    __slots__ = ("key", "name")

    def __init__(self, name: str, key: Callable[[str], Any]) -> None:
        self.name = name
        self.key = key

    def compare(self, a: str, b: str) -> int:
        key = self.key
        ka = key(a)
        kb = key(b)
        return int(ka > kb) - int(ka < kb)

    def __repr__(self) -> str:
        return f"<version scheme {self.name}>"


def check_length(version: str, scheme: str) -> None:
    if len(version) > MAX_LENGTH:
        raise InvalidVersion(version, scheme, f"longer than {MAX_LENGTH} characters")
