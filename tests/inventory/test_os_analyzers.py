"""dpkg, apk and os-release analyzers on exact inputs; ownership of language packages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenlayer.image.walker import AnalysisFailed
from tenlayer.inventory.apk import ApkAnalyzer
from tenlayer.inventory.dpkg import DpkgAnalyzer, parse_status
from tenlayer.inventory.osrelease import OSReleaseAnalyzer
from tenlayer.inventory.scan import inventory_image
from tenlayer.model import Ecosystem
from tests.support.images import DPKG_STATUS, OS_RELEASE, Layer, write_oci_layout


class Content:
    def __init__(self, data: bytes | str) -> None:
        self._data = data.encode() if isinstance(data, str) else data
        self.size = len(self._data)

    def read(self, n: int = -1) -> bytes:
        data, self._data = (self._data, b"") if n < 0 else (self._data[:n], self._data[n:])
        return data


def test_dpkg_status_fields() -> None:
    status = DPKG_STATUS + """
Package: gcc-12-base
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14+deb12u1

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

Package: half
Status: install ok not-installed
Version: 2.0
"""
    packages = parse_status(status.encode(), "var/lib/dpkg/status")
    assert [(p.name, p.version, p.source_name, p.source_version, p.arch) for p in packages] == [
        ("libc6", "2.36-9+deb12u7", "glibc", "2.36-9+deb12u7", "amd64"),
        ("bash", "5.2.15-2+b7", "bash", "5.2.15-2+b7", "amd64"),
        ("gcc-12-base", "12.2.0-14+deb12u1", "gcc-12", "12.2.0-14", "amd64"),
    ]
    assert all(p.ecosystem is Ecosystem.DEB for p in packages)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Package: a\nVersion 1\n", "paragraph 1: line 'Version 1'"),
        (b"Version: 1\nStatus: install ok installed\n", "paragraph 1 has no Package"),
        (b"Package: a\nStatus: install ok installed\n", "package a has no Version"),
        (b"Package: a\nVersion: 1\nSource: x (1\n", "package a: Source 'x (1'"),
    ],
)
def test_corrupt_dpkg_status(data: bytes, message: str) -> None:
    with pytest.raises(AnalysisFailed, match=f"dpkg database is corrupt .*{re.escape(message)}"):
        parse_status(data, "var/lib/dpkg/status")


def test_dpkg_wants_exactly_its_files() -> None:
    analyzer = DpkgAnalyzer()
    wanted = [
        "var/lib/dpkg/status",
        "var/lib/dpkg/status.d/base-files",
        "var/lib/dpkg/info/libc6:amd64.list",
        "usr/share/doc/bash/copyright",
    ]
    unwanted = [
        "var/lib/dpkg/status-old",
        "var/lib/dpkg/status.d/base-files.md5sums",
        "var/lib/dpkg/info/libc6.md5sums",
        "usr/share/doc/bash/examples/copyright",
        "usr/share/doc/bash/changelog.gz",
    ]
    assert [analyzer.wants(p, 0o644, 10) for p in wanted] == [True] * 4
    assert [analyzer.wants(p, 0o644, 10) for p in unwanted] == [False] * 5


def test_copyright_licenses_and_distroless_status_d(tmp_path: Path) -> None:
    copyright_text = (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nLicense: GPL-2+\n\nFiles: lib/*\nLicense: LGPL-2.1 or BSD-3-clause\n"
        "On Debian systems see /usr/share/common-licenses/GPL-2.\n"
    )
    layers = [
        Layer()
        .file("etc/os-release", OS_RELEASE)
        .file("var/lib/dpkg/status.d/libc6", DPKG_STATUS.split("\n\n")[0] + "\n")
        .file("var/lib/dpkg/status.d/libc6.md5sums", "abc  lib/libc.so.6\n")
        .file("usr/share/doc/libc6/copyright", copyright_text)
    ]
    write_oci_layout(tmp_path / "oci", layers)
    [libc] = inventory_image(str(tmp_path / "oci")).packages
    assert libc.found_in == "var/lib/dpkg/status.d/libc6"
    assert libc.licenses == ("BSD-3-Clause", "GPL-2.0-only", "GPL-2.0-or-later", "LGPL-2.1-only")
    assert libc.purl == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12&upstream=glibc"
    )


def test_python_package_owned_by_dpkg(tmp_path: Path) -> None:
    six_list = (
        "/.\n/usr\n/usr/lib/python3/dist-packages\n"
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info\n"
        "/usr/lib/python3/dist-packages/six.py\n"
    )
    layers = [
        Layer()
        .file("var/lib/dpkg/info/python3-six.list", six_list)
        .file("usr/lib/python3/dist-packages/six-1.16.0.egg-info",
              "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n")
        .file("usr/local/lib/python3.11/dist-packages/idna-3.7.dist-info/METADATA",
              "Metadata-Version: 2.1\nName: idna\nVersion: 3.7\n")
    ]
    write_oci_layout(tmp_path / "oci", layers)
    found = {p.name: p.owned_by for p in inventory_image(str(tmp_path / "oci")).packages}
    assert found == {"idna": None, "six": "deb:python3-six"}


APK_INSTALLED = """\
C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
L:MIT
o:musl
F:lib
R:ld-musl-x86_64.so.1
R:libc.musl-x86_64.so.1

