"""SBOMs of the real fixture images, written by tenlayer, Syft and Trivy (offline), read back.

`tenlayer sbom scan FILE` must find what `tenlayer image scan` finds on the image the SBOM
came from. Matching looks a package up by (ecosystem, name, version) -- for OS packages by
the distribution release and the *source* package and version -- so those are compared
here with `tenlayer.inventory.scan.inventory_image` on the same image. Every difference is
listed below with its reason; a new one fails the test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tenlayer.inventory.scan import inventory_image
from tenlayer.model import Ecosystem, Inventory, Package
from tenlayer.sbom import render_cyclonedx, render_spdx
from tenlayer.sbom.read import read_sbom, read_sbom_input
from tenlayer.vulndb.match import os_ecosystems
from tenlayer.vulndb.names import normalize_name
from tests.support.fixtures import fixture

pytestmark = [pytest.mark.peers, pytest.mark.integration]

BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"
Key = tuple[str, str, str]  # ecosystem, name, version

SYFT_FORMATS = {"syft-cyclonedx": "cyclonedx-json", "syft-spdx": "spdx-json",
                "syft-spdx-tag-value": "spdx-tag-value"}
TRIVY_FORMATS = {"trivy-cyclonedx": "cyclonedx", "trivy-spdx": "spdx-json"}
PRODUCERS = ["tenlayer-cyclonedx", "tenlayer-spdx", *SYFT_FORMATS, *TRIVY_FORMATS]

# Differences on the application image, each with its reason. Keyed by producer prefix.
TRIVY_RPM_AS_DEB = (
    "trivy files the rpmdb's packages under the detected OS (debian) as debs "
    "(pkg:deb/debian/tl-epoch); they are rpm packages in /var/lib/rpm/rpmdb.sqlite "
    "(tests/peers/test_inventory_accuracy.py lists the same for trivy's own report)"
)
ONLY_IN_SBOM: dict[str, dict[Key, str]] = {
    "trivy": {
        ("deb", "tl-epoch", "2:0.9-1"): TRIVY_RPM_AS_DEB,
        ("deb", "tl-hello", "1.0.0-1"): TRIVY_RPM_AS_DEB,
        ("deb", "tl-world", "2.3.4-5"): TRIVY_RPM_AS_DEB,
    },
}
ONLY_IN_IMAGE: dict[str, dict[Key, str]] = {
    "trivy": {
        ("rpm", "tl-epoch", "2:0.9-1"): "the rpm view of the package trivy files as a deb",
        ("rpm", "tl-hello", "1.0.0-1"): "the rpm view of the package trivy files as a deb",
        ("rpm", "tl-world", "2.3.4-5"): "the rpm view of the package trivy files as a deb",
        ("maven", "com.example:hello", "1.2.3"): "offline, trivy cannot analyse jars (it "
        "needs its Java database), so the SBOMs are made with --skip-files '**/*.jar'",
    },
}
ONLY_IN_SBOM_SOURCES: dict[str, dict[tuple[str, str], str]] = {
    "trivy": {(name, version): TRIVY_RPM_AS_DEB for _, name, version in ONLY_IN_SBOM["trivy"]},
}
TRIVY_DEBIAN_RELEASE = (
    "trivy reads /etc/debian_version (12.15) where tenlayer and syft read os-release's "
    "VERSION_ID (12); both are Debian:12 to the matcher"
)


def normalize(ecosystem: str, name: str) -> str:
    """PyPI names compare after PEP 503: Syft lower-cases them (`jinja2` for `Jinja2`)."""
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def package_set(inventory: Inventory) -> set[Key]:
    return {(p.ecosystem.value, normalize(p.ecosystem.value, p.name), p.version)
            for p in inventory.packages}


def sources(inventory: Inventory) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """OS package (name, version) -> (source name, source version): what matching uses."""
    return {(p.name, p.version): (p.source_name, p.source_version)
            for p in inventory.packages if p.ecosystem.is_os}


class _AnyEcosystem(frozenset[str]):
    def __contains__(self, item: object) -> bool:
        return True


NATIVE = {"debian": Ecosystem.DEB, "ubuntu": Ecosystem.DEB, "alpine": Ecosystem.APK}
"""Each distribution's package manager: the app image's rpm packages are foreign to it."""
LANGUAGE_KEYS = {Ecosystem.PYPI: "PyPI", Ecosystem.NPM: "npm", Ecosystem.GO: "Go",
                 Ecosystem.MAVEN: "Maven"}


def lookups(inventory: Inventory) -> set[tuple[str, str, str]]:
    """What `vulndb.match.match_inventory` asks the store for: (ecosystem, name, version)."""
    os_keys = os_ecosystems(inventory.os, _AnyEcosystem())
    asked: set[tuple[str, str, str]] = set()
    native = NATIVE.get(inventory.os.family) if inventory.os else None
    for package in inventory.packages:
        if package.ecosystem.is_os:
            if package.ecosystem is not native:
                continue  # matched against no advisory (the matcher says so in a warning)
            for key in os_keys:
                asked.add((key, normalize_name(key, package.source_name or package.name),
                           package.source_version or package.version))
        elif not package.owned_by:
            key = LANGUAGE_KEYS[package.ecosystem]
            asked.add((key, normalize_name(key, package.name), package.version))
    return asked


@cache
def image_inventory(name: str) -> Inventory:
    return inventory_image(str(fixture(name).docker_archive))


@cache
def _peer_sboms(name: str, directory: Path) -> dict[str, Path]:
    image = fixture(name).docker_archive
    paths = {producer: directory / f"{name}.{producer}" for producer in PRODUCERS}
    inventory = image_inventory(name)
    paths["tenlayer-cyclonedx"].write_bytes(render_cyclonedx(inventory))
    paths["tenlayer-spdx"].write_bytes(render_spdx(inventory))
    outputs = [arg for producer, kind in SYFT_FORMATS.items()
               for arg in ("-o", f"{kind}={paths[producer]}")]
    subprocess.run(
        [str(BIN / "syft"), "-q", f"docker-archive:{image}", *outputs],
        check=True, timeout=300, capture_output=True,
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    )
    for producer, kind in TRIVY_FORMATS.items():
        subprocess.run(
            [str(BIN / "trivy"), "image", "--input", str(image), "--format", kind,
             "--output", str(paths[producer]), "--skip-db-update", "--skip-check-update",
             "--offline-scan", "--scanners", "", "-q", "--skip-files", "**/*.jar"],
            check=True, timeout=300, capture_output=True,
            env={**os.environ, "TRIVY_CACHE_DIR": str(directory / "trivy-cache"),
                 "TRIVY_DISABLE_TELEMETRY": "true", "TRIVY_SKIP_VERSION_CHECK": "true"},
        )
    return paths


@pytest.fixture(scope="module")
def sbom_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for tool in ("syft", "trivy"):
        if not (BIN / tool).exists():
            pytest.skip(f"{tool} is not installed in .venv (pip install -e '.[dev]')")
    yield tmp_path_factory.mktemp("peer-sboms")
    _peer_sboms.cache_clear()


def sbom(name: str, producer: str, directory: Path) -> Path:
    return _peer_sboms(name, directory)[producer]


def tool(producer: str) -> str:
    return producer.split("-", 1)[0]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_debian_packages_sources_and_release(producer: str, sbom_dir: Path) -> None:
    """The Debian image: the same packages, and exactly the same source packages."""
    image = image_inventory("debian")
    read = read_sbom_input(sbom("debian", producer, sbom_dir))
    assert read.producer == tool(producer)
    inventory = read.inventory
    assert inventory.image.source_kind == "sbom"
    assert inventory.warnings == ()
    assert package_set(inventory) == package_set(image)
    assert sources(inventory) == sources(image)
    assert len(sources(image)) >= 88
    renamed = {k for k, (source, _) in sources(image).items() if source != k[0]}
    assert len(renamed) >= 50  # libc6 -> glibc, bsdutils -> util-linux, ...
    assert inventory.os is not None and image.os is not None
    assert inventory.os.family == image.os.family == "debian"
    if tool(producer) == "trivy":
        assert (image.os.version_id, inventory.os.version_id) == ("12", "12.15"), (
            TRIVY_DEBIAN_RELEASE
        )
    else:
        assert inventory.os.version_id == image.os.version_id
    assert lookups(inventory) == lookups(image)


@pytest.mark.parametrize("producer", PRODUCERS)
def test_app_packages_and_sources(producer: str, sbom_dir: Path) -> None:
    image = image_inventory("app")
    inventory = read_sbom(sbom("app", producer, sbom_dir))
    assert inventory.warnings == ()
    ours, theirs = package_set(image), package_set(inventory)
    only_sbom = {k: ONLY_IN_SBOM.get(tool(producer), {}).get(k, "UNEXPLAINED")
                 for k in theirs - ours}
    only_image = {k: ONLY_IN_IMAGE.get(tool(producer), {}).get(k, "UNEXPLAINED")
                  for k in ours - theirs}
    assert "UNEXPLAINED" not in {*only_sbom.values(), *only_image.values()}, (
        only_sbom, only_image,
    )
    assert len(ours & theirs) >= 280
    image_sources, sbom_sources = sources(image), sources(inventory)
    for key, source in sbom_sources.items():
        if key in ONLY_IN_SBOM_SOURCES.get(tool(producer), {}):
            continue
        assert image_sources[key] == source, key
    # every Go module, PyPI and npm package is asked for as the image scan asks for it
    language = {k for k in lookups(image) if k[0] in ("Go", "PyPI", "npm")}
    assert language <= lookups(inventory)


@pytest.mark.parametrize("producer", ["tenlayer-cyclonedx", "tenlayer-spdx"])
@pytest.mark.parametrize("name", ["debian", "app"])
def test_tenlayer_sboms_read_back_to_the_inventory(
    name: str, producer: str, sbom_dir: Path
) -> None:
    """tenlayer's own SBOMs carry everything: each package comes back field for field.

    Licenses aside: the writers respell some of them (spdx-tools' licensing table turns
    Debian's bare `GPL` into `GPL-1.0-or-later`; cyclonedx-python-lib sorts a package's
    licenses), and matching does not use them. test_read_roundtrip.py checks that licenses
    the writers keep as they are come back exactly.
    """
    image = image_inventory(name)
    inventory = read_sbom(sbom(name, producer, sbom_dir))

    def unlicensed(inventory: Inventory) -> list[Package]:
        return sorted((replace(p, licenses=()) for p in inventory.packages), key=repr)

    assert unlicensed(inventory) == unlicensed(image)
    assert inventory.image.config_digest == image.image.config_digest
    assert inventory.image.repo_tags == image.image.repo_tags
    assert inventory.image.platform == image.image.platform


@pytest.mark.parametrize("producer", [p for p in PRODUCERS if not p.startswith("tenlayer")])
def test_peer_files_and_layers(producer: str, sbom_dir: Path) -> None:
    """Where a package was found and the layer (diff-id) that added it, when the peer says.

    Syft's SPDX names no layer for a package (only its files do); Trivy names no database
    file for OS packages.
    """
    image = {(p.ecosystem.value, p.name, p.version): p for p in image_inventory("app").packages}
    inventory = read_sbom(sbom("app", producer, sbom_dir))
    compared = 0
    for package in inventory.packages:
        ours = image.get((package.ecosystem.value, package.name, package.version))
        if ours is None:
            continue
        if package.found_in:
            assert _same_file(package.found_in, ours.found_in), (package, ours)
            compared += 1
        if package.layer_digest:
            assert package.layer_digest == ours.layer_digest, package
    assert compared >= 190


def _same_file(theirs: str, ours: str) -> bool:
    """Syft and Trivy name a Python package by its METADATA, as tenlayer does, or its
    .dist-info directory's other files; npm by package.json; the rest by the same file."""
    return theirs == ours or theirs.rpartition("/")[0] == ours.rpartition("/")[0]


