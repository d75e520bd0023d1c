"""Platforms (`linux/amd64`, `linux/arm64/v8`) as multi-arch indexes name them."""

from __future__ import annotations

from dataclasses import dataclass

from tenlayer.errors import BadInput

DEFAULT_PLATFORM = "linux/amd64"

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm"}
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise BadInput(f"--platform {text!r}: expected OS/ARCH[/VARIANT], e.g. linux/amd64")
        arch = _ARCH_ALIASES.get(parts[1], parts[1])
        return cls(parts[0], arch, parts[2] if len(parts) == 3 else "")

    def matches(self, os: str, architecture: str, variant: str = "") -> bool:
        """True when an index entry's platform is this one (variants defaulted as containerd)."""
        architecture = _ARCH_ALIASES.get(architecture, architecture)
        if os != self.os or architecture != self.architecture:
            return False
        if not self.variant:
            return True
        default = _DEFAULT_VARIANTS.get(architecture, "")
        return (variant or default) == (self.variant or default)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)
