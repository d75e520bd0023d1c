"""Red Hat's CSAF advisories and VEX, and its security data API, read into advisories."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import zstandard

from tenlayer.model import FixStatus
from tenlayer.vulndb.feeds.redhat import cpe_ecosystem, parse_nevra, parse_purl
from tenlayer.vulndb.feeds.redhat_csaf import iter_redhat_csaf
from tenlayer.vulndb.feeds.redhat_hydra import iter_redhat_hydra
from tenlayer.vulndb.records import SeverityScore
from tests.vulndb.feeds.feedsupport import by_id, read, samples, shape

MODERATE = SeverityScore("rating", "Moderate", "Red Hat")


def fixed(ecosystem: str, name: str, version: str, introduced: str = "0") -> tuple[object, ...]:
    return (ecosystem, name, (("introduced", introduced), ("fixed", version)), "fixed")


def unfixed(ecosystem: str, name: str, state: str) -> tuple[object, ...]:
    return (ecosystem, name, (("introduced", "0"),), state)


def test_csaf_advisories_sample() -> None:
    advisories, problems = read(iter_redhat_csaf, samples("rhel", "csaf"))
    assert problems == []
    found = by_id(advisories)
    # RHSA-2025:23414 fixes bind for RHEL 6 ELS only: no main stream, no advisory.
    assert sorted(found) == [
        "RHSA-2023:3821", "RHSA-2023:7025", "RHSA-2024:0010", "RHSA-2024:0811",
        "RHSA-2024:1431", "RHSA-2024:6163", "RHSA-2024:9371",
    ]  # fmt: skip

    sudo = found["RHSA-2024:0811"]
    assert sudo.aliases == ("CVE-2023-28486", "CVE-2023-28487", "CVE-2023-42465")
    assert sudo.published == "2024-02-14T00:54:45+00:00"
    assert sudo.modified == "2025-09-10T15:12:09+00:00"
    assert sudo.summary == "Red Hat Security Advisory: sudo security update"
    assert sudo.severity[0] == MODERATE
    assert sudo.severity[1].type == "CVSS_V3" and sudo.severity[1].source == "Red Hat"
    assert "https://access.redhat.com/errata/RHSA-2024:0811" in sudo.references
    # the EUS builds (el8_6, el8_8, el9_0.4, el9_2.2) are not the main stream's fixes
    assert [shape(a) for a in sudo.affected] == [
        fixed("Red Hat:8", "sudo", "1.9.5p2-1.el8_9"),
        fixed("Red Hat:9", "sudo", "1.9.5p2-10.el9_3"),
    ]
    assert sudo.affected[0].severity == (MODERATE,)

    # one CVE fixed in three ruby module streams: each range starts at its stream
    streams = {
        rhsa: next(shape(a) for a in found[rhsa].affected if a.name == "ruby")
        for rhsa in ("RHSA-2023:7025", "RHSA-2023:3821", "RHSA-2024:1431")
    }
    assert streams == {
        "RHSA-2023:7025": fixed(
            "Red Hat:8", "ruby", "2.5.9-111.module+el8.9.0+19193+435404ae", "2.5"
        ),
        "RHSA-2023:3821": fixed(
            "Red Hat:8", "ruby", "2.7.8-139.module+el8.8.0+18745+f1bef313", "2.7"
        ),
        "RHSA-2024:1431": fixed(
            "Red Hat:8", "ruby", "3.1.4-142.module+el8.9.0+21471+7d1e4a35", "3.1"
        ),
    }
    pg = next(a for a in found["RHSA-2024:1431"].affected if a.name == "rubygem-pg")
    assert shape(pg) == fixed("Red Hat:8", "rubygem-pg", "1.3.2-1.module+el8.9.0+21471+7d1e4a35")

    tigervnc = found["RHSA-2024:0010"]
    assert tigervnc.severity[0] == SeverityScore("rating", "Important", "Red Hat")
    assert [shape(a) for a in tigervnc.affected] == [
        fixed("Red Hat:9", "tigervnc", "1.13.1-3.el9_3.3")
    ]


def test_hydra_samples() -> None:
    advisories, problems = read(iter_redhat_hydra, samples("rhel"))
    assert problems == []
    found = by_id(advisories)
    assert len(found) == 22  # 20 in oval/input/cve/full, 2 in csaf/hydra; min/ is a summary

    bind = found["REDHAT-CVE-2021-25220"]
    assert bind.aliases == ("CVE-2021-25220",)
    assert bind.published == "2022-03-16T00:00:00Z"
    assert bind.summary == "bind: DNS forwarders - cache poisoning vulnerability"
    assert bind.severity == (
        MODERATE,
        SeverityScore("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:N/I:H/A:N", "Red Hat"),
    )
    assert "RHSA-2022:8068" in bind.related
    assert "RHSA-2025:23414" not in bind.related  # RHEL 6 ELS only
    assert [shape(a) for a in bind.affected] == [  # EUS, AUS, TUS, E4S, ELS: not main streams
        fixed("Red Hat:7", "bind", "32:9.11.4-26.P2.el7_9.13"),
        fixed("Red Hat:8", "bind", "32:9.11.36-5.el8"),
        fixed("Red Hat:8", "bind9.16", "32:9.16.23-0.9.el8.1"),
        fixed("Red Hat:9", "bind", "32:9.16.23-5.el9_1"),
        fixed("Red Hat:9", "dhcp", "12:4.4.2-17.b1.el9"),
    ]

    # two main-stream fixes of python3.9 in RHEL 9 (9.4's z-stream, 9.5's rebuild): the first
    assert [shape(a) for a in found["REDHAT-CVE-2024-8088"].affected] == [
        fixed("Red Hat:9", "python3.9", "3.9.18-3.el9_4.5")
    ]

    ghostscript = found["REDHAT-CVE-2019-25059"]  # "Will not fix"; gimp:flatpak skipped
    assert [shape(a) for a in ghostscript.affected] == [
        unfixed("Red Hat:8", "ghostscript", "wont-fix"),
        unfixed("Red Hat:9", "ghostscript", "wont-fix"),
    ]
    webp = [shape(a) for a in found["REDHAT-CVE-2023-4863"].affected]
    assert fixed("Red Hat:9", "libwebp", "1.2.0-7.el9_2") in webp
    assert unfixed("Red Hat:6", "firefox", "wont-fix") in webp  # "Out of support scope"
    assert not any(
        name == "firefox" and eco == "Red Hat:9" and state != "fixed"
        for eco, name, _, state in webp
    )  # firefox:flatpak "Affected": skipped
    assert found["REDHAT-CVE-2023-5129"].severity[0].type == "CVSS_V3"  # no threat_severity
    gstreamer = [shape(a) for a in found["REDHAT-CVE-2022-1921"].affected]
    assert gstreamer == [
        fixed("Red Hat:9", "gstreamer1-plugins-good", "1.18.4-6.el9"),
        unfixed("Red Hat:6", "gstreamer-plugins-good", "wont-fix"),
        unfixed("Red Hat:7", "gstreamer-plugins-good", "wont-fix"),
        unfixed("Red Hat:7", "gstreamer1-plugins-good", "wont-fix"),
        unfixed("Red Hat:8", "gstreamer1-plugins-good", "wont-fix"),
    ]


def test_names_versions_releases() -> None:
    assert cpe_ecosystem("cpe:/o:redhat:enterprise_linux:9::baseos") == "Red Hat:9"
    assert cpe_ecosystem("cpe:/a:redhat:enterprise_linux:8::appstream") == "Red Hat:8"
    assert cpe_ecosystem("cpe:/a:redhat:enterprise_linux:9") == "Red Hat:9"
    for other in (
        "cpe:/a:redhat:rhel_eus:9.2::appstream",
        "cpe:/o:redhat:rhel_els:6",
        "cpe:/a:redhat:rhel_extras_oracle_java:7",
        "cpe:/a:redhat:openshift:4.14::el9",
    ):
        assert cpe_ecosystem(other) is None
    bind = parse_nevra("bind-32:9.16.23-5.el9_1.src")
    assert bind is not None and (bind.name, bind.evr, bind.arch) == (
        "bind",
        "32:9.16.23-5.el9_1",
        "src",
    )
    ruby = parse_nevra("ruby-2.7.8-139.module+el8.8.0+18745+f1bef313.src.rpm-ruby:2.7")
    assert ruby is not None and (ruby.module, ruby.floor()) == ("ruby:2.7", "2.7")
    assert parse_nevra("ruby:2.7-8080020230427102918.63b34585") is None  # a module's NSVC
    assert parse_nevra("python3.11") is None
    purl = parse_purl(
        "pkg:rpm/redhat/nodejs@18.19.0-1.module%2Bel8.9.0?arch=src&epoch=1"
        "&rpmmod=nodejs:18:8090020231221120148:a75119d5"
    )
    assert purl is not None and (purl.evr, purl.floor()) == ("1:18.19.0-1.module+el8.9.0", "1:18")
    assert parse_purl("pkg:deb/debian/bash@5.2") is None


def platform(ident: str, cpe: str) -> dict[str, Any]:
    return {
        "category": "product_name",
        "name": ident,
        "product": {
            "name": ident,
            "product_id": ident,
            "product_identification_helper": {"cpe": cpe},
        },
    }


def component(ident: str, purl: str) -> dict[str, Any]:
    return {
        "category": "product_version",
        "name": ident,
        "product": {
            "name": ident,
            "product_id": ident,
            "product_identification_helper": {"purl": purl},
        },
    }


def vex_document(**overrides: Any) -> dict[str, Any]:
    """A CSAF VEX document as Red Hat writes them (`vex/2024/cve-2024-1234.json`)."""
    platforms = [
        platform("red_hat_enterprise_linux_8", "cpe:/o:redhat:enterprise_linux:8"),
        platform("red_hat_enterprise_linux_9", "cpe:/o:redhat:enterprise_linux:9"),
        platform("AppStream-9.4.0.Z.MAIN.EUS", "cpe:/a:redhat:enterprise_linux:9::appstream"),
        platform("AppStream-9.2.0.Z.EUS", "cpe:/a:redhat:rhel_eus:9.2::appstream"),
        platform("openshift_4", "cpe:/a:redhat:openshift:4"),
    ]
    components = [
        component("libtiff", "pkg:rpm/redhat/libtiff?arch=src"),
        component("python3.11", "pkg:rpm/redhat/python3.11?arch=src"),
        component("mingw-python3", "pkg:rpm/redhat/mingw-python3?arch=src"),
        component("nodejs:18/nodejs", "pkg:rpm/redhat/nodejs?arch=src&rpmmod=nodejs:18"),
        component("podman", "pkg:rpm/redhat/podman?arch=src"),
        component(
            "python3.9-0:3.9.18-3.el9_4.5.src", "pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=src"
        ),
        component(
            "python3.9-0:3.9.18-3.el9_4.5.x86_64",
            "pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=x86_64",
        ),
        component(
            "python3.9-0:3.9.16-1.el9_2.2.src", "pkg:rpm/redhat/python3.9@3.9.16-1.el9_2.2?arch=src"
        ),
    ]
    links = [
        ("red_hat_enterprise_linux_8", "libtiff"),
        ("red_hat_enterprise_linux_9", "libtiff"),
        ("red_hat_enterprise_linux_9", "python3.11"),
        ("red_hat_enterprise_linux_8", "mingw-python3"),
        ("red_hat_enterprise_linux_8", "nodejs:18/nodejs"),
        ("openshift_4", "podman"),
        ("AppStream-9.4.0.Z.MAIN.EUS", "python3.9-0:3.9.18-3.el9_4.5.src"),
        ("AppStream-9.4.0.Z.MAIN.EUS", "python3.9-0:3.9.18-3.el9_4.5.x86_64"),
        ("AppStream-9.2.0.Z.EUS", "python3.9-0:3.9.16-1.el9_2.2.src"),
    ]
    relationships = [
        {
            "category": "default_component_of",
            "full_product_name": {"name": f"{c} as a component of {p}", "product_id": f"{p}:{c}"},
            "product_reference": c,
            "relates_to_product_reference": p,
        }
        for p, c in links
    ]
    fixed_ids = [f"{p}:{c}" for p, c in links if c.startswith("python3.9")]
    document: dict[str, Any] = {
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "publisher": {
                "category": "vendor",
                "name": "Red Hat Product Security",
                "namespace": "https://www.redhat.com",
            },
            "title": "python: a flaw",
            "tracking": {
                "id": "CVE-2024-8088",
                "initial_release_date": "2024-08-22T19:15:09+00:00",
                "current_release_date": "2025-01-10T10:00:00+00:00",
            },
            "aggregate_severity": {"text": "Moderate"},
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "Red Hat",
                    "branches": [
                        {"category": "product_family", "name": "RHEL", "branches": platforms},
                        {"category": "architecture", "name": "src", "branches": components},
                    ],
                }
            ],
            "relationships": relationships,
        },
        "vulnerabilities": [
            {
                "cve": "CVE-2024-8088",
                "title": "python: cpython: Iterating over a malicious ZIP file may lead to DoS",
                "notes": [{"category": "description", "text": "A flaw was found in zipfile."}],
                "release_date": "2024-08-22T19:15:09+00:00",
                "product_status": {
                    "fixed": fixed_ids,
                    "known_affected": [
                        "red_hat_enterprise_linux_8:libtiff",
                        "red_hat_enterprise_linux_9:libtiff",
                        "red_hat_enterprise_linux_9:python3.11",
                        "red_hat_enterprise_linux_8:nodejs:18/nodejs",
                        "openshift_4:podman",
                    ],
                    "known_not_affected": ["red_hat_enterprise_linux_8:mingw-python3"],
                },
                "remediations": [
                    {
                        "category": "vendor_fix",
                        "details": "update",
                        "product_ids": fixed_ids,
                        "url": "https://access.redhat.com/errata/RHSA-2024:6163",
                    },
                    {
                        "category": "no_fix_planned",
                        "details": "Will not fix",
                        "product_ids": ["red_hat_enterprise_linux_8:libtiff"],
                    },
                    {
                        "category": "none_available",
                        "details": "Affected",
                        "product_ids": ["red_hat_enterprise_linux_9:libtiff"],
                    },
                    {
                        "category": "workaround",
                        "details": "None",
                        "product_ids": ["red_hat_enterprise_linux_9:python3.11"],
                    },
                ],
                "scores": [
                    {
                        "cvss_v3": {
                            "baseScore": 5.3,
                            "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:H",
                            "version": "3.1",
                        },
                        "products": fixed_ids,
                    }
                ],
                "threats": [{"category": "impact", "details": "Moderate"}],
                "references": [
                    {
                        "category": "self",
                        "summary": "Canonical URL",
                        "url": "https://access.redhat.com/security/cve/CVE-2024-8088",
                    }
                ],
            }
        ],
    }
    document.update(overrides)
    return document


def test_csaf_vex(tmp_path: Path) -> None:
    path = tmp_path / "cve-2024-8088.json"
    path.write_text(json.dumps(vex_document()))
    [advisory], problems = read(iter_redhat_csaf, path)
    assert problems == []
    assert advisory.id == "REDHAT-CVE-2024-8088"
    assert advisory.aliases == ("CVE-2024-8088",)
    assert advisory.related == ("RHSA-2024:6163",)
    assert advisory.published == "2024-08-22T19:15:09+00:00"
    assert advisory.modified == "2025-01-10T10:00:00+00:00"
    assert advisory.summary.startswith("python: cpython: Iterating")
    assert advisory.details == "A flaw was found in zipfile."
    assert advisory.severity == (
        MODERATE,
        SeverityScore("CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:H", "Red Hat"),
    )
    assert advisory.references == ("https://access.redhat.com/security/cve/CVE-2024-8088",)
    # binaries are read through their source; 9.2 EUS, OpenShift, the nodejs:18 module and
    # the not-affected package give nothing
    assert [shape(a) for a in advisory.affected] == [
        fixed("Red Hat:9", "python3.9", "3.9.18-3.el9_4.5"),
        unfixed("Red Hat:8", "libtiff", "wont-fix"),  # no_fix_planned
        unfixed("Red Hat:9", "libtiff", "not-fixed"),  # none_available
        unfixed("Red Hat:9", "python3.11", "not-fixed"),  # no remediation but a workaround
    ]
    assert {a.state for a in advisory.affected} == {
        FixStatus.FIXED,
        FixStatus.WONT_FIX,
        FixStatus.NOT_FIXED,
    }


def test_csaf_archive(tmp_path: Path) -> None:
    """Red Hat's bulk download: a .tar.zst of every document, read as a stream."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for file in sorted(samples("rhel", "csaf", "advisories").rglob("*.json")):
            archive.add(file, arcname=f"2024/{file.name}")
        junk = b'{"document": '
        info = tarfile.TarInfo("2024/broken.json")
        info.size = len(junk)
        archive.addfile(info, io.BytesIO(junk))
    path = tmp_path / "csaf_advisories_2025-02-15.tar.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(buffer.getvalue()))
    advisories, problems = read(iter_redhat_csaf, path)
    assert len(advisories) == 6
    assert advisories[0].source.startswith(f"{path}!/2024/")
    assert ["broken.json: not valid JSON" in str(p) for p in problems] == [True]

    fake = tmp_path / "csaf_vex_2025-02-15.tar.zst"
    fake.write_bytes(b"\x28\xb5\x2f\xfd" + b"not zstd at all")
    advisories, problems = read(iter_redhat_csaf, fake)
    assert advisories == []
    assert ["not a readable .tar.zst archive" in str(p) for p in problems] == [True]


