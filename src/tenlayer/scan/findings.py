"""Vulnerability matches as findings of the check `content/vulnerable-package` (layer 2).

One finding per reported (not suppressed) match. Its severity is the vulnerability's, as
the matcher rated it; the catalogue's default (UNKNOWN) is only what an unrated advisory
keeps.

- subject: the image's manifest digest, else its reference, as every content check names
  the image (`tenlayer.inventory.checks`);
- location: the file in the image that proves the package is installed, from the root:
  `/var/lib/dpkg/status` for a deb, the `METADATA` of a Python distribution, an npm
  `package.json`, a Go binary, a jar (`/app/app.jar!/BOOT-INF/lib/x.jar` inside nested
  archives). That is the file to look at, and what SARIF points code scanning at; the
  package's name and version are in the title and the evidence;
- remediation: the upgrade that fixes it, or why there is none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tenlayer.checks.catalogue import Check, finding
from tenlayer.model import Finding, FixStatus, Image, Layer, Severity, VulnerabilityMatch

CHECK_ID = "content/vulnerable-package"

CHECKS = (
    Check(
        id=CHECK_ID,
        layer=Layer.CONTENT,
        severity=Severity.UNKNOWN,
        title="A package in the image has a known vulnerability",
        description=(
            "An installed package's version is within the affected ranges of a published "
            "advisory (OSV, or the distribution's own for OS packages). The severity is the "
            "advisory's: the distribution's rating for OS packages, else CVSS, else the "
            "source's rating."
        ),
        remediation="Upgrade the package to a fixed version and rebuild the image.",
        references=("https://ossf.github.io/osv-schema/",),
    ),
)


def image_subject(image: Image) -> str:
    return image.manifest_digest or image.reference


def package_location(match: VulnerabilityMatch) -> str:
    return f"/{match.package.found_in.lstrip('/')}"


def vulnerability_findings(matches: Iterable[VulnerabilityMatch], *, image: Image) -> list[Finding]:
    """A finding for each match that is not suppressed, sorted (DESIGN.md: stable output)."""
    subject = image_subject(image)
    found = [_finding(m, subject) for m in matches if not m.suppressed_by]
    return sorted(found, key=lambda f: (f.sort_key(), f.title, f.evidence))


def remediation(match: VulnerabilityMatch) -> str:
    package = match.package
    name = package.name
    if package.ecosystem.is_os and package.source_name and package.source_name != name:
        name = f"{name} (source package {package.source_name})"
    if match.status is FixStatus.FIXED and match.fixed_version:
        return f"Upgrade {name} to {match.fixed_version} or later and rebuild the image."
    if match.status is FixStatus.WONT_FIX:
        return (
            f"The distribution will not fix {name}: remove the package if the image does "
            "not need it, or accept the risk in an ignore file or a VEX statement."
        )
    return (
        f"No fixed version of {name} is published yet: remove the package if the image "
        "does not need it, and rebuild once a fix is released."
    )


def _finding(match: VulnerabilityMatch, subject: str) -> Finding:
    vulnerability = match.vulnerability
    package = match.package
    title = f"{vulnerability.id} in {package.name} {package.version}"
    if vulnerability.summary:
        title += f": {vulnerability.summary}"
    built = finding(
        CHECK_ID,
        subject=subject,
        location=package_location(match),
        evidence=_evidence(match),
        title=title,
        severity=vulnerability.severity,
    )
    return replace(built, remediation=remediation(match), references=vulnerability.references)


def _evidence(match: VulnerabilityMatch) -> tuple[tuple[str, str], ...]:
    vulnerability = match.vulnerability
    package = match.package
    facts = [
        ("vulnerability", vulnerability.id),
        ("aliases", ", ".join(vulnerability.aliases)),
        ("package", package.name),
        ("purl", package.purl),
        ("installed version", package.version),
        ("source package", package.source_name or ""),
        ("fixed version", match.fixed_version or ""),
        ("status", match.status.value),
        ("advisory ecosystem", match.ecosystem),
        ("severity source", vulnerability.severity_source),
        ("cvss vector", vulnerability.cvss_vector),
        ("cvss score", "" if vulnerability.cvss_score is None else f"{vulnerability.cvss_score:g}"),
        ("published", vulnerability.published),
        ("layer index", "" if package.layer_index is None else str(package.layer_index)),
        ("layer diff_id", package.layer_digest or ""),
    ]
    return tuple((key, value) for key, value in facts if value)
