"""One version comparator per version scheme, and which scheme each OSV ecosystem uses.

```python
from tenlayer.vulndb.versions import scheme_for
debian = scheme_for("Debian:12")
debian.compare("1.0~rc1", "1.0")          # -1
debian.key("1:2.30-1") < debian.key("1:2.30-1+deb12u1")
```

Each scheme module (dpkg, rpm, apk, pep440, semver, go, maven) is imported on first use.
Keys are plain tuples (Maven's excepted, see `maven.py`), cached per scheme.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import import_module

from tenlayer.vulndb.versions.base import InvalidVersion, UnknownEcosystem, VersionScheme

__all__ = [
    "SCHEMES",
    "InvalidVersion",
    "UnknownEcosystem",
    "VersionScheme",
    "get_scheme",
    "scheme_for",
    "scheme_for_range",
]

SCHEMES = ("dpkg", "rpm", "apk", "pep440", "semver", "go", "maven")

#: OSV ecosystem (the part before the first ':') -> scheme name.
ECOSYSTEMS = {
    "Debian": "dpkg",
    "Ubuntu": "dpkg",
    "Red Hat": "rpm",
    "Rocky Linux": "rpm",
    "AlmaLinux": "rpm",
    "Fedora": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "openEuler": "rpm",
    "Photon OS": "rpm",
    "Azure Linux": "rpm",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
    "MinimOS": "apk",
    "PyPI": "pep440",
    "npm": "semver",
    "crates.io": "semver",
    "Go": "go",
    "Maven": "maven",
}
_FOLDED = {name.casefold(): scheme for name, scheme in ECOSYSTEMS.items()}


@cache
def get_scheme(name: str) -> VersionScheme:
    """The scheme called `name` (one of SCHEMES)."""
    if name not in SCHEMES:
        raise UnknownEcosystem(name, "unknown version scheme")
    scheme: VersionScheme = import_module(f"{__name__}.{name}").SCHEME
    return scheme


@lru_cache(maxsize=1024)
def scheme_for(ecosystem: str) -> VersionScheme:
    """The scheme of an OSV ecosystem such as `Debian:12`, `PyPI` or `Alpine:v3.20`."""
    base = ecosystem.partition(":")[0].strip()
    name = ECOSYSTEMS.get(base) or _FOLDED.get(base.casefold())
    if name is None:
        raise UnknownEcosystem(ecosystem)
    return get_scheme(name)


@lru_cache(maxsize=1024)
def scheme_for_range(range_type: str, ecosystem: str) -> VersionScheme:
    """The scheme that orders an OSV range's events.

    SEMVER ranges are SemVer 2.0 (Go's flavour, `v` optional, for the Go ecosystem);
    ECOSYSTEM ranges use the ecosystem's own scheme. GIT ranges are ordered by commit
    history, which no version scheme knows: match their `versions` lists instead.
    """
    kind = range_type.upper()
    if kind == "SEMVER":
        base = ecosystem.partition(":")[0].strip()
        return get_scheme("go" if base == "Go" else "semver")
    if kind == "ECOSYSTEM":
        return scheme_for(ecosystem)
    if kind == "GIT":
        raise UnknownEcosystem(
            range_type,
            "unordered OSV range type",
            "GIT ranges are ordered by commit history, not by version: use their versions",
        )
    raise UnknownEcosystem(range_type, "unknown OSV range type")