def test_syft_ownership_of_debian_python_packages(tmp_path: Path) -> None:
    """A Python package that a deb installed is `owned_by` it, as tenlayer's analyzer says:
    from Syft's SPDX ownership-by-file-overlap relationship, and from the dist-packages
    path in Syft's CycloneDX (which drops that relationship)."""
    if not (BIN / "syft").exists():
        pytest.skip("syft is not installed in .venv")
    root = _deb_with_python(tmp_path / "root")
    image = inventory_image(str(root))
    expected = {(p.name, p.owned_by) for p in image.packages if p.ecosystem is Ecosystem.PYPI}
    assert expected == {("six", "deb:python3-six")}
    outputs = {"cyclonedx-json": tmp_path / "sbom.cdx.json",
               "spdx-json": tmp_path / "sbom.spdx.json"}
    subprocess.run(
        [str(BIN / "syft"), "-q", f"dir:{root}",
         *[a for kind, path in outputs.items() for a in ("-o", f"{kind}={path}")]],
        check=True, timeout=300, capture_output=True,
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    )
    for path in outputs.values():
        inventory = read_sbom(path)
        found = {(p.name, p.owned_by) for p in inventory.packages
                 if p.ecosystem is Ecosystem.PYPI}
        assert found == expected, path.name
        assert lookups(inventory) == lookups(image)


