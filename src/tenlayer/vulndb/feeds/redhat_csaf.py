"""Red Hat's CSAF documents (https://security.access.redhat.com/data/csaf/v2/): the
advisories (`advisories/2024/rhsa-2024_6163.json`, category `csaf_security_advisory`) and
the VEX files (`vex/2024/cve-2024-8088.json`, category `csaf_vex`).

Both name products in a tree: platforms with a CPE (`cpe:/o:redhat:enterprise_linux:9::
baseos` -> `Red Hat:9`, see `redhat.py` for which count) and packages with a purl
(`pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=src`), joined by `relationships` into the
product ids that each vulnerability's `product_status` lists. Only source packages are
read: the inventory matches an rpm by its source package, and each binary of a fix has the
source's version.

- `fixed` (with its `vendor_fix` remediation naming the RHSA): `introduced 0` / `fixed
  <[epoch:]version-release>` (the epoch only when it is not 0), FIXED.
- `known_affected` with remediation `no_fix_planned` ("Will not fix", "Out of support
  scope"): WONT_FIX; with `none_available` ("Affected", "Fix deferred") or none: NOT_FIXED.
- `known_not_affected`, `under_investigation`: nothing (not affected; not yet known).

An advisory document becomes one advisory, its id the RHSA (`RHSA-2024:6163`) and its CVEs
aliases: Red Hat's unit of fix, the one its Container Health Index grades by. A VEX
document becomes one advisory per CVE, `REDHAT-CVE-…` with the CVE as alias and the RHSAs
that fix it as `related`.

Severity: Red Hat's impact (`threats[impact]`: Low, Moderate, Important, Critical) as a
rating from "Red Hat", per package where it differs, then the CVSS vectors of `scores`.
An advisory's rating is its `aggregate_severity`. Published is the document's
`tracking.initial_release_date`, modified its `current_release_date`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenlayer.model import NESTED_SEPARATOR, FixStatus
from tenlayer.vulndb.feeds._common import (
    FeedItem,
    distro_id,
    files_under,
    head,
    load_json,
    malformed,
    text,
    unfixed_affected,
)
from tenlayer.vulndb.feeds.redhat import (
    IMPACTS,
    SOURCE,
    Fix,
    Rpm,
    cpe_ecosystem,
    fixed_entries,
    parse_nevra,
    parse_purl,
    rating,
    worst,
)
from tenlayer.vulndb.records import Advisory, Affected, MalformedRecord, SeverityScore

ADVISORY = "csaf_security_advisory"
VEX = "csaf_vex"
_RHSA = re.compile(r"RH[SBE]A-\d{4}:\d+")
_CVSS = (("cvss_v4", "CVSS_V4"), ("cvss_v3", "CVSS_V3"), ("cvss_v2", "CVSS_V2"))


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
MAX_DOCUMENT_BYTES = 256 * 1024**2
"""One CSAF document in an archive; Red Hat's largest (kernel advisories) are ~100 MB."""


def is_csaf(start: str) -> bool:
    return '"csaf_version"' in start and '"document"' in start


def is_csaf_archive(path: Path) -> bool:
    """Red Hat's bulk download, `csaf_advisories_2025-02-15.tar.zst` (or the VEX one)."""
    if not path.name.endswith(".tar.zst") or "csaf" not in path.name:
        return False
    try:
        with path.open("rb") as stream:
            return stream.read(4) == _ZSTD_MAGIC
    except OSError:
        return False


def iter_redhat_csaf(path: Path) -> Iterator[FeedItem]:
    """Advisories from one CSAF document, an archive of them, or every one under a
    directory."""
    single = path.is_file()
    for file in files_under(path):
        if is_csaf_archive(file):
            yield from _iter_archive(file)
            continue
        if not single and not is_csaf(head(file)):
            continue
        try:
            document = load_json(file)
        except MalformedRecord as error:
            yield error
            continue
        yield from read_csaf(document, str(file))


