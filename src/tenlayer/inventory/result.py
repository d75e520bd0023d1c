"""What an analyzer finds in one file."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenlayer.model import OSInfo, Package


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    packages: tuple[Package, ...] = ()
    os: OSInfo | None = None
    owned_files: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Files an OS package manager installed (path without leading `/` -> `deb:NAME`)."""
    licenses: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)
    """Declared licenses found apart from the package database (`deb:NAME` -> SPDX ids)."""
    warnings: tuple[str, ...] = ()
