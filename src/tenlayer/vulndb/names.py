"""Package names as advisories and inventories must both write them to meet in the store.

Applied on both sides (when a record is stored, and when a package is looked up), so a
PyPI `PyYAML` finds advisories filed under `pyyaml`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_PEP503 = re.compile(r"[-_.]+")


def ecosystem_base(ecosystem: str) -> str:
    """`Debian:12` -> `Debian`; `Ubuntu:Pro:22.04:LTS` -> `Ubuntu`; `PyPI` -> `PyPI`."""
    return ecosystem.partition(":")[0]


def normalize_name(ecosystem: str, name: str) -> str:
    return _normalizer(ecosystem)(name)


@lru_cache(maxsize=256)
def _normalizer(ecosystem: str) -> Callable[[str], str]:
    base = ecosystem_base(ecosystem)
    if base == "PyPI":
        return _pypi
    if base in ("npm", "crates.io", "Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard"):
        return str.lower
    return _as_is  # Go module paths and Maven coordinates are case-sensitive


def _pypi(name: str) -> str:
    return _PEP503.sub("-", name).lower()


def _as_is(name: str) -> str:
    return name


_RED_HAT = re.compile(r"^Red Hat:(?:enterprise_linux|rhel):(\d+)(?:[.:]|$)", re.IGNORECASE)
"""Main streams only: EUS/AUS/TUS/E4S builds (`rhel_eus:8.6`) would tell a main-stream image
it is fixed, so they keep their own ecosystem string and are not matched by default."""
_UBUNTU = re.compile(r"^Ubuntu:(Pro:)?(\d\d\.\d\d)(?::.*)?$")
_MAJOR = re.compile(r"^(Debian|Rocky Linux|AlmaLinux|Alpine|openSUSE|SUSE):v?(\d+)(\.\d+)?")


def canonical_ecosystem(ecosystem: str) -> str:
    """The ecosystem string the store keeps and the matcher asks for.

    Sources spell releases differently (`Ubuntu:22.04:LTS`, `Red Hat:enterprise_linux:9::
    appstream`, `Debian:12`, `Alpine:v3.20`); each release gets one key:
    `Ubuntu:22.04` (`Ubuntu:Pro:22.04` for ESM), `Red Hat:9`, `Debian:12`, `Alpine:v3.20`,
    `Rocky Linux:9`, `AlmaLinux:9`. Language ecosystems are kept as they are.
    """
    ubuntu = _UBUNTU.match(ecosystem)
    if ubuntu:
        return f"Ubuntu:{'Pro:' if ubuntu.group(1) else ''}{ubuntu.group(2)}"
    red_hat = _RED_HAT.match(ecosystem)
    if red_hat:
        return f"Red Hat:{red_hat.group(1)}"
    major = _MAJOR.match(ecosystem)
    if major:
        name, first, minor = major.groups()
        if name == "Alpine":
            return f"Alpine:v{first}{minor or ''}"
        return f"{name}:{first}"
    return ecosystem
