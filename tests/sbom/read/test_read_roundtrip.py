"""tenlayer's CycloneDX and SPDX of an inventory read back to the same packages, sources,
OS and image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tenlayer.inventory.purl import os_purl
from tenlayer.model import Ecosystem, Inventory, Package
from tenlayer.sbom import render_cyclonedx, render_spdx
from tenlayer.sbom.read import parse_sbom
from tests.sbom.inventories import DEBIAN

WRITERS: dict[str, Callable[[Inventory], bytes]] = {
    "cyclonedx": render_cyclonedx,
    "spdx": render_spdx,
}


def read_back(inventory: Inventory, writer: str) -> Inventory:
    return parse_sbom(WRITERS[writer](inventory), f"sbom.{writer}.json").inventory


def by_identity(packages: tuple[Package, ...]) -> list[Package]:
    return sorted(packages, key=repr)


@pytest.mark.parametrize("writer", WRITERS)
def test_every_package_comes_back_field_for_field(inventory: Inventory, writer: str) -> None:
    """Name, version, purl, file, layer, licenses, source package, owner and parent."""
    read = read_back(inventory, writer)
    assert by_identity(read.packages) == by_identity(inventory.packages)
    assert read.warnings == ()


@pytest.mark.parametrize("writer", WRITERS)
def test_source_packages_as_the_inventory_has_them(inventory: Inventory, writer: str) -> None:
    """Including "no source version" (perl-base) and "no source at all" (tzdata): tenlayer's
    own SBOM is not filled in with the binary package, as another producer's would be."""
    read = {p.name: p for p in read_back(inventory, writer).packages}
    assert (read["libc6"].source_name, read["libc6"].source_version) == (
        "glibc", "2.36-9+deb12u4")
    assert (read["bash"].source_name, read["bash"].source_version) == ("bash", "5.2.15-2")
    assert (read["perl-base"].source_name, read["perl-base"].source_version) == ("perl", None)
    assert (read["tzdata"].source_name, read["tzdata"].source_version) == (None, None)
    assert read["six"].owned_by == "deb:python3-six"


@pytest.mark.parametrize("writer", WRITERS)
def test_os_and_image(inventory: Inventory, writer: str) -> None:
    read = read_back(inventory, writer)
    assert read.os is not None
    assert (read.os.family, read.os.version_id, read.os.pretty_name, read.os.found_in) == (
        DEBIAN.family, DEBIAN.version_id, DEBIAN.pretty_name, DEBIAN.found_in)
    if writer == "cyclonedx":
        assert read.os.codename == DEBIAN.codename
    image = read.image
    assert image.source_kind == "sbom"
    assert image.reference == inventory.image.reference
    assert image.manifest_digest == inventory.image.manifest_digest
    assert image.config_digest == inventory.image.config_digest
    assert image.platform == inventory.image.platform == "linux/amd64"


def test_cyclonedx_keeps_the_image_layers(inventory: Inventory) -> None:
    read = read_back(inventory, "cyclonedx")
    assert [(layer.index, layer.digest, layer.diff_id) for layer in read.image.layers] == [
        (layer.index, layer.digest, layer.diff_id) for layer in inventory.image.layers
    ]


@pytest.mark.parametrize("writer", WRITERS)
def test_rpm_epochs_and_apk_origins(inventory: Inventory, writer: str) -> None:
    """rpm writes the epoch into the purl's qualifier; it comes back into the version."""
    rhel = replace(DEBIAN, family="rhel", version_id="9.4", pretty_name="", codename="")
    rpm = Package(name="tl-epoch", version="2:0.9-1", ecosystem=Ecosystem.RPM, purl="",
                  found_in="var/lib/rpm/rpmdb.sqlite", source_name="tl-epoch",
                  source_version="2:0.9-1", arch="noarch")
    zero = replace(rpm, name="tl-zero", version="0:1.0-1", source_version="0:1.0-1")
    packages = tuple(replace(p, purl=os_purl(p, rhel)) for p in (rpm, zero))
    read = read_back(Inventory(image=inventory.image, os=rhel, packages=packages), writer)
    assert by_identity(read.packages) == by_identity(packages)
    assert read.os is not None and (read.os.family, read.os.version_id) == ("rhel", "9.4")
