"""Ubuntu's OSV records with the fix states of its OpenVEX files."""

from __future__ import annotations

import json
from pathlib import Path

from tenlayer.model import FixStatus
from tenlayer.vulndb.feeds.ubuntu import iter_ubuntu, vex_states
from tenlayer.vulndb.names import canonical_ecosystem
from tenlayer.vulndb.records import SeverityScore
from tests.vulndb.feeds.feedsupport import by_id, read, samples, shape


def test_sample_records_with_vex_states() -> None:
    advisories, problems = read(iter_ubuntu, samples("ubuntu"))
    assert problems == []
    found = by_id(advisories)
    assert sorted(found) == [
        "UBUNTU-CVE-2013-2208",
        "UBUNTU-CVE-2014-2901",
        "UBUNTU-CVE-2014-9913",
        "UBUNTU-CVE-2016-20013",
        "UBUNTU-CVE-2020-36325",
        "UBUNTU-CVE-2021-3782",
        "UBUNTU-CVE-2022-24823",
        "UBUNTU-CVE-2026-1403",
        "USN-5614-1",
    ]

    wayland = found["UBUNTU-CVE-2021-3782"]
    assert wayland.aliases == ("CVE-2021-3782",)  # from `upstream`
    assert wayland.related == ("USN-5614-1", "USN-5614-2")
    assert SeverityScore("Ubuntu", "medium", "Ubuntu") in wayland.severity
    assert shape(wayland.affected[3]) == (
        "Ubuntu:22.04:LTS",
        "wayland",
        (("introduced", "0"), ("fixed", "1.20.0-1ubuntu0.1")),
        "fixed",
    )
    assert shape(wayland.affected[0])[0] == "Ubuntu:Pro:16.04:LTS"  # ESM
    assert canonical_ecosystem(wayland.affected[0].ecosystem) == "Ubuntu:Pro:16.04"

    # CVE-2016-20013: the VEX file says `ignored` for glibc, sssd, …; zabbix on 22.04 is
    # only stated for esm-apps/jammy there, so the OSV entry for 22.04 stays NOT_FIXED.
    crypt = found["UBUNTU-CVE-2016-20013"]
    states = {(a.ecosystem, a.name): a.state for a in crypt.affected}
    assert states[("Ubuntu:22.04:LTS", "glibc")] is FixStatus.WONT_FIX
    assert states[("Ubuntu:24.04:LTS", "sssd")] is FixStatus.WONT_FIX
    assert states[("Ubuntu:Pro:16.04:LTS", "zabbix")] is FixStatus.WONT_FIX  # esm-apps/xenial
    assert states[("Ubuntu:22.04:LTS", "zabbix")] is FixStatus.NOT_FIXED
    assert all(a.ranges and not shape(a)[2][1:] for a in crypt.affected)  # nothing fixed

    assert found["UBUNTU-CVE-2026-1403"].affected[0].state is FixStatus.NOT_FIXED  # no VEX
    assert found["UBUNTU-CVE-2020-36325"].aliases == ("CVE-2020-36325",)  # from the id
    assert found["UBUNTU-CVE-2013-2208"].withdrawn == "2025-07-18T16:42:51Z"
    usn = found["USN-5614-1"]
    assert usn.aliases == ()  # a USN fixes several CVEs: related, never merged into one
    assert usn.related == ("UBUNTU-CVE-2021-3782",)
    assert {a.state for a in usn.affected} == {FixStatus.FIXED}


def test_one_record_finds_the_vex_beside_osv() -> None:
    record = samples("ubuntu", "osv", "cve", "2016", "UBUNTU-CVE-2016-20013.json")
    [advisory], problems = read(iter_ubuntu, record)
    assert problems == []
    glibc = [a for a in advisory.affected if a.name == "glibc"]
    assert {a.state for a in glibc} == {FixStatus.WONT_FIX}


