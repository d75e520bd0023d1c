"""Which feed a file or directory is, by content; and the feeds through the importer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tenlayer.vulndb.feeds import detect, sniff
from tests.vulndb.feeds.feedsupport import SAMPLES, samples

# Every sample file: the feed it belongs to (None: no reader reads it, and why).
FILES = {
    "alpine/input/secdb/v3.15/community.yaml": "alpine",
    "alpine/input/secdb/v3.15/main.yaml": "alpine",
    "debian/input/debian.json": "debian",
    "debian/input/DSA": "debian-advisory-list",  # read beside debian.json
    "debian/input/legacy/vulnerabilities-debian:7-0.json": None,  # vunnel's own output
    "wolfi/input/secdb/security.json": "wolfi",
    "ubuntu/osv/cve/2013/UBUNTU-CVE-2013-2208.json": "ubuntu",
    "ubuntu/osv/cve/2016/UBUNTU-CVE-2016-20013.json": "ubuntu",
    "ubuntu/osv/cve/2020/UBUNTU-CVE-2020-36325.json": "ubuntu",
    "ubuntu/osv/cve/2021/UBUNTU-CVE-2021-3782.json": "ubuntu",
    "ubuntu/osv/cve/2026/UBUNTU-CVE-2026-1403.json": "ubuntu",
    "ubuntu/osv/usn/USN-5614-1.json": "ubuntu",
    "ubuntu/osv-esm-cases/cve/2014/UBUNTU-CVE-2014-2901.json": "ubuntu",
    "ubuntu/osv-esm-cases/cve/2014/UBUNTU-CVE-2014-9913.json": "ubuntu",
    "ubuntu/osv-esm-cases/cve/2022/UBUNTU-CVE-2022-24823.json": "ubuntu",
    "ubuntu/vex/cve/2016/CVE-2016-20013.json": "ubuntu-vex",  # states for the OSV records
    "ubuntu/vex/cve/2023/CVE-2023-38545.json": "ubuntu-vex",
    "ubuntu/normalized-cve-data/CVE-2012-5124": None,  # vunnel's intermediate form
    "ubuntu/normalized-cve-data/CVE-2013-6627": None,
    "ubuntu/normalized-cve-data/CVE-2022-31258": None,
    "rhel/csaf/advisories/2024/rhsa-2024_6163.json": "redhat-csaf",
    "rhel/csaf/advisories/2024/rhsa-2024_9371.json": "redhat-csaf",
    "rhel/csaf/advisories/2025/rhsa-2025_23414.json": "redhat-csaf",
    "rhel/csaf/advisories/rhsa-2023_3821.json": "redhat-csaf",
    "rhel/csaf/advisories/rhsa-2023_7025.json": "redhat-csaf",
    "rhel/csaf/advisories/rhsa-2024_0811.json": "redhat-csaf",
    "rhel/csaf/advisories/rhsa-2024_1431.json": "redhat-csaf",
    "rhel/csaf/server/2024/rhsa-2024_0010.json": "redhat-csaf",
    "rhel/csaf/server/README.md": None,
    "rhel/csaf/server/archive_latest.txt": None,
    "rhel/csaf/server/changes.csv": None,
    "rhel/csaf/server/deletions.csv": None,
    "rhel/csaf/server/csaf_advisories_2025-02-15.tar.zst": None,  # a text stand-in, not zstd
    "rhel/csaf/hydra/cve-2021-25220.json": "redhat-hydra",
    "rhel/csaf/hydra/cve-2024-8088.json": "redhat-hydra",
    "rhel/csaf/input/cve/min_pages/1.json": None,  # the API's summary list: no states
    "rhel/csaf/input/cve/full/.gitkeep": None,
    "rhel/csaf/input/cve/min/.gitkeep": None,
}
HYDRA = [
    f"rhel/oval/input/cve/full/{p.name}"
    for p in sorted((SAMPLES / "rhel/oval/input/cve/full").glob("CVE-*"))
]
SUMMARIES = [
    f"rhel/oval/input/cve/min/{p.name}"
    for p in sorted((SAMPLES / "rhel/oval/input/cve/min").glob("CVE-*"))
]
FILES.update(dict.fromkeys(HYDRA, "redhat-hydra"))
FILES.update(dict.fromkeys(SUMMARIES, None))

READERS = {
    "alpine": "iter_alpine",
    "debian": "iter_debian",
    "wolfi": "iter_wolfi",
    "ubuntu": "iter_ubuntu",
    "redhat-csaf": "iter_redhat_csaf",
    "redhat-hydra": "iter_redhat_hydra",
}

# Every sample directory: the reader detect() gives (iter_feeds: several feeds in it).
DIRECTORIES = {
    ".": "iter_feeds",
    "alpine": "iter_alpine",
    "alpine/input/secdb/v3.15": "iter_alpine",
    "debian": "iter_debian",
    "debian/input": "iter_debian",
    "debian/input/legacy": None,
    "wolfi": "iter_wolfi",
    "ubuntu": "iter_ubuntu",
    "ubuntu/osv": "iter_ubuntu",
    "ubuntu/osv-esm-cases": "iter_ubuntu",
    "ubuntu/vex": None,  # VEX alone gives no fixed versions
    "ubuntu/normalized-cve-data": None,
    "rhel": "iter_feeds",
    "rhel/csaf": "iter_feeds",
    "rhel/csaf/advisories": "iter_redhat_csaf",
    "rhel/csaf/server": "iter_redhat_csaf",
    "rhel/csaf/hydra": "iter_redhat_hydra",
    "rhel/csaf/input": None,
    "rhel/oval": "iter_redhat_hydra",
    "rhel/oval/input/cve/min": None,
}


def test_every_sample_file_is_known() -> None:
    root = samples()
    present = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert present == set(FILES), "a new sample: say here what it is"


@pytest.mark.parametrize(("relative", "feed"), sorted(FILES.items()))
def test_files(relative: str, feed: str | None) -> None:
    path = samples(relative)
    assert sniff(path) == feed
    reader = detect(path)
    assert getattr(reader, "__name__", None) == READERS.get(feed or "")


@pytest.mark.parametrize(("relative", "reader"), sorted(DIRECTORIES.items()))
def test_directories(relative: str, reader: str | None) -> None:
    assert getattr(detect(samples(relative)), "__name__", None) == reader


def test_everything_else(tmp_path: Path) -> None:
    assert detect(tmp_path) is None  # empty
    assert detect(tmp_path / "missing") is None
    osv = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "osv" / "crates.io"
    if osv.is_dir():
        assert detect(osv) is None  # OSV records: the OSV importer's
    # a directory mixing a feed with OSV records of other ecosystems is left to the OSV
    # importer, which reads all of it
    shutil.copy(samples("ubuntu", "osv", "cve", "2026", "UBUNTU-CVE-2026-1403.json"), tmp_path)
    assert getattr(detect(tmp_path), "__name__", None) == "iter_ubuntu"
    (tmp_path / "GHSA-xxxx-yyyy-zzzz.json").write_text(
        json.dumps(
            {"id": "GHSA-xxxx-yyyy-zzzz", "modified": "2024-01-01T00:00:00Z", "affected": []}
        )
    )
    assert detect(tmp_path) is None
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    assert sniff(binary) is None and detect(binary) is None


def test_feeds_through_the_importer(tmp_path: Path) -> None:
    """`db update --source DIR` on the samples: counted, stored, and found by the matcher."""
    from tenlayer.model import Ecosystem, FixStatus, Package
    from tenlayer.vulndb.match import affects
    from tenlayer.vulndb.sources import Source, SourceStats, iter_source
    from tenlayer.vulndb.store import VulnDatabase, build_database

    root = samples()
    source = Source.resolve(str(root))
    assert source.kind == "feed:feeds"
    stats = SourceStats(str(root), source.kind)
    database = tmp_path / "db.sqlite"
    build_database(iter_source(source, stats), database, lambda: [stats.as_meta()])
    assert stats.malformed == 0
    assert stats.records == 5 + 16 + 53 + 9 + 7 + 22  # debian, alpine, wolfi, ubuntu, rhsa, hydra

    cases = [  # (ecosystem, source package, installed, kind, advisory, status, fixed)
        (
            "Debian:12",
            "sope",
            "5.8.0-1",
            Ecosystem.DEB,
            "DEBIAN-CVE-2025-53603",
            FixStatus.FIXED,
            "5.8.0-1+deb12u1",
        ),
        (
            "Debian:10",
            "chromium",
            "90.0.4430.212-1~deb10u1",
            Ecosystem.DEB,
            "DEBIAN-CVE-2022-0456",
            FixStatus.WONT_FIX,
            None,
        ),
        (
            "Alpine:v3.15",
            "zlib",
            "1.2.12-r1",
            Ecosystem.APK,
            "ALPINE-CVE-2022-37434",
            FixStatus.FIXED,
            "1.2.12-r2",
        ),
        (
            "Wolfi",
            "openssl",
            "3.0.5-r0",
            Ecosystem.APK,
            "WOLFI-CVE-2022-3602",
            FixStatus.FIXED,
            "3.0.7-r0",
        ),
        (
            "Ubuntu:22.04",
            "glibc",
            "2.35-0ubuntu3.1",
            Ecosystem.DEB,
            "UBUNTU-CVE-2016-20013",
            FixStatus.WONT_FIX,
            None,
        ),
        (
            "Red Hat:9",
            "sudo",
            "1.9.5p2-9.el9",
            Ecosystem.RPM,
            "RHSA-2024:0811",
            FixStatus.FIXED,
            "1.9.5p2-10.el9_3",
        ),
        (
            "Red Hat:8",
            "ghostscript",
            "9.25-5.el8",
            Ecosystem.RPM,
            "REDHAT-CVE-2019-25059",
            FixStatus.WONT_FIX,
            None,
        ),
    ]
    with VulnDatabase(database) as index:
        for ecosystem, name, version, kind, advisory_id, status, fixed in cases:
            package = Package(name=name, version=version, ecosystem=kind, purl="", found_in="")
            verdicts = {
                advisory.id: affects(affected, version, ecosystem, [], package)
                for advisory, affected in index.affected(ecosystem, name)
            }
            assert verdicts.get(advisory_id) == (status, fixed), (ecosystem, name, verdicts)
        # a fixed version is not affected; a module's stream keeps to its own versions
        ruby = Package(
            name="ruby",
            version="2.7.8-139.module+el8.8.0+18745+f1bef313",
            ecosystem=Ecosystem.RPM,
            purl="",
            found_in="",
        )
        hits = {
            a.id
            for a, entry in index.affected("Red Hat:8", "ruby")
            if affects(entry, ruby.version, "Red Hat:8", [], ruby)
        }
        assert hits == set()