P:busybox-binsh
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox
F:bin
R:sh
"""


def test_apk_installed_database() -> None:
    result = ApkAnalyzer().analyze("lib/apk/db/installed", Content(APK_INSTALLED))
    assert result is not None
    assert [(p.name, p.version, p.source_name, p.arch, p.licenses) for p in result.packages] == [
        ("musl", "1.2.4-r2", "musl", "x86_64", ("MIT",)),
        ("busybox-binsh", "1.36.1-r15", "busybox", "x86_64", ("GPL-2.0-only",)),
    ]
    assert result.owned_files == {
        "lib/ld-musl-x86_64.so.1": "apk:musl",
        "lib/libc.musl-x86_64.so.1": "apk:musl",
        "bin/sh": "apk:busybox-binsh",
    }


def test_apk_corrupt_database() -> None:
    with pytest.raises(AnalysisFailed, match="apk database is corrupt .*lacks a package name"):
        ApkAnalyzer().analyze("lib/apk/db/installed", Content("C:Q1=\nV:1.0\n"))
    with pytest.raises(AnalysisFailed, match=r"apk database is corrupt \(entry 1: line 'garbage'"):
        ApkAnalyzer().analyze("lib/apk/db/installed", Content("garbage\n"))


def test_alpine_image_purls(tmp_path: Path) -> None:
    os_release = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'
    layers = [
        Layer().file("etc/os-release", os_release).file("lib/apk/db/installed", APK_INSTALLED)
    ]
    write_oci_layout(tmp_path / "oci", layers)
    inventory = inventory_image(str(tmp_path / "oci"))
    assert [p.purl for p in inventory.packages] == [
        "pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1&upstream=busybox",
        "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
    ]


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("etc/os-release", OS_RELEASE, ("debian", "12", "Debian GNU/Linux 12 (bookworm)")),
        ("usr/lib/os-release", 'ID="rhel"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat"\n',
         ("rhel", "9.4", "Red Hat")),
        ("etc/alpine-release", "3.20.2\n", ("alpine", "3.20.2", "3.20.2")),
        ("etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n",
         ("rocky", "9.3", "Rocky Linux release 9.3 (Blue Onyx)")),
        ("etc/debian_version", "12.15\n", ("debian", "12.15", "12.15")),
    ],
)
def test_os_identity(path: str, text: str, expected: tuple[str, str, str]) -> None:
    result = OSReleaseAnalyzer().analyze(path, Content(text))
    assert result is not None and result.os is not None
    assert (result.os.family, result.os.version_id, result.os.pretty_name) == expected


def test_os_release_wins_over_debian_version(tmp_path: Path) -> None:
    layers = [Layer().file("etc/debian_version", "12.15\n").file("usr/lib/os-release", OS_RELEASE)]
    write_oci_layout(tmp_path / "oci", layers)
    os_info = inventory_image(str(tmp_path / "oci")).os
    assert os_info is not None
    assert (os_info.version_id, os_info.found_in) == ("12", "usr/lib/os-release")