def _iter_archive(path: Path) -> Iterator[FeedItem]:
    """Every document of a `.tar.zst`, streamed: the archive is never unpacked to disk."""
    import tarfile

    import orjson
    import zstandard

    try:
        with (
            path.open("rb") as raw,
            zstandard.ZstdDecompressor().stream_reader(raw) as stream,
            tarfile.open(fileobj=stream, mode="r|") as archive,
        ):
            for member in archive:
                if not member.isfile() or not member.name.endswith(".json"):
                    continue
                where = f"{path}{NESTED_SEPARATOR}{member.name}"
                if member.size > MAX_DOCUMENT_BYTES:
                    yield malformed(where, f"larger than {MAX_DOCUMENT_BYTES} bytes")
                    continue
                content = archive.extractfile(member)
                if content is None:
                    continue
                try:
                    document = orjson.loads(content.read())
                except orjson.JSONDecodeError as error:
                    yield malformed(where, f"not valid JSON: {error}")
                    continue
                yield from read_csaf(document, where)
    except (OSError, EOFError, tarfile.TarError, zstandard.ZstdError) as error:
        yield malformed(path, f"not a readable .tar.zst archive ({error})")


def read_csaf(document: Any, where: str) -> Iterator[FeedItem]:
    """The advisories of one decoded CSAF document (see the module docstring)."""
    try:
        category, tracking = _header(document)
        tree = ProductTree(document.get("product_tree"))
        vulnerabilities = document.get("vulnerabilities")
        vulnerabilities = [] if vulnerabilities is None else vulnerabilities
        if not isinstance(vulnerabilities, list):
            raise MalformedRecord("'vulnerabilities' is not a list")
    except MalformedRecord as error:
        yield malformed(where, str(error))
        return
    facts: list[_Facts] = []
    for index, vulnerability in enumerate(vulnerabilities):
        try:
            facts.append(_read_vulnerability(vulnerability, tree))
        except MalformedRecord as error:
            yield malformed(where, f"vulnerabilities[{index}]: {error}")
    if category == ADVISORY:
        advisory = _advisory(document, tracking, facts, where)
        if advisory is not None:
            yield advisory
    else:
        for fact in facts:
            if fact.fixes or fact.unfixed:
                yield _cve_advisory(tracking, fact, where)


def _header(document: Any) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(document, Mapping) or not isinstance(document.get("document"), Mapping):
        raise MalformedRecord("not a CSAF document (no 'document' object)")
    header = document["document"]
    category = header.get("category")
    if category not in (ADVISORY, VEX):
        raise MalformedRecord(f"CSAF category {category!r} is neither {ADVISORY} nor {VEX}")
    publisher = header.get("publisher")
    namespace = text(publisher.get("namespace")) if isinstance(publisher, Mapping) else ""
    if "redhat.com" not in namespace:
        raise MalformedRecord(f"not published by Red Hat (publisher namespace {namespace!r})")
    tracking = header.get("tracking")
    if not isinstance(tracking, Mapping) or not text(tracking.get("id")):
        raise MalformedRecord("no document.tracking.id")
    return category, tracking


