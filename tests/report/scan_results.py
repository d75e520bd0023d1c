"""A hand-built scan: every severity, every fix status, both kinds of suppression."""

from __future__ import annotations

from datetime import UTC, datetime

from tenlayer.checks.catalogue import finding
from tenlayer.model import FixStatus, Severity, VulnerabilityMatch
from tenlayer.scan.findings import vulnerability_findings
from tenlayer.scan.grade import grade
from tenlayer.scan.result import ScanResult
from tests.scan.builders import INVENTORY, match, vulnerability

NOW = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)

CRITICAL = vulnerability(
    "CVE-2024-1111",
    Severity.CRITICAL,
    "2024-05-01T10:00:00Z",
    aliases=("DSA-5700-1",),
    summary="glibc: buffer overflow in iconv",
    severity_source="CVSS:3.1 (NVD)",
    cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    cvss_score=9.8,
    modified="2024-05-02T00:00:00Z",
    references=("https://security-tracker.debian.org/tracker/CVE-2024-1111",),
)
HIGH = vulnerability(
    "DSA-5701-1",
    Severity.HIGH,
    "2024-04-01T00:00:00Z",
    aliases=("CVE-2024-2222",),
    summary="bash: command injection",
    severity_source="Debian urgency",
)
MEDIUM = vulnerability(
    "GHSA-abcd-efgh-ijkl",
    Severity.MEDIUM,
    "2023-01-01T00:00:00Z",
    aliases=("CVE-2023-3333", "PYSEC-2023-1"),
    summary="six: something | odd *markdown*",
    severity_source="GHSA rating",
)
UNRATED = vulnerability("CVE-2024-4444", Severity.UNKNOWN, "", summary="", modified="")
IGNORED = vulnerability("CVE-2024-5555", Severity.HIGH, "2020-01-01T00:00:00Z",
                        summary="cryptography: weak default")


def make_matches() -> list[VulnerabilityMatch]:
    return [
        match("libc6", CRITICAL, fixed="2.36-9+deb12u7"),
        match("bash", HIGH, fixed="5.2.15-2+deb12u1"),
        match("six", MEDIUM, status=FixStatus.NOT_FIXED, ecosystem="PyPI"),
        match("left-pad", UNRATED, status=FixStatus.NOT_FIXED, ecosystem="npm"),
        match(
            "tzdata",
            CRITICAL,
            fixed="2024b-0+deb12u1",
            suppressed_by="vex: not_affected (vulnerable_code_not_present) by Jane Doe",
        ),
        match(
            "cryptography",
            IGNORED,
            fixed="42.0.6",
            ecosystem="PyPI",
            suppressed_by="ignored by .trivyignore: not reachable",
        ),
    ]


def make_result(matches: list[VulnerabilityMatch] | None = None) -> ScanResult:
    matches = make_matches() if matches is None else matches
    other = finding(
        "content/file-not-analyzed",
        subject=INVENTORY.image.manifest_digest or "",
        location="/usr/lib/huge.db",
        evidence=(("analyzer", "rpm"),),
    )
    return ScanResult(
        inventory=INVENTORY,
        matches=tuple(matches),
        grade=grade(matches, now=NOW),
        findings=(*vulnerability_findings(matches, image=INVENTORY.image), other),
        warnings=("matcher: no advisories for Maven",),
    )
