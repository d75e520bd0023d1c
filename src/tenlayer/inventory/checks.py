"""Content checks that follow from the inventory alone (layer 2)."""

from __future__ import annotations

from tenlayer.checks.catalogue import Check, finding
from tenlayer.model import Finding, Inventory, Layer, Severity

CHECKS = (
    Check(
        id="content/os-unidentified",
        layer=Layer.CONTENT,
        severity=Severity.MEDIUM,
        title="OS packages found but the distribution could not be identified",
        description=(
            "The image holds an OS package database but no os-release (nor "
            "debian_version, alpine-release, redhat-release). Distribution advisories are "
            "per release, so its OS packages cannot be matched against them."
        ),
        remediation="Keep /etc/os-release (or /usr/lib/os-release) in the image.",
        references=("https://www.freedesktop.org/software/systemd/man/os-release.html",),
    ),
    Check(
        id="content/file-not-analyzed",
        layer=Layer.CONTENT,
        severity=Severity.LOW,
        title="A file was too large to analyze; the inventory may be incomplete",
        description=(
            "An analyzer skipped a file above its size limit, so packages recorded in it "
            "are missing from the inventory."
        ),
        remediation="Check the file; if it is genuine, report the limit as too low.",
    ),
)


def evaluate(inventory: Inventory) -> list[Finding]:
    subject = inventory.image.manifest_digest or inventory.image.reference
    found = []
    if inventory.os is None and any(p.ecosystem.is_os for p in inventory.packages):
        sources = sorted({p.found_in for p in inventory.packages if p.ecosystem.is_os})
        found.append(
            finding(
                "content/os-unidentified",
                subject=subject,
                location=f"/{sources[0]}",
                evidence=(("package databases", ", ".join(f"/{s}" for s in sources)),),
            )
        )
    for skipped in inventory.skipped:
        found.append(
            finding(
                "content/file-not-analyzed",
                subject=subject,
                location=f"/{skipped.path}",
                evidence=(
                    ("analyzer", skipped.analyzer),
                    ("size", str(skipped.size)),
                    ("limit", str(skipped.limit)),
                    ("image_layer", str(skipped.layer_index)),
                ),
            )
        )
    return sorted(found, key=lambda f: f.sort_key())
