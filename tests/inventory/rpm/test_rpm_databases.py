"""The rpm analyzer reads what rpm reads, from every database format rpm has used.

rpm itself is the oracle: `rpm -qa` on the SQLite database and, through its read-only
`bdb_ro` backend, on each Berkeley DB file; `db5.3_dump` (libdb) for the records of the
checksummed Berkeley DB file that `bdb_ro` cannot open.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from tenlayer.image.open import open_image
from tenlayer.image.walker import walk
from tenlayer.inventory.assemble import assemble
from tenlayer.inventory.osrelease import OSReleaseAnalyzer
from tenlayer.inventory.python import PythonPackageAnalyzer
from tenlayer.inventory.result import AnalysisResult
from tenlayer.inventory.rpm import DB_PATHS, RpmAnalyzer, bdb, ndb, read_headers, sqlite
from tenlayer.model import Ecosystem, Package
from tests.inventory.rpm import rpmtools
from tests.inventory.rpm.conftest import BDB_VARIANTS, RpmDbs
from tests.inventory.rpm.rpmtools import QueriedPackage
from tests.support.images import Layer, write_oci_layout

_SOURCE_RPM = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+)\.[^.]+\.rpm$")
DB = "usr/lib/sysimage/rpm/rpmdb.sqlite"


class _Content:
    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._data = data

    def read(self, n: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data


def analyze(path: Path, as_path: str = DB, analyzer: RpmAnalyzer | None = None) -> AnalysisResult:
    result = (analyzer or RpmAnalyzer()).analyze(as_path, _Content(path.read_bytes()))
    assert result is not None
    return result


def expected_package(q: QueriedPackage, found_in: str) -> Package:
    epoch = f"{q.epoch}:" if q.epoch is not None else ""
    source_name = source_version = None
    if q.source_rpm:
        match = _SOURCE_RPM.match(q.source_rpm)
        assert match, q.source_rpm
        source_name = match["name"]
        source_version = f"{epoch}{match['version']}-{match['release']}"
    return Package(
        name=q.name,
        version=f"{epoch}{q.version}-{q.release}",
        ecosystem=Ecosystem.RPM,
        purl="",
        found_in=found_in,
        licenses=(q.license,) if q.license else (),
        source_name=source_name,
        source_version=source_version,
        arch=q.arch,
    )


def expected_owners(oracle: list[QueriedPackage]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for q in sorted(oracle, key=lambda q: q.name):
        for path in q.files:
            owners.setdefault(path.lstrip("/"), f"rpm:{q.name}")
    return owners


def test_the_fixture_holds_what_it_was_built_with(rpmdbs: RpmDbs) -> None:
    oracle = {q.name: q for q in rpmdbs.oracle()}
    assert sorted(oracle) == ["alpha", "big", "gpg-pubkey", "meta", "plain", "plain-libs", "zero"]
    assert len(oracle["big"].files) == 400
    assert oracle["meta"].files == ()


@pytest.mark.parametrize("variant", ["sqlite", *(v for v in BDB_VARIANTS if v != "bdb-chksum")])
def test_packages_and_files_match_rpm(rpmdbs: RpmDbs, variant: str) -> None:
    path = rpmdbs.sqlite if variant == "sqlite" else rpmdbs.bdb(variant)
    found_in = "var/lib/rpm/Packages" if variant != "sqlite" else DB
    oracle = rpmdbs.oracle(variant)
    result = analyze(path, found_in)
    assert sorted(result.packages, key=Package.sort_key) == sorted(
        (expected_package(q, found_in) for q in oracle), key=Package.sort_key
    )
    assert result.owned_files == expected_owners(oracle)
    assert result.os is None and result.warnings == ()


def test_ndb_holds_the_same_packages_as_the_sqlite_it_was_made_from(rpmdbs: RpmDbs) -> None:
    from_ndb = analyze(rpmdbs.ndb, "usr/lib/sysimage/rpm/Packages.db")
    from_sqlite = analyze(rpmdbs.sqlite)
    assert [p.name for p in sorted(from_ndb.packages, key=Package.sort_key)] == sorted(
        q.name for q in rpmdbs.oracle()
    )
    assert {
        (p.name, p.version, p.arch, p.source_name, p.source_version, p.licenses)
        for p in from_ndb.packages
    } == {
        (p.name, p.version, p.arch, p.source_name, p.source_version, p.licenses)
        for p in from_sqlite.packages
    }
    assert from_ndb.owned_files == from_sqlite.owned_files
    blobs = rpmtools.export_blobs(rpmdbs.sqlite)
    assert list(ndb.read_blobs(rpmdbs.ndb.read_bytes())) == blobs


@pytest.mark.parametrize("variant", list(BDB_VARIANTS))
def test_berkeley_db_records_match_libdb(rpmdbs: RpmDbs, variant: str) -> None:
    path = rpmdbs.bdb(variant)
    ours = sorted(bdb.read_blobs(path.read_bytes()))
    assert ours == rpmtools.dump_bdb(path)
    assert ours == rpmtools.export_blobs(rpmdbs.sqlite)


def test_sqlite_records_are_read_from_memory_in_wal_mode(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.sqlite.read_bytes()
    assert data[18:20] == b"\x02\x02"  # rpm leaves its database in WAL mode
    assert list(sqlite.read_blobs(data)) == rpmtools.export_blobs(rpmdbs.sqlite)
    assert sorted(p.name for p in rpmdbs.sqlite.parent.iterdir()) == ["rpmdb.sqlite"]


def test_versions_epochs_sources_and_arches(rpmdbs: RpmDbs) -> None:
    packages = {p.name: p for p in analyze(rpmdbs.sqlite).packages}
    alpha = packages["alpha"]
    assert (alpha.version, alpha.source_name, alpha.source_version) == (
        "2:1.2-3.el9",
        "alpha",
        "2:1.2-3.el9",
    )
    assert alpha.licenses == ("MIT AND GPL-2.0-or-later",)
    assert packages["zero"].version == "0:0.9-1.fc40"  # an epoch of 0 is written (as Syft)
    libs = packages["plain-libs"]
    assert (libs.version, libs.arch, libs.source_name, libs.source_version) == (
        "5.1.8-6.el9",
        "x86_64",
        "plain",
        "5.1.8-6.el9",
    )
    assert libs.licenses == ("LGPL-2.1-or-later",)
    key = packages["gpg-pubkey"]
    assert (key.version, key.arch, key.source_name, key.licenses) == (
        "959c4894-6b0837b0",
        None,
        None,
        ("pubkey",),
    )


def test_owned_files(rpmdbs: RpmDbs) -> None:
    owned = analyze(rpmdbs.sqlite).owned_files
    assert owned["usr/share/alpha/with space.txt"] == "rpm:alpha"
    assert owned["usr/share/alpha/ünïcödé.txt"] == "rpm:alpha"
    assert owned["usr/lib/python3.9/site-packages/alpha-1.2.dist-info"] == "rpm:alpha"
    assert owned["usr/lib64/libplain.so"] == "rpm:plain-libs"
    assert owned["usr/share/doc/plain"] == "rpm:plain"  # shared: the first by name
    assert sum(1 for owner in owned.values() if owner == "rpm:big") == 400
    assert not any(path.startswith("/") for path in owned)
    assert "rpm:gpg-pubkey" not in owned.values() and "rpm:meta" not in owned.values()


def test_gpg_pubkeys_can_be_left_out(rpmdbs: RpmDbs) -> None:
    result = analyze(rpmdbs.sqlite, analyzer=RpmAnalyzer(skip_gpg_pubkeys=True))
    assert "gpg-pubkey" not in {p.name for p in result.packages}
    assert len(result.packages) == 6


def test_wants_the_database_paths_only() -> None:
    analyzer = RpmAnalyzer()
    for directory in ("var/lib/rpm/", "usr/lib/sysimage/rpm/"):
        for name in ("Packages", "Packages.db", "rpmdb.sqlite"):
            assert analyzer.wants(directory + name, 0o644, 100)
    for path in (
        "var/lib/rpm/Name",
        "var/lib/rpm/rpmdb.sqlite-wal",
        "/var/lib/rpm/Packages",
        "usr/lib/rpm/Packages",
        "var/lib/rpm/Packages.bak",
    ):
        assert not analyzer.wants(path, 0o644, 100)
    assert len(DB_PATHS) == 6
    assert analyzer.max_file_size == 1 << 30


def test_an_empty_file_is_an_empty_database() -> None:
    assert RpmAnalyzer().analyze("var/lib/rpm/Packages", _Content(b"")) is None


def test_format_is_told_by_content_not_name(rpmdbs: RpmDbs) -> None:
    result = analyze(rpmdbs.bdb("bdb-le"), "usr/lib/sysimage/rpm/rpmdb.sqlite")
    assert len(result.packages) == 7
    assert {p.found_in for p in result.packages} == {"usr/lib/sysimage/rpm/rpmdb.sqlite"}


def test_read_headers_gives_every_header(rpmdbs: RpmDbs) -> None:
    headers = read_headers(rpmdbs.ndb.read_bytes())
    big = next(h for h in headers if h.name == "big")
    assert big.epoch is None and big.arch == "noarch" and len(big.files) == 400
    assert big.source_rpm == "big-2024.1-7.src.rpm"


def test_through_the_layer_walker(rpmdbs: RpmDbs, tmp_path: Path) -> None:
    """An image whose second layer upgrades the database: the walker hands over the last."""
    first = Layer().file("var/lib/rpm/Packages", rpmdbs.bdb("bdb-le").read_bytes())
    second = Layer().file(DB, rpmdbs.sqlite.read_bytes()).whiteout("var/lib/rpm/Packages")
    built = write_oci_layout(tmp_path / "image", [first, second])
    opened = open_image(str(built.path))
    try:
        walked = walk(opened, [RpmAnalyzer()])
    finally:
        opened.close()
    assert list(walked.files) == [DB]
    (record,) = walked.files[DB]
    assert record.layer_index == 1
    assert len(record.result.packages) == 7


def test_ndb_written_by_rpm_itself() -> None:
    """A Packages.db from rpm's own ndb backend (see data/ndb/README.md)."""
    here = Path(__file__).parent / "data" / "ndb"
    oracle = [
        QueriedPackage(**{**entry, "files": tuple(entry["files"])})
        for entry in json.loads((here / "oracle.json").read_text(encoding="utf-8"))
    ]
    found_in = "usr/lib/sysimage/rpm/Packages.db"
    result = RpmAnalyzer().analyze(
        found_in, _Content(gzip.decompress((here / "Packages.db.gz").read_bytes()))
    )
    assert result is not None
    assert sorted(result.packages, key=Package.sort_key) == sorted(
        (expected_package(q, found_in) for q in oracle), key=Package.sort_key
    )
    assert result.owned_files == expected_owners(oracle)