def _deb_with_python(root: Path) -> Path:
    dist_info = root / "usr/lib/python3/dist-packages/six-1.16.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n")
    (root / "usr/lib/python3/dist-packages/six.py").write_text("x = 1\n")
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(
        "Package: python3-six\nStatus: install ok installed\nArchitecture: all\n"
        "Source: six\nVersion: 1.16.0-4\nMaintainer: Debian Python Team <x@example.org>\n"
        "Description: Python 2 and 3 compatibility library\n\n"
    )
    files = ["usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
             "usr/lib/python3/dist-packages/six.py"]
    (info / "python3-six.list").write_text("".join(f"/{f}\n" for f in files))
    (info / "python3-six.md5sums").write_text("".join(f"{'0' * 32}  {f}\n" for f in files))
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    return root


@pytest.mark.parametrize("producer", PRODUCERS)
def test_every_purl_parses_as_packageurl_python_parses_it(producer: str, sbom_dir: Path) -> None:
    """tenlayer's reader parses purls itself (for speed); packageurl-python is the oracle."""
    from packageurl import PackageURL

    from tenlayer.sbom.read_purl import parse_purl

    text = sbom("app", producer, sbom_dir).read_text()
    found = re.findall(r'(?:"purl": ?"|"referenceLocator": ?"|PACKAGE-MANAGER purl )(pkg:[^"\s]+)',
                       text)
    purls = {json.loads(f'"{purl}"') for purl in found}
    assert len(purls) > 280
    for purl in purls:
        try:
            expected = PackageURL.from_string(purl)
        except ValueError:
            assert purl.startswith("pkg:oci/"), purl  # Syft's `pkg:oci//path@digest?arch=`
            continue
        parsed = parse_purl(purl)
        assert parsed is not None, purl
        assert (parsed.type, parsed.namespace, parsed.name, parsed.version, parsed.subpath) == (
            expected.type, expected.namespace or "", expected.name, expected.version or "",
            expected.subpath or ""), purl
        assert parsed.qualifiers == expected.qualifiers, purl