def test_esm_cases() -> None:
    advisories, _ = read(iter_ubuntu, samples("ubuntu", "osv-esm-cases"))
    netty = by_id(advisories)["UBUNTU-CVE-2022-24823"]
    assert [(a.ecosystem, a.state and a.state.value) for a in netty.affected] == [
        ("Ubuntu:Pro:14.04:LTS", "not-fixed"),
        ("Ubuntu:Pro:16.04:LTS", "fixed"),
        ("Ubuntu:Pro:18.04:LTS", "fixed"),
        ("Ubuntu:Pro:20.04:LTS", "fixed"),
        ("Ubuntu:Pro:22.04:LTS", "fixed"),
        ("Ubuntu:Pro:24.04:LTS", "fixed"),
        ("Ubuntu:25.10", "not-fixed"),
        ("Ubuntu:Pro:26.04:LTS", "not-fixed"),
    ]
    assert [canonical_ecosystem(a.ecosystem) for a in netty.affected][-2:] == [
        "Ubuntu:25.10",
        "Ubuntu:Pro:26.04",
    ]


def statement(status: str, purls: list[str], **fields: str) -> dict[str, object]:
    return {
        "vulnerability": {"name": "CVE-2024-1"},
        "status": status,
        "products": [{"@id": p} for p in purls],
        **fields,
    }


def test_vex_statements() -> None:
    document = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "statements": [
            statement(
                "affected",
                [
                    "pkg:deb/ubuntu/a@1?arch=source&distro=jammy",
                    "pkg:deb/ubuntu/a-bin@1?arch=amd64&distro=jammy",
                ],
                action_statement="This package (for the given release) needs fixing.",
            ),
            statement(
                "affected",
                ["pkg:deb/ubuntu/b@1?arch=source&distro=esm-infra/focal"],
                action_statement="This package (for the given release) is vulnerable to "
                "the CVE, the problem is understood, but the Ubuntu Security Team decided "
                "to not fix it.",
            ),
            statement(
                "affected",
                ["pkg:deb/ubuntu/c@1?arch=source&distro=xenial"],
                action_statement="This package (for the given release) is no longer "
                "supported. Please upgrade your system.",
            ),
            statement(
                "under_investigation",
                ["pkg:deb/ubuntu/d@1?arch=source&distro=noble"],
                status_notes="The vulnerability is known but remediation is deferred.",
            ),
            statement("not_affected", ["pkg:deb/ubuntu/e@1?arch=source&distro=noble"]),
            statement("fixed", ["pkg:deb/ubuntu/f@2?arch=source&distro=noble"]),
            statement(
                "affected",
                [
                    "pkg:deb/ubuntu/g@1?arch=source&distro=fips-updates/jammy",
                    "pkg:deb/ubuntu/h@1?arch=source&distro=warty",
                    "not a purl",
                ],
            ),
            "junk",
        ],
    }
    assert vex_states(document) == {
        ("Ubuntu:22.04", "a"): FixStatus.NOT_FIXED,
        ("Ubuntu:Pro:20.04", "b"): FixStatus.WONT_FIX,
        ("Ubuntu:16.04", "c"): FixStatus.WONT_FIX,
        ("Ubuntu:24.04", "d"): FixStatus.NOT_FIXED,
    }
    assert vex_states([]) == {}
    assert vex_states({"statements": "none"}) == {}


def test_malformed_records_are_named_and_skipped(tmp_path: Path) -> None:
    good = json.loads(
        samples("ubuntu", "osv", "cve", "2026", "UBUNTU-CVE-2026-1403.json").read_text()
    )
    (tmp_path / "UBUNTU-CVE-2026-1403.json").write_text(json.dumps(good))
    (tmp_path / "UBUNTU-CVE-2026-1.json").write_text('{"id": "UBUNTU-CVE-2026-1", "modified": 3}')
    (tmp_path / "USN-1-1.json").write_text('{"id": "USN-1-1", "modified": "2024-01-01T00:00:00Z",')
    advisories, problems = read(iter_ubuntu, tmp_path)
    assert [a.id for a in advisories] == ["UBUNTU-CVE-2026-1403"]
    assert len(problems) == 2
    assert all(str(p).startswith(str(tmp_path)) for p in problems)
