"""From rpm headers to tenlayer packages: versions, source packages, owned files."""

from __future__ import annotations

from collections.abc import Iterable

from tenlayer.inventory.rpm.header import RpmHeader
from tenlayer.model import Ecosystem, Package

GPG_PUBKEY = "gpg-pubkey"
"""The pseudo-package `rpm --import` records for each trusted signing key."""


def evr(epoch: int | None, version: str, release: str) -> str:
    """`[EPOCH:]VERSION-RELEASE`.

    The epoch is written whenever the header has one, 0 included, as Syft writes the
    version: a header without EPOCH and one with EPOCH 0 compare equal, but saying `0:`
    where the package said nothing would be made up.
    """
    if epoch is None:
        return f"{version}-{release}"
    return f"{epoch}:{version}-{release}"


def split_source_rpm(filename: str) -> tuple[str, str, str] | None:
    """`bash-5.1.8-6.el9.src.rpm` -> (`bash`, `5.1.8`, `6.el9`); None for other shapes."""
    stem = filename.removesuffix(".rpm")
    arch = stem.rfind(".")
    if arch <= 0:
        return None
    stem = stem[:arch]
    release = stem.rfind("-")
    version = stem.rfind("-", 0, release) if release > 0 else -1
    if version <= 0 or release - version < 2 or release == len(stem) - 1:
        return None
    return stem[:version], stem[version + 1 : release], stem[release + 1 :]


def to_package(header: RpmHeader, found_in: str) -> Package:
    """The package a header records; the source carries the binary's epoch (as Trivy)."""
    source_name = source_version = None
    if header.source_rpm:
        source = split_source_rpm(header.source_rpm)
        if source is not None:
            source_name = source[0]
            source_version = evr(header.epoch, source[1], source[2])
    return Package(
        name=header.name,
        version=evr(header.epoch, header.version, header.release),
        ecosystem=Ecosystem.RPM,
        purl="",
        found_in=found_in,
        licenses=(header.license,) if header.license else (),
        source_name=source_name,
        source_version=source_version,
        arch=header.arch,
    )


def owned_files(headers: Iterable[RpmHeader]) -> dict[str, str]:
    """Every installed path (no leading `/`) -> `rpm:NAME`.

    Directories shared by several packages go to the first by name and version, so the
    answer does not depend on the order of the database.
    """
    owned: dict[str, str] = {}
    for header in sorted(headers, key=lambda h: (h.name, h.epoch or 0, h.version, h.release)):
        owner = f"rpm:{header.name}"
        for path in header.files:
            relative = path.lstrip("/")
            if relative and relative not in owned:
                owned[relative] = owner
    return owned