class ProductTree:
    """Which product id is which release and which package."""

    def __init__(self, tree: Any) -> None:
        if not isinstance(tree, Mapping):
            raise MalformedRecord("no 'product_tree' object")
        self.platforms: dict[str, str | None] = {}
        self.packages: dict[str, Rpm | None] = {}
        self.links: dict[str, tuple[str, str]] = {}
        self._walk(tree.get("branches"), depth=0)
        for product in _list(tree.get("full_product_names")):
            self._product(product)
        for link in _list(tree.get("relationships")):
            full = link.get("full_product_name") if isinstance(link, Mapping) else None
            if not isinstance(full, Mapping):
                continue
            ident = text(full.get("product_id"))
            component = text(link.get("product_reference"))
            platform = text(link.get("relates_to_product_reference"))
            if ident and component and platform:
                self.links[ident] = (component, platform)

    def _walk(self, branches: Any, depth: int) -> None:
        if depth > 16:
            raise MalformedRecord("product_tree nested too deeply")
        for branch in _list(branches):
            if not isinstance(branch, Mapping):
                continue
            if isinstance(branch.get("product"), Mapping):
                self._product(branch["product"])
            self._walk(branch.get("branches"), depth + 1)

    def _product(self, product: Any) -> None:
        if not isinstance(product, Mapping) or not text(product.get("product_id")):
            return
        ident = text(product["product_id"])
        helper = product.get("product_identification_helper")
        helper = helper if isinstance(helper, Mapping) else {}
        cpe, purl = text(helper.get("cpe")), text(helper.get("purl"))
        if cpe:
            self.platforms[ident] = cpe_ecosystem(cpe)
        elif purl:
            self.packages[ident] = parse_purl(purl)
        else:
            name = text(product.get("name"))
            self.packages[ident] = parse_nevra(name) or (Rpm(name) if name else None)

    def resolve(self, product_id: str) -> tuple[str, Rpm] | None:
        """(ecosystem, package) for a product id of a status list, or None if not RHEL's."""
        link = self.links.get(product_id)
        if link is None:
            return None
        component, platform = link
        ecosystem = self.platforms.get(platform)
        for _ in range(4):  # a component can itself be a module's component
            if component not in self.links:
                break
            component = self.links[component][0]
        rpm = self.packages.get(component)
        if ecosystem is None or rpm is None:
            return None
        return ecosystem, rpm


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class _Facts:
    """What one `vulnerabilities[]` entry says, resolved to RHEL releases and packages."""

    cve: str
    title: str = ""
    description: str = ""
    published: str = ""
    impact: SeverityScore | None = None
    vectors: list[tuple[float, SeverityScore]] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    unfixed: dict[tuple[str, str], FixStatus] = field(default_factory=dict)
    rhsa: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)


def _read_vulnerability(vulnerability: Any, tree: ProductTree) -> _Facts:
    if not isinstance(vulnerability, Mapping):
        raise MalformedRecord("expected an object")
    cve = text(vulnerability.get("cve"))
    if not cve:
        raise MalformedRecord("no 'cve'")
    facts = _Facts(cve=cve, title=text(vulnerability.get("title")))
    facts.published = text(vulnerability.get("release_date"))
    for note in _list(vulnerability.get("notes")):
        if isinstance(note, Mapping) and note.get("category") == "description":
            facts.description = text(note.get("text"))
    for threat in _list(vulnerability.get("threats")):
        if isinstance(threat, Mapping) and threat.get("category") == "impact":
            facts.impact = rating(text(threat.get("details")))
    facts.vectors = _vectors(vulnerability.get("scores"))
    for reference in _list(vulnerability.get("references")):
        if isinstance(reference, Mapping) and reference.get("category") == "self":
            facts.references.append(text(reference.get("url")))
    remedies = _remediations(vulnerability.get("remediations"), facts)
    status = vulnerability.get("product_status")
    status = status if isinstance(status, Mapping) else {}
    severity = (facts.impact,) if facts.impact else ()
    for product_id in _list(status.get("fixed")):
        found = tree.resolve(str(product_id))
        if found and found[1].is_source:
            facts.fixes.append(Fix(found[0], found[1], severity))
    fixed_names = {(fix.ecosystem, fix.rpm.name) for fix in facts.fixes}
    for product_id in _list(status.get("known_affected")):
        found = tree.resolve(str(product_id))
        if not found or not found[1].is_source or found[1].module:
            continue
        key = (found[0], found[1].name)
        if key in fixed_names:
            continue
        state = (
            FixStatus.WONT_FIX
            if "no_fix_planned" in remedies.get(str(product_id), ())
            else FixStatus.NOT_FIXED
        )
        # one product that may still get a fix makes the package NOT_FIXED
        if facts.unfixed.get(key) is not FixStatus.NOT_FIXED:
            facts.unfixed[key] = state
    return facts