# -- matching: the findings an SBOM gives are the findings its image gives ----------------

def advisories_for(image: Inventory) -> list[Any]:
    """Advisories made for one image: for every package the matcher looks up, one advisory
    it is affected by (fixed just above its version), one fixed at its version and one
    introduced above it (neither affects it), and one listing its version exactly. A
    package read back with another name, source, release or version spelling than the
    image scan's changes the matches."""
    from tenlayer.vulndb.records import (
        Advisory,
        Affected,
        AffectedRange,
        Event,
        EventKind,
        RangeType,
    )

    advisories = []
    for ecosystem, name, version in sorted(lookups(image)):
        base = ecosystem.partition(":")[0]
        bound = version
        kind = RangeType.ECOSYSTEM
        if base == "Go":
            kind, bound = RangeType.SEMVER, version.removeprefix("go").removeprefix("v")
        above = {"Go": f"{bound}-0.tl", "PyPI": f"{bound}.post1", "npm": f"{bound}-tl",
                 "Maven": f"{bound}.1"}.get(base, f"{bound}+tl1")
        if base == "Go":
            above = _semver_above(bound)
        ranges = {
            "affected": (Event(EventKind.INTRODUCED, "0"), Event(EventKind.FIXED, above)),
            "fixed-at": (Event(EventKind.INTRODUCED, "0"), Event(EventKind.FIXED, bound)),
            "introduced-above": (Event(EventKind.INTRODUCED, above),),
        }
        for label, events in ranges.items():
            advisories.append(Advisory(
                id=f"TEST-{ecosystem}-{name}-{label}", modified="2026-01-01T00:00:00Z",
                affected=(Affected(ecosystem=ecosystem, name=name,
                                   ranges=(AffectedRange(kind, events),)),),
            ))
        advisories.append(Advisory(
            id=f"TEST-{ecosystem}-{name}-listed", modified="2026-01-01T00:00:00Z",
            affected=(Affected(ecosystem=ecosystem, name=name, versions=(version,)),),
        ))
    return advisories


