"""Union-filesystem semantics of the walker, and which layer introduced each package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenlayer.image.walker import AnalysisFailed
from tenlayer.inventory.scan import inventory_image
from tests.support.images import DPKG_STATUS, OS_RELEASE, Layer, write_oci_layout

METADATA = "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n"
SITE = "usr/local/lib/python3.11/site-packages"


def dist(layer: Layer, name: str, version: str, directory: str = SITE) -> Layer:
    return layer.file(
        f"{directory}/{name}-{version}.dist-info/METADATA",
        METADATA.format(name=name, version=version),
    )


def python_packages(tmp_path: Path, layers: list[Layer]) -> list[tuple[str, str, int | None]]:
    write_oci_layout(tmp_path / "oci", layers)
    return [
        (p.name, p.version, p.layer_index)
        for p in inventory_image(str(tmp_path / "oci")).packages
        if p.ecosystem.value == "pypi"
    ]


def test_whiteout_deletes_a_file_from_lower_layers(tmp_path: Path) -> None:
    layers = [
        dist(dist(Layer(), "six", "1.16.0"), "idna", "3.7"),
        Layer().whiteout(f"{SITE}/six-1.16.0.dist-info"),
    ]
    assert python_packages(tmp_path, layers) == [("idna", "3.7", 0)]


def test_opaque_directory_hides_everything_below(tmp_path: Path) -> None:
    layers = [
        dist(dist(Layer(), "six", "1.16.0"), "idna", "3.7"),
        dist(Layer().opaque(SITE), "certifi", "2024.7.4"),
    ]
    assert python_packages(tmp_path, layers) == [("certifi", "2024.7.4", 1)]


def test_a_layer_may_delete_and_recreate_the_same_path(tmp_path: Path) -> None:
    layers = [
        dist(Layer(), "six", "1.15.0"),
        dist(Layer().whiteout(f"{SITE}/six-1.15.0.dist-info"), "six", "1.15.0"),
    ]
    assert python_packages(tmp_path, layers) == [("six", "1.15.0", 1)]


def test_symlink_replacing_a_directory_hides_its_contents(tmp_path: Path) -> None:
    layers = [
        dist(Layer(), "six", "1.16.0", directory="opt/venv/site"),
        Layer().symlink("opt/venv", "/usr"),
        dist(Layer(), "idna", "3.7"),
    ]
    assert python_packages(tmp_path, layers) == [("idna", "3.7", 2)]


def test_file_replaced_by_a_symlink_is_gone(tmp_path: Path) -> None:
    layers = [
        Layer().file("etc/os-release", OS_RELEASE),
        Layer().symlink("etc/os-release", "../usr/lib/os-release"),
    ]
    write_oci_layout(tmp_path / "oci", layers)
    assert inventory_image(str(tmp_path / "oci")).os is None


def test_whiteout_in_an_upper_layer_does_not_touch_its_own_files(tmp_path: Path) -> None:
    upper = dist(Layer(), "six", "1.16.0").whiteout(f"{SITE}/six-1.16.0.dist-info")
    assert python_packages(tmp_path, [Layer().directory("usr"), upper]) == [
        ("six", "1.16.0", 1)
    ]


def test_each_deb_is_credited_to_the_layer_that_installed_it(tmp_path: Path) -> None:
    curl = (
        "\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\n"
        "Version: 7.88.1-10\n"
    )
    upgraded = DPKG_STATUS.replace("5.2.15-2+b7", "5.2.15-2+b8")
    layers = [
        Layer().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", DPKG_STATUS),
        Layer().file("var/lib/dpkg/status", DPKG_STATUS + curl),
        Layer().file("var/lib/dpkg/status", upgraded + curl),
    ]
    write_oci_layout(tmp_path / "oci", layers)
    inventory = inventory_image(str(tmp_path / "oci"))
    assert [(p.name, p.version, p.layer_index) for p in inventory.packages] == [
        ("bash", "5.2.15-2+b8", 2),
        ("curl", "7.88.1-10", 1),
        ("libc6", "2.36-9+deb12u7", 0),
    ]
    layer_ids = [p.layer_digest for p in inventory.packages]
    diff_ids = [layer.diff_id for layer in inventory.image.layers]
    assert layer_ids == [diff_ids[2], diff_ids[1], diff_ids[0]]


def test_package_reinstalled_after_removal_counts_from_the_reinstall(tmp_path: Path) -> None:
    without_bash = DPKG_STATUS.split("\n\n")[0] + "\n"
    layers = [
        Layer().file("var/lib/dpkg/status", DPKG_STATUS),
        Layer().file("var/lib/dpkg/status", without_bash),
        Layer().file("var/lib/dpkg/status", DPKG_STATUS),
    ]
    write_oci_layout(tmp_path / "oci", layers)
    found = {p.name: p.layer_index for p in inventory_image(str(tmp_path / "oci")).packages}
    assert found == {"bash": 2, "libc6": 0}


def test_oversized_file_is_skipped_and_reported(tmp_path: Path) -> None:
    huge = "Name: big\nVersion: 1\n" + "x" * (9 << 20)
    layers = [Layer().file(f"{SITE}/big-1.dist-info/METADATA", huge)]
    write_oci_layout(tmp_path / "oci", layers)
    inventory = inventory_image(str(tmp_path / "oci"))
    assert inventory.packages == ()
    [skipped] = inventory.skipped
    assert (skipped.path, skipped.analyzer, skipped.limit) == (
        f"{SITE}/big-1.dist-info/METADATA", "python", 8 << 20,
    )


def test_corrupt_dpkg_database_names_image_layer_and_file(tmp_path: Path) -> None:
    layers = [Layer(), Layer().file("var/lib/dpkg/status", b"Package: a\n\0\0\0garbage")]
    write_oci_layout(tmp_path / "oci", layers)
    with pytest.raises(AnalysisFailed) as caught:
        inventory_image(str(tmp_path / "oci"))
    assert str(caught.value) == (
        f"{tmp_path / 'oci'} layer 1: /var/lib/dpkg/status: "
        "dpkg database is corrupt (binary data in a text file)"
    )
