"""Does a package URL someone wrote (in an ignore file, a VEX document) name this package?

A pattern names a package when type, namespace and name agree, and so does everything else
the pattern gives: its version, each of its qualifiers, its subpath. What the pattern leaves
out is not compared: `pkg:deb/debian/openssl` names every openssl, of any version, arch and
distro; `pkg:deb/debian/openssl@3.0.11-1~deb12u2` that version only.

OS advisories are about source packages, and VEX authors often write the source package
(`openssl`) where the image has the binary ones (`libssl3`). A pattern therefore also names
an OS package by its source name, with the source version when the pattern gives one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from tenlayer.model import Package

if TYPE_CHECKING:
    from packageurl import PackageURL


@dataclass(frozen=True, slots=True)
class PurlPattern:
    type: str
    namespace: str | None
    name: str
    version: str | None
    qualifiers: tuple[tuple[str, str], ...]
    subpath: str | None
    text: str


def parse_pattern(text: str) -> PurlPattern:
    """Parse a package URL; ValueError (with the reason) when it is not one."""
    purl = _parse(text.strip())
    if purl is None:
        raise ValueError(f"{text!r} is not a package URL (pkg:TYPE/NAMESPACE/NAME@VERSION)")
    return PurlPattern(
        type=purl.type,
        namespace=purl.namespace or None,
        name=purl.name,
        version=purl.version or None,
        qualifiers=tuple(sorted(_qualifiers(purl).items())),
        subpath=purl.subpath or None,
        text=text.strip(),
    )


def is_purl(text: str) -> bool:
    return text.strip().startswith("pkg:") and _parse(text.strip()) is not None


def pattern_matches(pattern: PurlPattern, package: Package) -> bool:
    purl = _parse(package.purl)
    if purl is None or purl.type != pattern.type:
        return False
    if pattern.namespace is not None and (purl.namespace or None) != pattern.namespace:
        return False
    qualifiers = _qualifiers(purl)
    if any(qualifiers.get(key) != value for key, value in pattern.qualifiers):
        return False
    if pattern.subpath is not None and (purl.subpath or None) != pattern.subpath:
        return False
    identities = [(purl.name, purl.version or package.version)]
    if package.ecosystem.is_os and package.source_name:
        identities.append(
            (package.source_name, package.source_version or purl.version or package.version)
        )
    return any(
        name == pattern.name and (pattern.version is None or version == pattern.version)
        for name, version in identities
    )


@lru_cache(maxsize=65536)
def _parse(text: str) -> PackageURL | None:
    from packageurl import PackageURL

    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _qualifiers(purl: PackageURL) -> dict[str, str]:
    qualifiers = purl.qualifiers
    if isinstance(qualifiers, dict):
        return {str(k): str(v) for k, v in qualifiers.items()}
    return {}
