"""tenlayer's package set on the real fixture images, against what was installed and against
Syft and Trivy (installed from PyPI), run offline on the same files.

Every difference with a peer is listed below with the reason tenlayer is right; a new
difference fails the test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from packageurl import PackageURL

from tenlayer.inventory.scan import inventory_image
from tests.support.fixtures import fixture

pytestmark = [pytest.mark.peers, pytest.mark.integration]

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
Key = tuple[str, str, str]  # ecosystem, name, version

SYFT_TYPES = {"deb": "deb", "rpm": "rpm", "apk": "apk", "python": "pypi", "npm": "npm",
              "go-module": "golang", "java-archive": "maven"}
TRIVY_TYPES = {"debian": "deb", "ubuntu": "deb", "alpine": "apk", "redhat": "rpm",
               "python-pkg": "pypi", "node-pkg": "npm", "gobinary": "golang", "jar": "maven"}

# Differences on the application image, each with the reason tenlayer is right.
SYFT_ONLY: dict[Key, str] = {}
TENLAYER_NOT_IN_SYFT: dict[Key, str] = {}
TRIVY_ONLY: dict[Key, str] = {
    ("deb", "tl-epoch", "2:0.9-1"): "trivy files the rpmdb's packages under the detected OS "
    "(debian) as if they were debs; they are rpm packages in /var/lib/rpm/rpmdb.sqlite",
    ("deb", "tl-hello", "1.0.0-1"): "same: an rpm package reported as a deb",
    ("deb", "tl-world", "2.3.4-5"): "same: an rpm package reported as a deb",
    ("golang", "stdlib", "v1.23.4"): "trivy writes the Go toolchain as v1.23.4; the binary "
    "records go1.23.4, which tenlayer keeps (as Syft does)",
    ("golang", "github.com/anchore/syft", "1.18.1"): "trivy keeps the -ldflags version "
    "without its v; Go module versions are v-prefixed semver (as Syft reports)",
}
TENLAYER_NOT_IN_TRIVY: dict[Key, str] = {
    ("rpm", "tl-epoch", "2:0.9-1"): "the rpm view of the package trivy files as a deb",
    ("rpm", "tl-hello", "1.0.0-1"): "the rpm view of the package trivy files as a deb",
    ("rpm", "tl-world", "2.3.4-5"): "the rpm view of the package trivy files as a deb",
    ("golang", "stdlib", "go1.23.4"): "the Go version as the binary records it",
    ("golang", "github.com/anchore/syft", "v1.18.1"): "the main module with its v prefix",
    ("maven", "com.example:hello", "1.2.3"): "trivy analyzes jars only with its Java "
    "database, which cannot be downloaded offline; the jar's pom.properties names it",
}


def normalize(ecosystem: str, name: str) -> str:
    """PyPI names compare case- and separator-insensitively (PEP 503); Syft lower-cases them."""
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def tenlayer_set(image: str) -> set[Key]:
    return {
        (p.ecosystem.value, normalize(p.ecosystem.value, p.name), p.version)
        for p in inventory_image(image).packages
    }


@cache
def syft_set(image: Path) -> frozenset[Key]:
    output = subprocess.run(
        [str(BIN / "syft"), "-q", f"docker-archive:{image}", "-o", "json"],
        capture_output=True, check=True, timeout=300,
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    ).stdout
    found = set()
    for artifact in json.loads(output)["artifacts"]:
        ecosystem = SYFT_TYPES.get(artifact["type"], artifact["type"])
        name = artifact["name"]
        if ecosystem == "maven":
            purl = PackageURL.from_string(artifact["purl"])
            name = f"{purl.namespace}:{purl.name}"
        found.add((ecosystem, normalize(ecosystem, name), artifact["version"]))
    return frozenset(found)


@cache
def trivy_set(image: Path, cache_dir: Path) -> frozenset[Key]:
    output = subprocess.run(
        [str(BIN / "trivy"), "image", "--input", str(image), "--format", "json",
         "--list-all-pkgs", "--skip-db-update", "--skip-check-update", "--offline-scan",
         "--scanners", "", "-q"],
        capture_output=True, check=True, timeout=300,
        env={**os.environ, "TRIVY_CACHE_DIR": str(cache_dir), "TRIVY_DISABLE_TELEMETRY": "true",
             "TRIVY_SKIP_VERSION_CHECK": "true"},
    ).stdout
    found = set()
    for result in json.loads(output).get("Results", []):
        ecosystem = TRIVY_TYPES.get(result["Type"], result["Type"])
        for package in result.get("Packages", []):
            version = package["Version"]
            if package.get("Release"):
                version += "-" + package["Release"]
            if package.get("Epoch"):
                version = f"{package['Epoch']}:{version}"
            found.add((ecosystem, normalize(ecosystem, package["Name"]), version))
    return frozenset(found)


def test_debian_every_form_gives_exactly_what_debootstrap_installed() -> None:
    debian = fixture("debian")
    expected = {("deb", name, version) for name, version in debian.expected("deb")}
    assert len(expected) > 80
    for spec in (str(debian.docker_archive), str(debian.oci_archive),
                 f"oci:{debian.oci_layout}:{debian.oci_tag}", str(debian.rootfs)):
        assert tenlayer_set(spec) == expected, spec


def metadata_dir(found_in: str) -> str:
    """The builder records a Python distribution by its .dist-info/.egg-info directory."""
    if found_in.endswith(("/METADATA", "/PKG-INFO")):
        return found_in.rpartition("/")[0]
    return found_in


APP_OWN_PACKAGE_JSON = ("npm", "tenlayer-fixture-app", "1.0.0", "app/package.json", 3)
"""The application's own package.json: the builder lists dependencies only."""


