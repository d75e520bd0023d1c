"""CycloneDX 1.6 with a vulnerabilities section: strictly valid, and what each entry says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tenlayer.model import VulnerabilityMatch
from tenlayer.sbom import render_cyclonedx
from tests.report.scan_results import make_matches
from tests.scan.builders import INVENTORY, match, vulnerability


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _render(matches: list[VulnerabilityMatch] | None) -> dict[str, Any]:
    output = render_cyclonedx(INVENTORY, matches=matches)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(
        output.decode("utf-8"), all_errors=True
    )
    assert errors is None, list(errors)
    document: dict[str, Any] = json.loads(output)
    return document


def _refs(bom: dict[str, Any]) -> dict[str, str]:
    return {c["bom-ref"]: c["name"] for c in bom["components"]}


def _by_ref(bom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["bom-ref"]: v for v in bom["vulnerabilities"]}


def test_without_matches_unchanged() -> None:
    plain = json.loads(render_cyclonedx(INVENTORY))
    assert "vulnerabilities" not in plain
    assert "vulnerabilities" not in _render(None)


def test_valid_and_one_entry_per_vulnerability_and_verdict() -> None:
    bom = _render(make_matches())
    assert sorted(_by_ref(bom)) == [
        "vulnerability:CVE-2024-1111",
        "vulnerability:CVE-2024-1111-2",
        "vulnerability:CVE-2024-4444",
        "vulnerability:CVE-2024-5555",
        "vulnerability:DSA-5701-1",
        "vulnerability:GHSA-abcd-efgh-ijkl",
    ]
    refs = _refs(bom)
    for entry in bom["vulnerabilities"]:
        for target in entry["affects"]:
            assert target["ref"] in refs


def test_reported_entry() -> None:
    bom = _render(make_matches())
    entries = [v for v in bom["vulnerabilities"] if v["id"] == "CVE-2024-1111"]
    reported = next(e for e in entries if "analysis" not in e)
    (target,) = reported.pop("affects")
    assert _refs(bom)[target["ref"]] == "libc6"
    assert target["versions"] == [{"version": "2.36-9+deb12u4", "status": "affected"}]
    reported.pop("bom-ref")
    assert reported == {
        "id": "CVE-2024-1111",
        "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-1111"},
        "references": [
            {
                "id": "DSA-5700-1",
                "source": {
                    "name": "Debian",
                    "url": "https://security-tracker.debian.org/tracker/DSA-5700-1",
                },
            }
        ],
        "ratings": [
            {
                "source": {"name": "NVD"},
                "score": 9.8,
                "severity": "critical",
                "method": "CVSSv31",
                # cyclonedx-python-lib drops the `CVSS:3.1/` prefix: `method` says it
                "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "justification": "CVSS:3.1 (NVD)",
            }
        ],
        "description": "glibc: buffer overflow in iconv",
        "recommendation": "Upgrade libc6 (source package glibc) to 2.36-9+deb12u7 or later "
        "and rebuild the image.",
        "advisories": [{"url": "https://security-tracker.debian.org/tracker/CVE-2024-1111"}],
        "published": "2024-05-01T10:00:00+00:00",
        "updated": "2024-05-02T00:00:00+00:00",
    }


def test_vex_and_ignore_analysis() -> None:
    bom = _render(make_matches())
    vex = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2024-1111" and "analysis" in v)
    assert vex["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_present",
        "detail": "vex: not_affected (vulnerable_code_not_present) by Jane Doe",
    }
    assert vex["affects"][0]["versions"] == [{"version": "2024a-0+deb12u1", "status": "unaffected"}]
    assert "recommendation" not in vex
    ignored = _by_ref(bom)["vulnerability:CVE-2024-5555"]
    assert ignored["analysis"] == {"detail": "ignored by .trivyignore: not reachable"}
    assert ignored["affects"][0]["versions"][0]["status"] == "affected"


def test_fixed_statement_and_rating_methods() -> None:
    fixed = match("bash", vulnerability("CVE-2024-7"), suppressed_by="vex: fixed by Debian")
    rated = match("libc6", vulnerability("CVE-2024-8", severity_source="Debian urgency"))
    v2 = match(
        "tzdata",
        vulnerability(
            "CVE-2009-1", cvss_vector="AV:N/AC:L/Au:N/C:P/I:P/A:P", cvss_score=7.5,
            severity_source="CVSS:2.0 (NVD)",
        ),
    )
    v4 = match(
        "six",
        vulnerability(
            "GHSA-1234-5678-9abc",
            cvss_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            cvss_score=9.3,
            severity_source="CVSS:4.0",
        ),
        ecosystem="PyPI",
    )
    bom = _render([fixed, rated, v2, v4])
    entries = {v["id"]: v for v in bom["vulnerabilities"]}
    assert entries["CVE-2024-7"]["analysis"] == {
        "state": "resolved",
        "detail": "vex: fixed by Debian",
    }
    assert entries["CVE-2024-8"]["ratings"] == [
        {
            "source": {"name": "Debian"},
            "severity": "high",
            "method": "other",
            "justification": "Debian urgency",
        }
    ]
    assert entries["CVE-2009-1"]["ratings"][0]["method"] == "CVSSv2"
    assert entries["CVE-2009-1"]["ratings"][0]["score"] == 7.5
    v4_rating = entries["GHSA-1234-5678-9abc"]["ratings"][0]
    assert (v4_rating["method"], "source" in v4_rating) == ("CVSSv4", False)
    assert entries["GHSA-1234-5678-9abc"]["source"]["url"] == (
        "https://github.com/advisories/GHSA-1234-5678-9abc"
    )


def test_several_packages_share_an_entry() -> None:
    shared = vulnerability("CVE-2024-9")
    bom = _render([match("libc6", shared), match("bash", shared)])
    (entry,) = bom["vulnerabilities"]
    names = sorted(_refs(bom)[t["ref"]] for t in entry["affects"])
    assert names == ["bash", "libc6"]


def test_deterministic_and_serial_covers_vulnerabilities() -> None:
    matches = make_matches()
    once = render_cyclonedx(INVENTORY, matches=matches)
    assert render_cyclonedx(INVENTORY, matches=list(reversed(matches))) == once
    plain = json.loads(render_cyclonedx(INVENTORY))
    assert json.loads(once)["serialNumber"] != plain["serialNumber"]
    assert json.loads(render_cyclonedx(INVENTORY, matches=[]))["serialNumber"] != (
        json.loads(once)["serialNumber"]
    )


def test_a_package_outside_the_inventory_is_a_bug() -> None:
    from dataclasses import replace

    stranger = match()
    stranger = replace(stranger, package=replace(stranger.package, name="ghost"))
    with pytest.raises(ValueError, match="is not in the inventory"):
        render_cyclonedx(INVENTORY, matches=[stranger])
