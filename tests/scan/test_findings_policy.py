"""content/vulnerable-package findings, and the policy applied before them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tenlayer.checks.catalogue import catalogue
from tenlayer.model import FixStatus, Layer, Severity
from tenlayer.scan.findings import CHECK_ID, vulnerability_findings
from tenlayer.scan.ignore import parse_ignore
from tenlayer.scan.policy import apply_policy
from tenlayer.scan.vex import parse_vex
from tests.sbom.inventories import LAYERS, MANIFEST_DIGEST
from tests.scan.builders import INVENTORY, match, vulnerability

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def test_check_is_catalogued() -> None:
    check = catalogue()[CHECK_ID]
    assert (check.layer, check.severity) == (Layer.CONTENT, Severity.UNKNOWN)


def test_one_finding_per_reported_match() -> None:
    vuln = vulnerability(
        "CVE-2024-1111",
        Severity.CRITICAL,
        aliases=("DSA-5555-1",),
        severity_source="CVSS:3.1 (NVD)",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        cvss_score=9.8,
        references=("https://security-tracker.debian.org/tracker/CVE-2024-1111",),
    )
    found = vulnerability_findings(
        [
            match("libc6", vuln, fixed="2.36-9+deb12u7"),
            match("bash", vulnerability("CVE-2024-2", Severity.LOW), status=FixStatus.WONT_FIX),
            match("tzdata", vuln, suppressed_by="ignored by x"),
        ],
        image=INVENTORY.image,
    )
    assert [(f.severity, f.title) for f in found] == [
        (Severity.CRITICAL, "CVE-2024-1111 in libc6 2.36-9+deb12u4: flaw CVE-2024-1111"),
        (Severity.LOW, "CVE-2024-2 in bash 5.2.15-2+b2: flaw CVE-2024-2"),
    ]
    first = found[0]
    assert first.check_id == CHECK_ID
    assert first.layer == Layer.CONTENT
    assert first.subject == MANIFEST_DIGEST
    assert first.location == "/var/lib/dpkg/status"
    assert first.remediation == (
        "Upgrade libc6 (source package glibc) to 2.36-9+deb12u7 or later and rebuild the image."
    )
    assert first.references == ("https://security-tracker.debian.org/tracker/CVE-2024-1111",)
    assert dict(first.evidence) == {
        "vulnerability": "CVE-2024-1111",
        "aliases": "DSA-5555-1",
        "package": "libc6",
        "purl": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        "installed version": "2.36-9+deb12u4",
        "source package": "glibc",
        "fixed version": "2.36-9+deb12u7",
        "status": "fixed",
        "advisory ecosystem": "Debian:12",
        "severity source": "CVSS:3.1 (NVD)",
        "cvss vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cvss score": "9.8",
        "published": "2024-01-01T00:00:00Z",
        "layer index": "0",
        "layer diff_id": LAYERS[0].diff_id,
    }
    assert found[1].remediation.startswith("The distribution will not fix bash:")


def test_language_package_location_and_unfixed_remediation() -> None:
    found = vulnerability_findings(
        [match("org.slf4j:slf4j-api", status=FixStatus.NOT_FIXED)],
        image=INVENTORY.image,
    )
    assert found[0].location == "/app/app.jar!/BOOT-INF/lib/slf4j-api-2.0.9.jar"
    assert found[0].remediation.startswith("No fixed version of org.slf4j:slf4j-api is published")
    assert found[0].severity == Severity.HIGH


def test_subject_without_manifest_digest_is_the_reference() -> None:
    from dataclasses import replace

    image = replace(INVENTORY.image, manifest_digest=None)
    assert vulnerability_findings([match()], image=image)[0].subject == image.reference


def test_policy_vex_first_then_ignore_files_then_unfixed() -> None:
    vuln = vulnerability("CVE-2024-1111")
    vex = parse_vex(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "author": "Jane",
                "statements": [
                    {
                        "vulnerability": {"name": "CVE-2024-1111"},
                        "products": [{"@id": "pkg:deb/debian/libc6"}],
                        "status": "not_affected",
                        "justification": "component_not_present",
                    }
                ],
            }
        ),
        source="v.json",
    )
    ignores = parse_ignore("CVE-2024-1111\nCVE-2000-1 exp:2020-01-01\n", source=".trivyignore")
    matches = [
        match("libc6", vuln),
        match("bash", vuln),
        match("tzdata", vuln, status=FixStatus.NOT_FIXED),
    ]
    result = apply_policy(matches, now=NOW, vex=[vex], ignores=[ignores], ignore_unfixed=True)
    assert [(m.package.name, m.suppressed_by) for m in result.matches] == [
        ("libc6", "vex: not_affected (component_not_present) by Jane"),
        ("bash", "ignored by .trivyignore"),
    ]
    assert result.warnings == [
        "left out 1 vulnerability without a fix (--ignore-unfixed)",
        ".trivyignore: line 2: the entry for CVE-2000-1 expired on 2020-01-01 and no longer "
        "suppresses it",
    ]
    everything = apply_policy(matches, now=NOW)
    assert everything.matches == matches