def test_app_image_holds_exactly_what_the_builder_installed() -> None:
    """Name, version, the file that proves it and the layer that added it, for every package
    the builder installed, in each ecosystem whose packages it records one by one."""
    app = fixture("app")
    packages = inventory_image(str(app.docker_archive)).packages
    for ecosystem in ("deb", "pypi", "npm", "rpm", "maven"):
        expected = {
            (
                ecosystem,
                f"{p['group']}:{p['name']}" if ecosystem == "maven" else p["name"],
                p["evr"] if ecosystem == "rpm" else p["version"],
                p["location"],
                p["layer"],
            )
            for p in app.packages
            if p["type"] == ecosystem
        }
        if ecosystem == "npm":
            expected.add(APP_OWN_PACKAGE_JSON)
        found = {
            (p.ecosystem.value, p.name, p.version, metadata_dir(p.found_in), p.layer_index)
            for p in packages
            if p.ecosystem.value == ecosystem
        }
        assert found == expected, ecosystem
    for deleted in app.deleted_packages:
        assert not [p for p in packages if p.name.endswith(deleted["name"])], deleted


@pytest.mark.parametrize("name", ["debian", "app"])
def test_package_set_equals_syft(name: str) -> None:
    image = fixture(name).docker_archive
    ours, theirs = tenlayer_set(str(image)), syft_set(image)
    only_ours = {k: TENLAYER_NOT_IN_SYFT.get(k, "UNEXPLAINED") for k in ours - theirs}
    only_theirs = {k: SYFT_ONLY.get(k, "UNEXPLAINED") for k in theirs - ours}
    assert "UNEXPLAINED" not in {*only_ours.values(), *only_theirs.values()}, (
        only_ours, only_theirs,
    )
    assert len(ours & theirs) >= (88 if name == "debian" else 280)


@pytest.mark.parametrize("name", ["debian", "app"])
def test_package_set_equals_trivy(name: str, tmp_path: Path) -> None:
    image = fixture(name).docker_archive
    ours, theirs = tenlayer_set(str(image)), trivy_set(image, tmp_path)
    only_ours = {k: TENLAYER_NOT_IN_TRIVY.get(k, "UNEXPLAINED") for k in ours - theirs}
    only_theirs = {k: TRIVY_ONLY.get(k, "UNEXPLAINED") for k in theirs - ours}
    assert "UNEXPLAINED" not in {*only_ours.values(), *only_theirs.values()}, (
        only_ours, only_theirs,
    )
    if name == "debian":
        assert ours == theirs
