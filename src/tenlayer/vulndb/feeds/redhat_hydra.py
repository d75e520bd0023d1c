"""Red Hat's security data API, one JSON per CVE
(`https://access.redhat.com/hydra/rest/securitydata/cve/CVE-2023-4863.json`).

Grype's vunnel reads these (beside Red Hat's OVAL, hence its `rhel/oval/input/cve/full/`
directory); they say per CVE what the VEX files say, in a simpler shape:

- `affected_release[]`: `{cpe, package: "firefox-0:102.15.1-1.el8_8", advisory: RHSA-…}`,
  a released fix of a source package: FIXED from `introduced 0` to that version. Modules
  are named by their NSVC there (`ruby:2.7-8080020230427102918.63b34585`), not by an rpm:
  nothing to compare an rpm with, so skipped.
- `package_state[]`: `{cpe, package_name, fix_state}`. `Will not fix` and `Out of support
  scope` (the release will get no fix for it): WONT_FIX; `Affected` and `Fix deferred`:
  NOT_FIXED; `Not affected`, `Under investigation`, `New`: nothing. A module's entries
  (`gimp:flatpak/ghostscript`) are skipped (see `redhat.py`).

One advisory per CVE, `REDHAT-CVE-…` (the same id as a VEX file's, for the same facts),
the CVE as alias, the RHSAs as `related`. Rated by `threat_severity`, then CVSS v3 and v2.
Published is `public_date`; the API has no modification date, so `modified` is the file's.
The summary files (`/cve.json` pages and vunnel's `min/` copies) list no package states:
not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tenlayer.model import FixStatus
from tenlayer.vulndb.feeds._common import (
    FeedItem,
    distro_id,
    file_time,
    files_under,
    head,
    load_json,
    malformed,
    text,
    unfixed_affected,
)
from tenlayer.vulndb.feeds.redhat import (
    SOURCE,
    Fix,
    cpe_ecosystem,
    fixed_entries,
    parse_nevra,
    rating,
)
from tenlayer.vulndb.records import Advisory, Affected, MalformedRecord, SeverityScore

STATES = {
    "will not fix": FixStatus.WONT_FIX,
    "out of support scope": FixStatus.WONT_FIX,
    "affected": FixStatus.NOT_FIXED,
    "fix deferred": FixStatus.NOT_FIXED,
}
_CVE = re.compile(r"CVE-\d{4}-\d+", re.IGNORECASE)
_KEYS = re.compile(r'"(?:threat_severity|affected_release|package_state)"\s*:')


def is_hydra_cve(start: str) -> bool:
    """A per-CVE document (not the summary list, which has `resource_url` and no states)."""
    is_object = start.lstrip().startswith("{")
    return is_object and bool(_KEYS.search(start)) and '"resource_url"' not in start


def iter_redhat_hydra(path: Path) -> Iterator[FeedItem]:
    """Advisories from one CVE document, or every one under a directory."""
    single = path.is_file()
    for file in files_under(path):
        if not single and not is_hydra_cve(head(file)):
            continue
        try:
            document = load_json(file)
            advisory = read_hydra(document, file)
        except MalformedRecord as error:
            yield error if str(error).startswith(str(file)) else malformed(file, str(error))
            continue
        if advisory is not None:
            yield advisory


def read_hydra(document: Any, path: Path) -> Advisory | None:
    """The advisory of one decoded CVE document; None when nothing concerns RHEL."""
    if not isinstance(document, Mapping):
        raise MalformedRecord("not a Red Hat CVE document (expected an object)")
    cve = text(document.get("name"))
    if not cve:
        named = _CVE.search(path.name)
        cve = named.group(0).upper() if named else ""
    if not _CVE.fullmatch(cve):
        raise MalformedRecord(f"no CVE name ({cve!r})")
    impact = rating(text(document.get("threat_severity")))
    severity = (impact,) if impact else ()
    fixes: list[Fix] = []
    related: list[str] = []
    for index, release in enumerate(_list(document.get("affected_release"))):
        if not isinstance(release, Mapping):
            raise MalformedRecord(f"affected_release[{index}] is not an object")
        ecosystem = cpe_ecosystem(text(release.get("cpe")))
        rpm = parse_nevra(text(release.get("package")))
        if ecosystem is None or rpm is None:
            continue
        fixes.append(Fix(ecosystem, rpm, severity))
        advisory = text(release.get("advisory"))
        if advisory and advisory not in related and not rpm.flatpak:
            related.append(advisory)
    affected: list[Affected] = fixed_entries(fixes)
    fixed = {(a.ecosystem, a.name) for a in affected}
    unfixed: dict[tuple[str, str], FixStatus] = {}
    for index, state in enumerate(_list(document.get("package_state"))):
        if not isinstance(state, Mapping):
            raise MalformedRecord(f"package_state[{index}] is not an object")
        ecosystem = cpe_ecosystem(text(state.get("cpe")))
        name = text(state.get("package_name"))
        status = STATES.get(text(state.get("fix_state")).lower())
        if ecosystem is None or not name or status is None or "/" in name or ":" in name:
            continue
        key = (ecosystem, name)
        if key not in fixed and unfixed.get(key) is not FixStatus.NOT_FIXED:
            unfixed[key] = status
    for (ecosystem, name), status in sorted(unfixed.items()):
        affected.append(unfixed_affected(ecosystem, name, status, severity=severity))
    if not affected:
        return None
    return Advisory(
        id=distro_id("REDHAT", cve),
        modified=file_time(path),
        published=text(document.get("public_date")),
        aliases=(cve,),
        related=tuple(related),
        summary=_summary(document),
        details="\n\n".join(d for d in _list(document.get("details")) if isinstance(d, str)),
        severity=severity + _vectors(document),
        affected=tuple(affected),
        references=(f"https://access.redhat.com/security/cve/{cve}",),
        source=str(path),
    )


def _summary(document: Mapping[str, Any]) -> str:
    bugzilla = document.get("bugzilla")
    return text(bugzilla.get("description")) if isinstance(bugzilla, Mapping) else ""


def _vectors(document: Mapping[str, Any]) -> tuple[SeverityScore, ...]:
    found: list[SeverityScore] = []
    cvss3 = document.get("cvss3")
    if isinstance(cvss3, Mapping) and text(cvss3.get("cvss3_scoring_vector")):
        found.append(SeverityScore("CVSS_V3", text(cvss3["cvss3_scoring_vector"]), SOURCE))
    cvss2 = document.get("cvss")
    if isinstance(cvss2, Mapping) and text(cvss2.get("cvss_scoring_vector")):
        found.append(SeverityScore("CVSS_V2", text(cvss2["cvss_scoring_vector"]), SOURCE))
    return tuple(found)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedRecord(f"expected a list, found {type(value).__name__}")
    return value
