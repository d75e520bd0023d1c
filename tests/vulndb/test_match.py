"""The matcher on OSV records written for each rule, through a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tenlayer.model import (
    Ecosystem,
    FixStatus,
    Image,
    Inventory,
    OSInfo,
    Package,
    Severity,
)
from tenlayer.vulndb.match import match_inventory
from tenlayer.vulndb.osv import parse_record
from tenlayer.vulndb.store import VulnDatabase, build_database

DEBIAN = OSInfo(family="debian", version_id="12", pretty_name="Debian GNU/Linux 12")
IMAGE = Image("test", "oci-layout", "sha256:" + "1" * 64, None, "linux", "amd64")


def osv(ident: str, package: str, events: list[dict[str, str]], **fields: Any) -> dict[str, Any]:
    ecosystem = fields.pop("ecosystem", "PyPI")
    affected = {"package": {"ecosystem": ecosystem, "name": package},
                "ranges": [{"type": fields.pop("range_type", "ECOSYSTEM"), "events": events}]}
    affected.update(fields.pop("affected_extra", {}))
    return {"id": ident, "modified": "2024-01-01T00:00:00Z", "published": "2023-06-01T00:00:00Z",
            "affected": [affected], **fields}


@pytest.fixture
def database(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[VulnDatabase]:
    records = request.param
    path = tmp_path / "vulndb.sqlite"
    build_database([parse_record(r, "test") for r in records], path)
    with VulnDatabase(path) as db:
        yield db


def pypi(name: str, version: str, **fields: Any) -> Package:
    return Package(name, version, Ecosystem.PYPI, f"pkg:pypi/{name}@{version}",
                   f"site-packages/{name}-{version}.dist-info/METADATA", **fields)


def found(inventory: Inventory, db: VulnDatabase) -> list[tuple[str, str, str, str | None]]:
    return [
        (m.package.name, m.vulnerability.id, m.status.value, m.fixed_version)
        for m in match_inventory(inventory, db).matches
    ]


def inventory(*packages: Package, os_info: OSInfo | None = None) -> Inventory:
    return Inventory(IMAGE, os_info, packages)


RANGES = [
    osv("PYSEC-1", "demo", [{"introduced": "0"}, {"fixed": "1.2"}]),
    osv("PYSEC-2", "demo", [{"introduced": "2.0"}, {"fixed": "2.1"}, {"introduced": "3.0"}]),
    osv("PYSEC-3", "demo", [{"introduced": "1.0"}, {"last_affected": "1.5"}]),
    osv("PYSEC-4", "demo", [{"introduced": "0"}, {"limit": "1.1"}]),
    osv("PYSEC-5", "demo", [{"introduced": "0"}], range_type="GIT",
        affected_extra={"versions": ["0.9", "1.1"]}),
]


@pytest.mark.parametrize("database", [RANGES], indirect=True)
@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", [("PYSEC-1", "1.2"), ("PYSEC-4", None), ("PYSEC-5", None)]),
        ("1.1", [("PYSEC-1", "1.2"), ("PYSEC-3", None), ("PYSEC-5", None)]),
        ("1.2", [("PYSEC-3", None)]),
        ("1.5", [("PYSEC-3", None)]),
        ("1.5.1", []),
        ("2.0", [("PYSEC-2", "2.1")]),
        ("2.1", []),
        ("3.7", [("PYSEC-2", None)]),
    ],
)
def test_osv_range_semantics(
    database: VulnDatabase, version: str, expected: list[tuple[str, str | None]]
) -> None:
    hits = found(inventory(pypi("demo", version)), database)
    assert sorted((ident, fixed) for _, ident, _, fixed in hits) == expected


ALIASES = [
    osv("PYSEC-2023-74", "requests", [{"introduced": "0"}, {"fixed": "2.31.0"}],
        aliases=["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"]),
    osv("GHSA-j8r2-6x86-q33q", "requests", [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}],
        aliases=["CVE-2023-32681"], severity=[{"type": "CVSS_V3", "score":
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"}]),
    osv("PYSEC-0000-1", "requests", [{"introduced": "0"}, {"fixed": "9"}],
        withdrawn="2024-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("database", [ALIASES], indirect=True)
def test_aliases_merge_into_one_vulnerability_and_withdrawn_are_ignored(
    database: VulnDatabase,
) -> None:
    [match] = match_inventory(inventory(pypi("Requests", "2.25.1")), database).matches
    vulnerability = match.vulnerability
    assert vulnerability.id == "PYSEC-2023-74"
    assert vulnerability.aliases == ("CVE-2023-32681", "GHSA-j8r2-6x86-q33q")
    assert (vulnerability.severity, vulnerability.severity_source) == (
        Severity.MEDIUM, "CVSS:3.1 (GHSA)",
    )
    assert (match.status, match.fixed_version) == (FixStatus.FIXED, "2.31.0")


DISTRO = [
    osv("DEBIAN-CVE-2024-1", "glibc", [{"introduced": "0"}, {"fixed": "2.36-9+deb12u8"}],
        ecosystem="Debian:12", aliases=["CVE-2024-1"],
        affected_extra={"severity": [{"type": "rating", "score": "low"}]},
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]),
    osv("DEBIAN-CVE-2024-2", "glibc", [{"introduced": "0"}], ecosystem="Debian:12",
        aliases=["CVE-2024-2"]),
    osv("DEBIAN-CVE-2024-3", "glibc", [{"introduced": "0"}, {"fixed": "2.36-9+deb12u1"}],
        ecosystem="Debian:11", aliases=["CVE-2024-3"]),
    osv("PYSEC-2024-9", "six", [{"introduced": "0"}, {"fixed": "9"}]),
]


@pytest.mark.parametrize("database", [DISTRO], indirect=True)
def test_os_packages_match_by_source_package_in_their_release(database: VulnDatabase) -> None:
    libc = Package("libc6", "2.36-9+deb12u7+b1", Ecosystem.DEB, "", "var/lib/dpkg/status",
                   source_name="glibc", source_version="2.36-9+deb12u7", arch="amd64")
    six = pypi("six", "1.16.0", owned_by="deb:python3-six")
    hits = found(inventory(libc, six, os_info=DEBIAN), database)
    assert hits == [
        ("libc6", "CVE-2024-1", "fixed", "2.36-9+deb12u8"),
        ("libc6", "CVE-2024-2", "not-fixed", None),
    ]
    [first, _] = match_inventory(inventory(libc, os_info=DEBIAN), database).matches
    assert first.vulnerability.aliases == ("DEBIAN-CVE-2024-1",)
    # The distribution's urgency outranks NVD's 9.8 for an OS package.
    assert (first.vulnerability.severity, first.vulnerability.severity_source) == (
        Severity.LOW, "Debian urgency",
    )
    assert found(inventory(libc, os_info=None), database) == []  # unknown release: no guess


BAD_VERSION = [osv("PYSEC-7", "demo", [{"introduced": "0"}, {"fixed": "1.0"}])]


@pytest.mark.parametrize("database", [BAD_VERSION], indirect=True)
def test_unparseable_installed_version_is_a_warning(database: VulnDatabase) -> None:
    report = match_inventory(inventory(pypi("demo", "not a version!")), database)
    assert report.matches == []
    assert report.warnings == [
        "demo not a version!: invalid pep440 version 'not a version!': not a PEP 440 version"
    ]


CRATES = [osv("RUSTSEC-2024-1", "Smallvec", [{"introduced": "1.0.0"}, {"fixed": "1.6.1"}],
              ecosystem="crates.io")]


@pytest.mark.parametrize("database", [CRATES], indirect=True)
def test_crates_from_an_sbom_match_rustsec(database: VulnDatabase) -> None:
    crate = Package("smallvec", "1.6.0", Ecosystem.CARGO, "pkg:cargo/smallvec@1.6.0", "sbom")
    assert found(inventory(crate), database) == [("smallvec", "RUSTSEC-2024-1", "fixed", "1.6.1")]


@pytest.mark.parametrize("database", [BAD_VERSION], indirect=True)
def test_what_cannot_be_checked_is_said(database: VulnDatabase) -> None:
    libc = Package("libc6", "2.36-9", Ecosystem.DEB, "", "var/lib/dpkg/status",
                   source_name="glibc", source_version="2.36-9")
    rpm = Package("tl-hello", "1.0-1", Ecosystem.RPM, "", "var/lib/rpm/rpmdb.sqlite")
    npm = Package("left-pad", "1.0.0", Ecosystem.NPM, "pkg:npm/left-pad@1.0.0", "n/package.json")
    report = match_inventory(inventory(libc, rpm, npm, pypi("demo", "0.5"), os_info=DEBIAN),
                             database)
    assert [m.vulnerability.id for m in report.matches] == ["PYSEC-7"]
    assert report.warnings == [
        "the vulnerability database has no advisories for Debian:12: 1 deb package not checked",
        "the vulnerability database has no advisories for npm: 1 npm package not checked",
        "1 rpm package on a debian image: no debian advisories speak for them, not checked",
    ]


NOTICES = [
    osv("UBUNTU-CVE-2021-3782", "wayland", [{"introduced": "0"}, {"fixed": "1.20.0-1ubuntu0.1"}],
        ecosystem="Ubuntu:22.04:LTS", aliases=["CVE-2021-3782"]),
    osv("USN-5614-1", "wayland", [{"introduced": "0"}, {"fixed": "1.20.0-1ubuntu0.1"}],
        ecosystem="Ubuntu:22.04:LTS", upstream=["UBUNTU-CVE-2021-3782"]),
    osv("USN-9999-1", "wayland", [{"introduced": "0"}, {"fixed": "1.20.0-1ubuntu0.2"}],
        ecosystem="Ubuntu:22.04:LTS", upstream=["UBUNTU-CVE-2021-3782", "CVE-2099-1"]),
]


@pytest.mark.parametrize("database", [NOTICES], indirect=True)
def test_a_notice_whose_issues_are_all_reported_joins_them(database: VulnDatabase) -> None:
    ubuntu = OSInfo(family="ubuntu", version_id="22.04")
    wayland = Package("libwayland-client0", "1.20.0-1", Ecosystem.DEB, "", "var/lib/dpkg/status",
                      source_name="wayland", source_version="1.20.0-1")
    matches = match_inventory(inventory(wayland, os_info=ubuntu), database).matches
    assert [(m.vulnerability.id, m.vulnerability.aliases) for m in matches] == [
        ("CVE-2021-3782", ("UBUNTU-CVE-2021-3782", "USN-5614-1")),
        ("USN-9999-1", ()),  # it also fixes CVE-2099-1, not reported here: kept apart
    ]
