"""What the matcher needs from a vulnerability store (implemented by `store.VulnDatabase`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from tenlayer.vulndb.records import Advisory, Affected, SeverityScore

Row = tuple[str, int, int, "bytes | None", "str | None", "str | None"]
"""(name, advisory key, seq, entry blob or None, simple range type, simple fixed version):
see store.Row."""


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

    def candidates_many(
        self, ecosystem: str, names: Iterable[str], leads: Mapping[str, int | None] | None = None
    ) -> dict[str, list[Row]]:
        """`affected_many` as undecoded rows (the matcher's hot path); with `leads`, simple
        rows fixed below each name's smallest leading version number are left out."""
        ...

    def raw_entry(self, entry: bytes) -> list[Any]:
        """A row's entry as plain lists: `[ecosystem, name, ranges, versions, state, …]`."""
        ...

    def entry(self, entry: bytes) -> Affected: ...

    def prefetch(self, rows: Iterable[Row]) -> None:
        """Read, in few queries, the advisories and entries of these rows (the hits)."""
        ...

    def scores_of(self, row: Row) -> tuple[SeverityScore, ...]:
        """A row's per-package severity scores (without decoding the rest of its entry)."""
        ...

    def entry_of(self, row: Row) -> Affected:
        """A row's entry, decoded (read from the store when the row came without it)."""
        ...

    def advisory_by_key(self, key: int) -> Advisory: ...
