"""Ubuntu's OSV records (`canonical/ubuntu-security-notices`, `osv/cve/…/UBUNTU-CVE-….json`
and `osv/usn/USN-….json`), with the fix states of Ubuntu's OpenVEX files (`vex/cve/…`).

The records are OSV already (ecosystems `Ubuntu:22.04:LTS`, `Ubuntu:25.10`, and
`Ubuntu:Pro:16.04:LTS` for the ESM archives; source packages; priority as severity type
`Ubuntu`) and are parsed by `tenlayer.vulndb.osv`. What is Ubuntu's own:

- The CVE. A `UBUNTU-CVE-…` record names it in `upstream` (older records only in the
  id), not `aliases`; it becomes an alias, so the record meets the same CVE from other
  sources and ignore files can name it.
  A USN's `upstream` lists the `UBUNTU-CVE-…` records it fixes: `related`, since one USN
  fixes several CVEs and must not fold them into one.
- The fix state. OSV says only fixed (a `fixed` event: FIXED) or not (no `fixed`); Ubuntu
  leaves out packages that are not affected. Whether an unfixed package will be fixed is in
  the OpenVEX file of the same CVE, when one lies in a `vex/` directory beside `osv/`
  (Ubuntu's status -> OpenVEX, from Ubuntu's documentation of its VEX data):

  | Ubuntu status   | OpenVEX                                    | here      |
  |-----------------|--------------------------------------------|-----------|
  | needed, pending | affected ("… needs fixing")                | NOT_FIXED |
  | deferred        | under_investigation ("… remediation is deferred") | NOT_FIXED |
  | needs-triage    | under_investigation                        | NOT_FIXED |
  | ignored         | affected ("… decided to not fix it")       | WONT_FIX  |
  | end of life     | affected ("… is no longer supported")      | WONT_FIX  |

  Without a VEX file an unfixed package is NOT_FIXED. VEX statements are joined to the OSV
  entries by CVE, release (the purl's `distro=`: `jammy`, `esm-apps/xenial` -> Pro) and
  source package. A VEX file alone is not read: its `fixed` statements name the current
  archive version, not the version that fixed the flaw, so it cannot give fixed ranges.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tenlayer.model import FixStatus
from tenlayer.vulndb.feeds._common import FeedItem, files_under, head, load_json, malformed
from tenlayer.vulndb.names import canonical_ecosystem
from tenlayer.vulndb.records import Advisory, Affected, EventKind, MalformedRecord

RELEASES = {
    "precise": "12.04",
    "trusty": "14.04",
    "xenial": "16.04",
    "bionic": "18.04",
    "cosmic": "18.10",
    "disco": "19.04",
    "eoan": "19.10",
    "focal": "20.04",
    "groovy": "20.10",
    "hirsute": "21.04",
    "impish": "21.10",
    "jammy": "22.04",
    "kinetic": "22.10",
    "lunar": "23.04",
    "mantic": "23.10",
    "noble": "24.04",
    "oracular": "24.10",
    "plucky": "25.04",
    "questing": "25.10",
    "resolute": "26.04",
}
"""Codename -> release, to read the `distro=` of VEX purls."""

_OSV_ID = re.compile(r'"id"\s*:\s*"(?:UBUNTU-CVE-|USN-|LSN-)')
_WONT_FIX = (
    "decided to not fix it",
    "is no longer supported",
)


def is_ubuntu_osv(start: str) -> bool:
    return bool(_OSV_ID.search(start))


def is_ubuntu_vex(start: str) -> bool:
    return "openvex.dev/ns" in start and ("canonical" in start.lower() or "ubuntu" in start)


def iter_ubuntu(path: Path) -> Iterator[FeedItem]:
    """Advisories from an Ubuntu OSV record, or every one under a directory, with the fix
    states of the OpenVEX files found beside them."""
    from tenlayer.vulndb.osv import parse_record

    single = path.is_file()
    vex = VexIndex(path)
    for file in files_under(path):
        if not single and not is_ubuntu_osv(head(file, 1024)):
            continue
        try:
            advisory = parse_record(load_json(file), str(file))
            yield refine(advisory, vex)
        except MalformedRecord as error:
            yield error if str(error).startswith(str(file)) else malformed(file, str(error))


def refine(advisory: Advisory, vex: VexIndex | None = None) -> Advisory:
    """Ubuntu's specifics on a parsed record (see the module docstring)."""
    upstream = advisory.extra.get("upstream", "").split()
    if advisory.id.startswith("UBUNTU-CVE-") and not upstream:  # records before schema 1.7
        upstream = [advisory.id.removeprefix("UBUNTU-")]
    aliases, related = list(advisory.aliases), list(advisory.related)
    for ident in upstream:
        target = aliases if ident.startswith("CVE-") else related
        if ident not in target:
            target.append(ident)
    cve = next((a for a in aliases if a.startswith("CVE-")), "")
    open_entries = any(e.state is None and not _fixed(e) for e in advisory.affected)
    states = vex.states(cve) if vex is not None and cve and open_entries else {}
    affected = tuple(_with_state(entry, states) for entry in advisory.affected)
    return dataclasses.replace(
        advisory, aliases=tuple(aliases), related=tuple(related), affected=affected
    )


