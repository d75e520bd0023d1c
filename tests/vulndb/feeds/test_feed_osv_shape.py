"""The same facts, written as OSV records by each distribution's conventions, become the same
`Affected` as the feed readers make: the matcher sees one thing whichever the source.

The OSV records are written here by hand, as OSV.dev publishes them: Debian's
`DEBIAN-CVE-…` and `DSA-…` (source packages, `Debian:12`), Alpine's `ALPINE-CVE-…`
(`Alpine:v3.15`), Ubuntu's `UBUNTU-CVE-…` (`Ubuntu:22.04:LTS`) and Red Hat's `RHSA-…`
(`Red Hat:enterprise_linux:9::baseos`, epoch written as `0:`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tenlayer.model import Ecosystem, FixStatus, Package
from tenlayer.vulndb.feeds.debian import iter_debian
from tenlayer.vulndb.feeds.redhat_csaf import iter_redhat_csaf
from tenlayer.vulndb.feeds.secdb import iter_alpine
from tenlayer.vulndb.feeds.ubuntu import iter_ubuntu, refine
from tenlayer.vulndb.match import affects
from tenlayer.vulndb.names import canonical_ecosystem, normalize_name
from tenlayer.vulndb.osv import parse_record
from tenlayer.vulndb.records import Advisory, Affected
from tenlayer.vulndb.versions import scheme_for
from tests.vulndb.feeds.feedsupport import by_id, read, samples

Entry = tuple[str, str, list[dict[str, str]]] | tuple[str, str, list[dict[str, str]], list[str]]


def osv(ident: str, entries: list[Entry], **extra: Any) -> Advisory:
    record = {
        "schema_version": "1.7.0",
        "id": ident,
        "modified": "2025-08-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": item[0], "name": item[1]},
                "ranges": [{"type": "ECOSYSTEM", "events": item[2]}],
                "versions": item[3] if len(item) > 3 else [],
            }
            for item in entries
        ],
        **extra,
    }
    return parse_record(record, ident)


def seen(entry: Affected) -> tuple[str, str, tuple[tuple[str, Any], ...], tuple[str, ...]]:
    """What the store keys and the matcher compares: canonical release, name, event keys."""
    ecosystem = canonical_ecosystem(entry.ecosystem)
    key = scheme_for(ecosystem).key
    events = tuple(
        (e.kind.value, 0 if e.version == "0" else key(e.version))
        for r in entry.ranges
        for e in r.events
    )
    return ecosystem, normalize_name(entry.ecosystem, entry.name), events, entry.versions


def verdicts(entry: Affected, kind: Ecosystem, versions: list[str]) -> list[Any]:
    ecosystem = canonical_ecosystem(entry.ecosystem)
    out = []
    for version in versions:
        package = Package(name=entry.name, version=version, ecosystem=kind, purl="", found_in="")
        verdict = affects(entry, version, ecosystem, [], package)
        out.append(verdict and (verdict[0], verdict[1] and scheme_for(ecosystem).key(verdict[1])))
    return out


def same(feed: Affected, record: Affected, kind: Ecosystem, versions: list[str]) -> None:
    assert seen(feed) == seen(record)
    assert verdicts(feed, kind, versions) == verdicts(record, kind, versions)


def entry(advisory: Advisory, ecosystem: str, name: str) -> Affected:
    return next(
        a
        for a in advisory.affected
        if canonical_ecosystem(a.ecosystem) == ecosystem and a.name == name
    )


def fixed(version: str) -> list[dict[str, str]]:
    return [{"introduced": "0"}, {"fixed": version}]


def test_debian() -> None:
    found = by_id(read(iter_debian, samples("debian", "input", "debian.json"))[0])
    feed = found["DEBIAN-CVE-2025-53603"]
    record = osv(
        "DEBIAN-CVE-2025-53603",
        [
            ("Debian:11", "sope", fixed("5.0.1-2+deb11u1")),
            ("Debian:12", "sope", fixed("5.8.0-1+deb12u1")),
            ("Debian:13", "sope", fixed("5.12.1-2")),
        ],
        upstream=["CVE-2025-53603"],
    )
    dsa = osv(
        "DSA-5970-1", [("Debian:12", "sope", fixed("5.8.0-1+deb12u1"))], upstream=["CVE-2025-53603"]
    )
    versions = ["5.8.0-1", "5.8.0-1+deb12u1", "5.8.0-1+deb12u2", "5.12.1-2", "1:1.0"]
    for release in ("Debian:11", "Debian:12", "Debian:13"):
        same(entry(feed, release, "sope"), entry(record, release, "sope"), Ecosystem.DEB, versions)
    same(entry(feed, "Debian:12", "sope"), entry(dsa, "Debian:12", "sope"), Ecosystem.DEB, versions)
    assert record.id == feed.id  # the feed's record is OSV.dev's record of the same name

    # unfixed: OSV writes `introduced 0` alone; the tracker also says it will not be fixed
    chromium = found["DEBIAN-CVE-2022-0456"]
    unfixed = osv("DEBIAN-CVE-2022-0456", [("Debian:10", "chromium", [{"introduced": "0"}])])
    ours, theirs = entry(chromium, "Debian:10", "chromium"), entry(unfixed, "Debian:10", "chromium")
    assert seen(ours) == seen(theirs)
    assert verdicts(ours, Ecosystem.DEB, ["90.0.4430.212-1~deb10u1"]) == [
        (FixStatus.WONT_FIX, None)
    ]
    assert verdicts(theirs, Ecosystem.DEB, ["90.0.4430.212-1~deb10u1"]) == [
        (FixStatus.NOT_FIXED, None)
    ]


def test_alpine() -> None:
    found = by_id(read(iter_alpine, samples("alpine"))[0])
    record = osv(
        "ALPINE-CVE-2022-37434",
        [("Alpine:v3.15", "zlib", fixed("1.2.12-r2"))],
        upstream=["CVE-2022-37434"],
    )
    same(
        entry(found["ALPINE-CVE-2022-37434"], "Alpine:v3.15", "zlib"),
        entry(record, "Alpine:v3.15", "zlib"),
        Ecosystem.APK,
        ["1.2.11-r3", "1.2.12-r1", "1.2.12-r2", "1.2.13-r0"],
    )


def test_ubuntu() -> None:
    path = samples("ubuntu", "osv", "cve", "2021", "UBUNTU-CVE-2021-3782.json")
    [feed], _ = read(iter_ubuntu, path)
    # Ubuntu lists the affected versions beside the range
    record = osv(
        "UBUNTU-CVE-2021-3782",
        [
            (
                "Ubuntu:22.04:LTS",
                "wayland",
                fixed("1.20.0-1ubuntu0.1"),
                ["1.19.0-2build1", "1.20.0-1"],
            ),
            (
                "Ubuntu:Pro:16.04:LTS",
                "wayland",
                fixed("1.12.0-1~ubuntu16.04.3+esm1"),
                [
                    "1.8.1-1",
                    "1.9.0-1",
                    "1.12.0-1~ubuntu16.04.1",
                    "1.12.0-1~ubuntu16.04.2",
                    "1.12.0-1~ubuntu16.04.3",
                ],
            ),
        ],
        upstream=["CVE-2021-3782"],
    )
    for release in ("Ubuntu:22.04", "Ubuntu:Pro:16.04"):
        same(
            entry(feed, release, "wayland"),
            entry(record, release, "wayland"),
            Ecosystem.DEB,
            ["1.20.0-1", "1.20.0-1ubuntu0.1", "1.12.0-1~ubuntu16.04.3", "1.21.0-1"],
        )
    assert refine(record).aliases == feed.aliases == ("CVE-2021-3782",)


def test_red_hat() -> None:
    found = by_id(read(iter_redhat_csaf, samples("rhel", "csaf", "advisories"))[0])
    feed = found["RHSA-2024:0811"]
    record = osv(
        "RHSA-2024:0811",
        [
            ("Red Hat:enterprise_linux:8::baseos", "sudo", fixed("0:1.9.5p2-1.el8_9")),
            ("Red Hat:enterprise_linux:9::appstream", "sudo", fixed("0:1.9.5p2-10.el9_3")),
        ],
        upstream=["CVE-2023-28486", "CVE-2023-28487", "CVE-2023-42465"],
    )
    versions = [
        "1.9.5p2-1.el8_6",
        "0:1.9.5p2-1.el8_9",
        "1.9.5p2-9.el9",
        "1.9.5p2-10.el9_3",
        "0:1.9.5p2-10.el9_3",
        "1:1.8",
    ]
    for release in ("Red Hat:8", "Red Hat:9"):
        same(entry(feed, release, "sudo"), entry(record, release, "sudo"), Ecosystem.RPM, versions)


@pytest.mark.parametrize(
    "ecosystem", ["Debian:12", "Alpine:v3.15", "Ubuntu:Pro:16.04", "Red Hat:9"]
)
def test_feed_ecosystems_are_canonical(ecosystem: str) -> None:
    assert canonical_ecosystem(ecosystem) == ecosystem