def _remediations(value: Any, facts: _Facts) -> dict[str, set[str]]:
    by_product: dict[str, set[str]] = {}
    for remedy in _list(value):
        if not isinstance(remedy, Mapping):
            continue
        category = text(remedy.get("category"))
        for product_id in _list(remedy.get("product_ids")):
            by_product.setdefault(str(product_id), set()).add(category)
        if category == "vendor_fix":
            for rhsa in _RHSA.findall(text(remedy.get("url"))):
                if rhsa not in facts.rhsa:
                    facts.rhsa.append(rhsa)
    return by_product


def _vectors(scores: Any) -> list[tuple[float, SeverityScore]]:
    found: list[tuple[float, SeverityScore]] = []
    for score in _list(scores):
        if not isinstance(score, Mapping):
            continue
        for key, kind in _CVSS:
            cvss = score.get(key)
            if isinstance(cvss, Mapping) and text(cvss.get("vectorString")):
                base = cvss.get("baseScore")
                value = float(base) if isinstance(base, int | float) else 0.0
                found.append((value, SeverityScore(kind, text(cvss["vectorString"]), SOURCE)))
    return found


def _severity(impact: SeverityScore | None, facts: list[_Facts]) -> tuple[SeverityScore, ...]:
    vectors = sorted((v for f in facts for v in f.vectors), key=lambda v: -v[0])
    scores = [impact] if impact else []
    scores.extend(dict.fromkeys(vector for _, vector in vectors))
    return tuple(scores)


def _advisory(
    document: Mapping[str, Any], tracking: Mapping[str, Any], facts: list[_Facts], where: str
) -> Advisory | None:
    affected = fixed_entries(fix for fact in facts for fix in fact.fixes)
    if not affected:
        return None  # nothing for RHEL's main streams (an EUS-only or layered-product RHSA)
    header = document["document"]
    aggregate = header.get("aggregate_severity")
    impact = rating(text(aggregate.get("text"))) if isinstance(aggregate, Mapping) else None
    impact = impact or worst(f.impact for f in facts if f.impact)
    references = [
        text(r.get("url"))
        for r in _list(header.get("references"))
        if isinstance(r, Mapping) and r.get("category") == "self" and text(r.get("url"))
    ]
    references.extend(ref for f in facts for ref in f.references if ref)
    details = next(
        (
            text(n.get("text"))
            for n in _list(header.get("notes"))
            if isinstance(n, Mapping) and n.get("category") == "general"
        ),
        "",
    )
    return Advisory(
        id=text(tracking.get("id")),
        modified=_modified(tracking),
        published=text(tracking.get("initial_release_date")),
        aliases=tuple(dict.fromkeys(f.cve for f in facts)),
        summary=text(header.get("title")),
        details=details,
        severity=_severity(impact, facts),
        affected=tuple(affected),
        references=tuple(dict.fromkeys(references)),
        source=where,
    )


def _modified(tracking: Mapping[str, Any]) -> str:
    return text(tracking.get("current_release_date")) or text(tracking.get("initial_release_date"))


def _cve_advisory(tracking: Mapping[str, Any], fact: _Facts, where: str) -> Advisory:
    severity = (fact.impact,) if fact.impact else ()
    affected: list[Affected] = fixed_entries(fact.fixes)
    for (ecosystem, name), state in sorted(fact.unfixed.items()):
        affected.append(unfixed_affected(ecosystem, name, state, severity=severity))
    return Advisory(
        id=distro_id("REDHAT", fact.cve),
        modified=_modified(tracking),
        published=text(tracking.get("initial_release_date")),
        aliases=(fact.cve,),
        related=tuple(fact.rhsa),
        summary=fact.title,
        details=fact.description,
        severity=_severity(fact.impact, [fact]),
        affected=tuple(affected),
        references=tuple(dict.fromkeys(r for r in fact.references if r))
        or (f"https://access.redhat.com/security/cve/{fact.cve}",),
        source=where,
    )


__all__ = [
    "ADVISORY",
    "IMPACTS",
    "VEX",
    "ProductTree",
    "is_csaf",
    "is_csaf_archive",
    "iter_redhat_csaf",
    "read_csaf",
]