def _with_state(entry: Affected, states: Mapping[tuple[str, str], FixStatus]) -> Affected:
    if entry.state is not None:
        return entry
    if _fixed(entry):
        return dataclasses.replace(entry, state=FixStatus.FIXED)
    key = (canonical_ecosystem(entry.ecosystem), entry.name.lower())
    return dataclasses.replace(entry, state=states.get(key, FixStatus.NOT_FIXED))


def _fixed(entry: Affected) -> bool:
    return any(e.kind is EventKind.FIXED for r in entry.ranges for e in r.events)


class VexIndex:
    """Ubuntu's OpenVEX files near `root`, by CVE, read when a record asks."""

    def __init__(self, root: Path) -> None:
        self._files: dict[str, Path] = {}
        base = root if root.is_dir() else root.parent
        places = [base / "vex"]
        places.extend(a.parent / "vex" for a in [base, *base.parents][:4] if a.name == "osv")
        for place in dict.fromkeys(places):
            if place.is_dir():
                self._index(place)
        if root.is_dir():
            self._index(root, only_vex=True)

    def _index(self, directory: Path, *, only_vex: bool = False) -> None:
        for file in directory.rglob("CVE-*.json"):
            if only_vex and "vex" not in file.relative_to(directory).parts[:-1]:
                continue
            self._files.setdefault(file.stem.upper(), file)

    def states(self, cve: str) -> dict[tuple[str, str], FixStatus]:
        """{(ecosystem key, source package): state} for the unfixed packages of one CVE."""
        file = self._files.get(cve.upper())
        if file is None:
            return {}
        try:
            document = load_json(file)
        except MalformedRecord:
            return {}
        return vex_states(document)


def vex_states(document: Any) -> dict[tuple[str, str], FixStatus]:
    """What Ubuntu's OpenVEX document says of packages not yet fixed."""
    found: dict[tuple[str, str], FixStatus] = {}
    statements = document.get("statements") if isinstance(document, Mapping) else None
    for statement in statements if isinstance(statements, list) else ():
        if not isinstance(statement, Mapping):
            continue
        status = statement.get("status")
        if status == "affected":
            action = str(statement.get("action_statement") or "")
            wont = any(words in action for words in _WONT_FIX)
            state = FixStatus.WONT_FIX if wont else FixStatus.NOT_FIXED
        elif status == "under_investigation":
            state = FixStatus.NOT_FIXED
        else:
            continue
        products = statement.get("products")
        for product in products if isinstance(products, list) else ():
            ident = product.get("@id") if isinstance(product, Mapping) else None
            key = _source_key(ident) if isinstance(ident, str) else None
            if key is not None:
                found[key] = state
    return found


_PURL = re.compile(r"^pkg:deb/ubuntu/(?P<name>[^@?#]+)@[^?#]*\?(?P<qualifiers>[^#]*)")


def _source_key(purl: str) -> tuple[str, str] | None:
    """(`Ubuntu:22.04` or `Ubuntu:Pro:16.04`, name) for a source package's purl."""
    match = _PURL.match(purl)
    if not match:
        return None
    qualifiers = dict(q.partition("=")[::2] for q in match.group("qualifiers").split("&"))
    if qualifiers.get("arch") != "source":
        return None
    channel, _, codename = qualifiers.get("distro", "").rpartition("/")
    release = RELEASES.get(codename)
    if release is None or (channel and not channel.startswith("esm-")):
        return None  # an unknown release, or a channel (fips, realtime) OSV names otherwise
    ecosystem = f"Ubuntu:Pro:{release}" if channel else f"Ubuntu:{release}"
    return ecosystem, match.group("name").lower()
