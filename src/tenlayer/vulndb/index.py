"""What the matcher needs from a vulnerability store (implemented by `store.VulnDatabase`)."""

from __future__ import annotations

from typing import Protocol

from tenlayer.vulndb.records import Advisory, Affected


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
