"""The scan's JSON document and table: exact contents, and the same bytes every time."""

from __future__ import annotations

import json
import random
from typing import Any

from tenlayer.report.json import render_scan as render_json
from tenlayer.report.table import render_scan as render_table
from tenlayer.scan.grade import grade
from tests.report.scan_results import NOW, make_matches, make_result
from tests.sbom.inventories import LAYERS


def _json() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_json(make_result()))
    return document


def test_json_top_level() -> None:
    document = _json()
    assert sorted(document) == [
        "checks",
        "findings",
        "grade",
        "image",
        "os",
        "schema_version",
        "summary",
        "suppressed",
        "tool",
        "vulnerabilities",
        "warnings",
    ]
    assert document["summary"] == {
        "vulnerabilities": 4,
        "by_severity": {
            "critical": 1,
            "high": 1,
            "medium": 1,
            "low": 0,
            "info": 0,
            "unknown": 1,
        },
        "suppressed": 2,
        "packages": 16,
        "findings": 1,
        "findings_by_severity": {
            "critical": 0,
            "high": 0,
            "medium": 0,
            "low": 1,
            "info": 0,
            "unknown": 0,
        },
    }
    assert document["warnings"] == ["matcher: no advisories for Maven"]
    assert [f["check_id"] for f in document["findings"]] == ["content/file-not-analyzed"]
    assert document["os"]["pretty_name"] == "Debian GNU/Linux 12 (bookworm)"


def test_json_vulnerabilities_in_severity_order() -> None:
    document = _json()
    assert [(v["id"], v["package"]["name"]) for v in document["vulnerabilities"]] == [
        ("CVE-2024-1111", "libc6"),
        ("DSA-5701-1", "bash"),
        ("GHSA-abcd-efgh-ijkl", "six"),
        ("CVE-2024-4444", "left-pad"),
    ]
    first = document["vulnerabilities"][0]
    package = first.pop("package")
    assert first == {
        "id": "CVE-2024-1111",
        "aliases": ["DSA-5700-1"],
        "summary": "glibc: buffer overflow in iconv",
        "severity": "critical",
        "severity_source": "CVSS:3.1 (NVD)",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cvss_score": 9.8,
        "published": "2024-05-01T10:00:00Z",
        "modified": "2024-05-02T00:00:00Z",
        "references": ["https://security-tracker.debian.org/tracker/CVE-2024-1111"],
        "installed_version": "2.36-9+deb12u4",
        "fixed_version": "2.36-9+deb12u7",
        "status": "fixed",
        "advisory_ecosystem": "Debian:12",
        "location": "/var/lib/dpkg/status",
    }
    assert (package["name"], package["source_name"], package["layer_index"]) == (
        "libc6",
        "glibc",
        0,
    )
    assert package["layer_diff_id"] == LAYERS[0].diff_id
    unrated = document["vulnerabilities"][3]
    assert (unrated["severity"], unrated["published"], unrated["fixed_version"]) == (
        "unknown",
        None,
        None,
    )
    assert all("suppressed_by" not in v for v in document["vulnerabilities"])


def test_json_suppressed_with_reasons() -> None:
    suppressed = _json()["suppressed"]
    assert [(s["id"], s["package"]["name"], s["suppressed_by"]) for s in suppressed] == [
        (
            "CVE-2024-1111",
            "tzdata",
            "vex: not_affected (vulnerable_code_not_present) by Jane Doe",
        ),
        ("CVE-2024-5555", "cryptography", "ignored by .trivyignore: not reachable"),
    ]


def test_json_grade() -> None:
    assert _json()["grade"] == {
        "grade": "C",
        "vulnerability": "DSA-5701-1",
        "package": "bash",
        "purl": "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12"
        "&upstream=bash%405.2.15-2",
        "severity": "high",
        "fixed_version": "5.2.15-2+deb12u1",
        "since": "2024-04-01",
        "next_drop": "2024-06-01",
        "next_grade": "D",
        "counted": 2,
        "description": "C: DSA-5701-1 in bash (high, published 2024-04-01, fixed in "
        "5.2.15-2+deb12u1); drops to D on 2024-06-01",
    }


def test_same_bytes_whatever_the_order() -> None:
    first_json, first_table = render_json(make_result()), render_table(make_result())
    for seed in range(5):
        matches = make_matches()
        random.Random(seed).shuffle(matches)
        assert render_json(make_result(matches)) == first_json
        assert render_table(make_result(matches)) == first_table


TABLE = """\
Image: registry.example.com/team/app:1.2 (registry)
Digest: sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1
OS: Debian GNU/Linux 12 (bookworm)

CRITICAL (1)
Package  Installed       Fixed           Status  Vulnerability  Rated by        Title
libc6    2.36-9+deb12u4  2.36-9+deb12u7  fixed   CVE-2024-1111  CVSS:3.1 (NVD)  glibc: buffer overflow in iconv

HIGH (1)
Package  Installed    Fixed             Status  Vulnerability  Rated by        Title
bash     5.2.15-2+b2  5.2.15-2+deb12u1  fixed   DSA-5701-1     Debian urgency  bash: command injection

MEDIUM (1)
Package  Installed  Fixed  Status     Vulnerability        Rated by     Title
six      1.16.0            not-fixed  GHSA-abcd-efgh-ijkl  GHSA rating  six: something | odd *markdown*

UNKNOWN (1)
Package   Installed  Fixed  Status     Vulnerability  Rated by   Title
left-pad  1.3.0             not-fixed  CVE-2024-4444  no rating

4 vulnerabilities (CRITICAL: 1, HIGH: 1, MEDIUM: 1, UNKNOWN: 1) in 16 packages; 2 suppressed

                                               Suppressed
Package       Installed        Vulnerability  Reason
tzdata        2024a-0+deb12u1  CVE-2024-1111  vex: not_affected (vulnerable_code_not_present) by Jane Doe
cryptography  42.0.5           CVE-2024-5555  ignored by .trivyignore: not reachable

                                                               Findings
 Severity  Check                      Location          Title                                                             Details
 LOW       content/file-not-analyzed  /usr/lib/huge.db  A file was too large to analyze; the inventory may be incomplete  analyzer=rpm
1 finding (1 low)
warning: matcher: no advisories for Maven
Health grade C: DSA-5701-1 in bash (high, published 2024-04-01, fixed in 5.2.15-2+deb12u1); drops to D on 2024-06-01
"""  # noqa: E501


def test_table_exact() -> None:
    text = render_table(make_result()).decode()
    assert "\n".join(line.rstrip() for line in text.splitlines()) + "\n" == TABLE


def test_table_of_a_clean_image_ends_with_grade_a() -> None:
    result = make_result([])
    assert result.grade == grade([], now=NOW)
    lines = render_table(result).decode().splitlines()
    assert lines[-1] == (
        "Health grade A: no unapplied fixes for critical or high vulnerabilities"
    )
    assert "0 vulnerabilities in 16 packages" in lines