def test_malformed_csaf_is_named_and_skipped(tmp_path: Path) -> None:
    suse = vex_document()
    suse["document"]["publisher"]["namespace"] = "https://www.suse.com"
    broken = vex_document()
    broken["vulnerabilities"].insert(0, {"title": "no cve"})
    broken["vulnerabilities"].append("text")
    cases = {
        "a-list.json": [1, 2],
        "b-category.json": vex_document(
            document={**vex_document()["document"], "category": "csaf_base"}
        ),
        "c-suse.json": suse,
        "d-no-tree.json": vex_document(product_tree=[]),
        "e-no-id.json": vex_document(document={**vex_document()["document"], "tracking": {}}),
        "f-vulns.json": vex_document(vulnerabilities={}),
        "g-broken.json": broken,
    }
    for name, document in cases.items():
        content = json.dumps(document)
        (tmp_path / name).write_text(content if name != "a-list.json" else '{"csaf_version": 1,')
    advisories, problems = read(iter_redhat_csaf, tmp_path / "a-list.json")
    assert advisories == [] and "not valid JSON" in str(problems[0])
    messages = []
    for name in sorted(cases)[1:]:
        advisories, problems = read(iter_redhat_csaf, tmp_path / name)
        messages.extend(str(p) for p in problems)
        if name == "g-broken.json":
            assert [a.id for a in advisories] == ["REDHAT-CVE-2024-8088"]  # the good one stays
        else:
            assert advisories == [], name
    assert [m.split(": ", 1)[1] for m in messages] == [
        "CSAF category 'csaf_base' is neither csaf_security_advisory nor csaf_vex",
        "not published by Red Hat (publisher namespace 'https://www.suse.com')",
        "no 'product_tree' object",
        "no document.tracking.id",
        "'vulnerabilities' is not a list",
        "vulnerabilities[0]: no 'cve'",
        "vulnerabilities[2]: expected an object",
    ]


def test_malformed_hydra_is_named_and_skipped(tmp_path: Path) -> None:
    good = json.loads(samples("rhel", "csaf", "hydra", "cve-2024-8088.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps(good))
    (tmp_path / "b.json").write_text(json.dumps({**good, "affected_release": "RHSA-2024:1"}))
    (tmp_path / "c.json").write_text(json.dumps({**good, "package_state": ["Affected"]}))
    (tmp_path / "d.json").write_text(json.dumps({**good, "name": "nothing"}))
    (tmp_path / "e.json").write_text('{"threat_severity": "Low", ')
    advisories, problems = read(iter_redhat_hydra, tmp_path)
    assert [a.id for a in advisories] == ["REDHAT-CVE-2024-8088"]
    reasons = [str(p).split(": ", 1)[1] for p in problems]
    assert reasons == [
        "expected a list, found str",
        "package_state[0] is not an object",
        "no CVE name ('nothing')",
        reasons[3],
    ]
    assert reasons[3].startswith("not valid JSON")
