"""What the matcher needs from a vulnerability store (implemented by `store.VulnDatabase`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from tenlayer.vulndb.records import Advisory, Affected


class Candidate(Protocol):
    """One advisory entry for a package, decoded only as far as the caller asks."""

    simple: str | None
    """`TYPE\tFIXED` when the entry is just `introduced 0` … `fixed FIXED` (most are)."""

    def raw(self) -> list[Any]:
        """`[ecosystem, name, ranges, versions, state, severity, symbols]` as plain lists."""
        ...

    def affected(self) -> Affected: ...

    def advisory(self) -> Advisory:
        """Without its `affected` list."""
        ...


class AdvisoryIndex(Protocol):
    def ecosystems(self) -> frozenset[str]:
        """Every ecosystem string present in the store (`Debian:12`, `Ubuntu:22.04:LTS`, …)."""
        ...

    def affected(self, ecosystem: str, name: str) -> list[tuple[Advisory, Affected]]:
        """Every advisory with an `affected` entry for exactly this ecosystem and package.

        `name` is compared after `names.normalize_name`. The Advisory comes without its
        `affected` list (only the entry returned beside it matters to the caller), and
        withdrawn advisories are never returned.
        """
        ...

    def affected_many(
        self, ecosystem: str, names: Iterable[str]
    ) -> dict[str, list[tuple[Advisory, Affected]]]:
        """`affected` for many names of one ecosystem at once; every name is a key."""
        ...

    def candidates_many(self, ecosystem: str, names: Iterable[str]) -> dict[str, list[Any]]:
        """`affected_many` with rows decoded lazily: `Candidate`s (the matcher's hot path)."""
        ...
