"""Who issues an advisory id, and where a person reads it: for links in every report."""

from __future__ import annotations

_SOURCES = (
    ("CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/{id}"),
    ("GHSA-", "GitHub Advisory Database", "https://github.com/advisories/{id}"),
    ("GO-", "Go Vulnerability Database", "https://pkg.go.dev/vuln/{id}"),
    ("RUSTSEC-", "RustSec", "https://rustsec.org/advisories/{id}.html"),
    ("DSA-", "Debian", "https://security-tracker.debian.org/tracker/{id}"),
    ("DLA-", "Debian", "https://security-tracker.debian.org/tracker/{id}"),
    ("DEBIAN-", "Debian", "https://security-tracker.debian.org/tracker/{rest}"),
    ("USN-", "Ubuntu", "https://ubuntu.com/security/notices/{id}"),
    ("RHSA-", "Red Hat", "https://access.redhat.com/errata/{id}"),
)
_OSV = ("OSV", "https://osv.dev/vulnerability/{id}")


def advisory_source(advisory_id: str) -> tuple[str, str]:
    """(name of the database that issues the id, URL of its page for the id).

    Ids of databases without a page of their own (PYSEC, ALSA, …) link to osv.dev, which
    shows every OSV record.
    """
    for prefix, name, url in _SOURCES:
        if advisory_id.startswith(prefix):
            return name, url.format(id=advisory_id, rest=advisory_id[len(prefix) :])
    name, url = _OSV
    return name, url.format(id=advisory_id)