_DATABASES: dict[str, Path] = {}


def database_for(name: str, image: Inventory, directory: Path) -> Path:
    """A real vulnerability database holding `advisories_for(image)`, built once per image."""
    from tenlayer.vulndb.store import build_database

    if name not in _DATABASES:
        path = directory / f"{name}.sqlite"
        build_database(advisories_for(image), path)
        _DATABASES[name] = path
    return _DATABASES[name]


def _semver_above(version: str) -> str:
    """The next patch release: 1.23.4 -> 1.23.5; 3.5.3-0.2024… (a pseudo-version) -> 3.5.3."""
    core, dash, _ = version.partition("-")
    if dash:
        return core
    major, minor, patch = [*core.split("."), "0", "0"][:3]
    return f"{major}.{minor}.{int(re.sub(r'[^0-9].*', '', patch) or 0) + 1}"


def findings(inventory: Inventory, database: Path) -> set[tuple[str, str, str, str]]:
    from tenlayer.vulndb.match import match_inventory
    from tenlayer.vulndb.store import VulnDatabase

    with VulnDatabase(database) as index:
        report = match_inventory(inventory, index)
    assert [w for w in report.warnings if " on a debian image: " not in w] == []
    return {(m.vulnerability.id, normalize(m.package.ecosystem.value, m.package.name),
             m.package.version, m.status.value) for m in report.matches}


MATCH_ONLY_IN_IMAGE = {
    "trivy": {"com.example:hello": "the jar trivy cannot read offline (see ONLY_IN_IMAGE)"},
}


@pytest.mark.parametrize("name", ["debian", "app"])
@pytest.mark.parametrize("producer", PRODUCERS)
def test_sbom_scan_finds_what_image_scan_finds(name: str, producer: str,
                                               sbom_dir: Path) -> None:
    image = image_inventory(name)
    index = database_for(name, image, sbom_dir)
    expected = findings(image, index)
    assert len(expected) >= 2 * len(lookups(image))  # `affected` and `listed` for each
    found = findings(read_sbom(sbom(name, producer, sbom_dir)), index)
    explained = MATCH_ONLY_IN_IMAGE.get(tool(producer), {})
    missing = {f for f in expected - found if f[1] not in explained}
    assert missing == set()
    assert found - expected == set()