def test_a_root_filesystem_installed_by_rpm(rpmdbs: RpmDbs, tmp_path: Path) -> None:
    """Files unpacked by rpm, the database beside them: the Python distribution that the
    `alpha` RPM installed is credited to it, and the purls come from os-release."""
    root = tmp_path / "rootfs"
    alpha = next(p for p in rpmdbs.rpms if p.name.startswith("alpha-"))
    rpmtools.install_rpms([alpha], Path("usr/lib/sysimage/rpm"), root=root)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc/os-release").write_text('ID="rhel"\nVERSION_ID="9.4"\nNAME="Red Hat"\n')
    assert (root / "usr/share/alpha/with space.txt").read_text() == "space\n"
    opened = open_image(f"rootfs:{root}")
    try:
        walked = walk(opened, [OSReleaseAnalyzer(), RpmAnalyzer(), PythonPackageAnalyzer()])
    finally:
        opened.close()
    inventory = assemble(opened.image, walked)
    packages = {(p.ecosystem, p.name): p for p in inventory.packages}
    rpm = packages[(Ecosystem.RPM, "alpha")]
    assert rpm.purl == ("pkg:rpm/redhat/alpha@1.2-3.el9?arch=noarch&distro=rhel-9.4&epoch=2")
    assert rpm.found_in == DB
    assert packages[(Ecosystem.PYPI, "alpha")].owned_by == "rpm:alpha"
