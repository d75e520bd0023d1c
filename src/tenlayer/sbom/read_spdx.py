"""SPDX 2.2 / 2.3 (JSON, and tag-value turned into the same shape) back into an `Inventory`.

The package the document DESCRIBES is the image; a package of purpose OPERATING-SYSTEM the
distribution; every other package with a `purl` external reference a package. SPDX has no
properties, so producers put their extra facts in free text, read here by producer:

- tenlayer: `sourceInfo` "acquired package info from /PATH in layer N (diff-id D)",
  `comment` "source package: NAME VERSION; installed by OS package: X; found inside: Y",
  the image's comment "platform P; read from K; config C; tag T".
- Syft: `sourceInfo` "acquired package info from <cataloger>: /a, /b" (the package
  database among the paths is where it was found); the source package only in the purl's
  `upstream` qualifier. Syft writes no OS package; the purls' `distro` names it.
- Trivy: `sourceInfo` "built package from: NAME VERSION" (OS packages) or "package found
  in: PATH" (binaries), the `LayerDiffID: D` annotation, and the one file a language
  package CONTAINS.
"""

from __future__ import annotations

import re
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.model import Image, Inventory, OSInfo
from tenlayer.sbom.read import SbomInput
from tenlayer.sbom.read_common import (
    ComponentFacts,
    PackageBuilder,
    Producer,
    as_dict,
    as_list,
    as_str,
    os_family,
    parse_int,
    producer_from_tool_names,
)
from tenlayer.sbom.read_cyclonedx import pick_evidence
from tenlayer.sbom.read_purl import parse_purl

_TENLAYER_SOURCE_INFO = re.compile(
    r"^acquired package info from /(?P<path>.*?)"
    r"(?: in layer (?P<index>\d+)(?: \(diff-id (?P<diff>[^)\s]+)\))?)?$"
)
_SYFT_SOURCE_INFO = re.compile(r"^acquired package info from [^:]*: (?P<paths>.+)$", re.DOTALL)
_TRIVY_BUILT_FROM = re.compile(r"^built package from: (?P<name>\S+)(?: (?P<version>\S+))?$")
_TRIVY_FOUND_IN = "package found in: "
_NO_VALUE = frozenset(("NOASSERTION", "NONE", ""))
_PURPOSE_OS = frozenset(("OPERATING-SYSTEM", "OPERATING_SYSTEM"))


def read_spdx(document: dict[str, Any], name: str, *, tag_value: bool) -> SbomInput:
    """The inventory `document` describes. Consumes the document's packages and files."""
    version = as_str(document.get("spdxVersion")) or ""
    if not re.fullmatch(r"SPDX-2\.\d", version):
        raise BadInput(f"{name}: unsupported SPDX version {version or 'missing'!r}")
    if "packages" in document and not isinstance(document["packages"], list):
        raise BadInput(f"{name}: SPDX 'packages' is not a list")
    creators = as_list(as_dict(document.get("creationInfo")).get("creators"))
    producer = producer_from_tool_names(
        [c.removeprefix("Tool:").strip().rsplit("-", 1)[0] for c in creators
         if isinstance(c, str) and c.startswith("Tool:")]
    )
    subject_id = _described(document)
    extracted = _extracted_licenses(document)
    single_files = _single_files(document) if producer is Producer.TRIVY else {}
    document.pop("files", None)  # Syft lists every file of every package: not needed

    builder = PackageBuilder(producer)
    subject: dict[str, Any] = {}
    os_package: dict[str, Any] | None = None
    collected: list[tuple[str, ComponentFacts]] = []
    # Popped one by one, so each package's JSON is freed once read.
    remaining = as_list(document.pop("packages", None))
    remaining.reverse()
    while remaining:
        package = remaining.pop()
        builder.count_entry()
        if not isinstance(package, dict):
            builder.skip("that are not JSON objects")
            continue
        spdx_id = as_str(package.get("SPDXID")) or ""
        purpose = as_str(package.get("primaryPackagePurpose")) or ""
        purl = _purl(package)
        if spdx_id == subject_id and subject_id:
            subject = package
            continue
        if purpose in _PURPOSE_OS:
            os_package = os_package or package
            continue
        if purl is None and (purpose in ("CONTAINER", "APPLICATION") and producer is not (
            Producer.OTHER
        )):
            continue  # Trivy's targets (`usr/local/bin/app`), nested images
        facts = ComponentFacts(
            purl=purl,
            name=as_str(package.get("name")),
            version=_value(package.get("versionInfo")),
            licenses=_licenses(package.get("licenseDeclared"), extracted),
        )
        if producer is Producer.TENLAYER:
            _tenlayer_facts(facts, package)
        elif producer is Producer.SYFT:
            _syft_facts(facts, package)
        elif producer is Producer.TRIVY:
            _trivy_facts(facts, package, single_files.get(spdx_id, ""))
        collected.append((spdx_id, facts))
    if producer is Producer.SYFT:
        _syft_owners(document, collected)
    for _, facts in collected:
        builder.add(facts)

    builder.infer_os_owners()
    warnings = builder.warnings()
    os_info = _os(os_package) if os_package is not None else None
    os_info = os_info or builder.os_from_purls()
    if os_info is not None and not os_info.version_id and builder.has_os_packages():
        warnings.append(
            "the SBOM names no distribution release; OS packages cannot be matched by release"
        )
    inventory = Inventory(
        image=_image(subject, document, name),
        os=os_info,
        packages=tuple(sorted(builder.packages, key=lambda p: p.sort_key())),
        warnings=tuple(warnings),
    )
    label = f"{version} (tag-value)" if tag_value else version
    return SbomInput(inventory=inventory, format=label, producer=producer.value)


def _value(value: Any) -> str | None:
    text = as_str(value)
    return None if text is None or text.strip() in _NO_VALUE else text.strip()


def _described(document: dict[str, Any]) -> str:
    """The SPDX id the document DESCRIBES (2.3 relationship, or 2.2's documentDescribes)."""
    own_id = as_str(document.get("SPDXID")) or "SPDXRef-DOCUMENT"
    for relationship in as_list(document.get("relationships")):
        relationship = as_dict(relationship)
        if relationship.get("relationshipType") == "DESCRIBES" and relationship.get(
            "spdxElementId"
        ) == own_id:
            return as_str(relationship.get("relatedSpdxElement")) or ""
        if relationship.get("relationshipType") == "DESCRIBED_BY" and relationship.get(
            "relatedSpdxElement"
        ) == own_id:
            return as_str(relationship.get("spdxElementId")) or ""
    described = [d for d in as_list(document.get("documentDescribes")) if isinstance(d, str)]
    return described[0] if described else ""


def _purl(package: dict[str, Any]) -> str | None:
    for reference in as_list(package.get("externalRefs")):
        reference = as_dict(reference)
        if reference.get("referenceType") == "purl":
            return as_str(reference.get("referenceLocator"))
    return None


def _extracted_licenses(document: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in as_list(document.get("hasExtractedLicensingInfos")):
        entry = as_dict(entry)
        license_id = as_str(entry.get("licenseId"))
        text = as_str(entry.get("name")) or as_str(entry.get("extractedText"))
        if license_id and text:
            found[license_id] = text
    return found


def _licenses(value: Any, extracted: dict[str, str]) -> tuple[str, ...]:
    """`A AND (B OR C) AND LicenseRef-x` -> (A, B OR C, x's text): the terms tenlayer joined."""
    text = _value(value)
    if text is None:
        return ()
    return tuple(extracted.get(term, term) for term in _split_and(text))


def _split_and(expression: str) -> list[str]:
    terms: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(expression):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and expression.startswith(" AND ", index):
            terms.append(expression[start:index])
            start = index + 5
    terms.append(expression[start:])
    return [_unwrap(term.strip()) for term in terms if term.strip()]


def _unwrap(term: str) -> str:
    if term.startswith("(") and term.endswith(")") and len(_split_and(term[1:-1])) == 1:
        return term[1:-1].strip()
    return term


def _single_files(document: dict[str, Any]) -> dict[str, str]:
    """Package id -> the one file it CONTAINS (Trivy: a language package's manifest)."""
    names = {
        as_str(f.get("SPDXID")): as_str(f.get("fileName"))
        for f in (as_dict(f) for f in as_list(document.get("files")))
    }
    contained: dict[str, list[str]] = {}
    for relationship in as_list(document.get("relationships")):
        relationship = as_dict(relationship)
        if relationship.get("relationshipType") != "CONTAINS":
            continue
        file_name = names.get(as_str(relationship.get("relatedSpdxElement")))
        holder = as_str(relationship.get("spdxElementId"))
        if file_name and holder:
            contained.setdefault(holder, []).append(file_name)
    return {holder: files[0] for holder, files in contained.items() if len(files) == 1}


def _tenlayer_facts(facts: ComponentFacts, package: dict[str, Any]) -> None:
    facts.source_stated = True
    match = _TENLAYER_SOURCE_INFO.match(as_str(package.get("sourceInfo")) or "")
    if match:
        facts.found_in = match["path"]
        facts.layer_index = parse_int(match["index"])
        facts.layer_digest = match["diff"]
    for fact in (as_str(package.get("comment")) or "").split("; "):
        key, _, value = fact.partition(": ")
        if key == "source package" and value:
            source_name, _, source_version = value.partition(" ")
            facts.source_name = source_name
            facts.source_version = source_version or None
        elif key == "installed by OS package" and value:
            facts.owned_by = value
        elif key == "found inside" and value:
            facts.parent = value


def _syft_facts(facts: ComponentFacts, package: dict[str, Any]) -> None:
    match = _SYFT_SOURCE_INFO.match(as_str(package.get("sourceInfo")) or "")
    if match:
        paths = [path.strip() for path in match["paths"].split(",") if path.strip()]
        if paths:
            facts.found_in = pick_evidence([(path, None) for path in paths])[0]


_OWNERSHIP = "ownership-by-file-overlap"


def _syft_owners(document: dict[str, Any], collected: list[tuple[str, ComponentFacts]]) -> None:
    """Syft's `OTHER` "ownership-by-file-overlap" relationships: the OS package whose files
    include a language package (`deb:python3-six` for `six`), as tenlayer's `owned_by`."""
    by_id = dict(collected)
    for relationship in as_list(document.get("relationships")):
        relationship = as_dict(relationship)
        comment = as_str(relationship.get("comment")) or ""
        if relationship.get("relationshipType") != "OTHER" or not comment.startswith(_OWNERSHIP):
            continue
        owner = by_id.get(as_str(relationship.get("spdxElementId")) or "")
        owned = by_id.get(as_str(relationship.get("relatedSpdxElement")) or "")
        purl = parse_purl(owner.purl or "") if owner is not None else None
        if owned is None or purl is None or purl.type not in ("deb", "rpm", "apk"):
            continue
        owned.owned_by = owned.owned_by or f"{purl.type}:{purl.name}"


def _trivy_facts(facts: ComponentFacts, package: dict[str, Any], single_file: str) -> None:
    source_info = as_str(package.get("sourceInfo")) or ""
    built_from = _TRIVY_BUILT_FROM.match(source_info)
    if built_from:
        facts.source_name = built_from["name"]
        facts.source_version = built_from["version"]
    elif source_info.startswith(_TRIVY_FOUND_IN):
        facts.found_in = source_info.removeprefix(_TRIVY_FOUND_IN).strip()
    if not facts.found_in:
        facts.found_in = single_file
    for annotation in as_list(package.get("annotations")):
        comment = as_str(as_dict(annotation).get("comment")) or ""
        if comment.startswith("LayerDiffID: "):
            facts.layer_digest = comment.removeprefix("LayerDiffID: ").strip()


def _os(package: dict[str, Any]) -> OSInfo | None:
    family = as_str(package.get("name"))
    if not family:
        return None
    found_in = (as_str(package.get("sourceInfo")) or "").removeprefix("found in ")
    return OSInfo(
        family=os_family(family),
        version_id=_value(package.get("versionInfo")) or "",
        pretty_name=as_str(package.get("description")) or "",
        found_in=found_in.lstrip("/") if found_in.startswith("/") else "",
    )


def _image(subject: dict[str, Any], document: dict[str, Any], name: str) -> Image:
    """The DESCRIBES package as an `Image` read from an SBOM (`source_kind` "sbom")."""
    reference = as_str(subject.get("name")) or as_str(document.get("name")) or name
    version = _value(subject.get("versionInfo"))
    facts = _image_comment(as_str(subject.get("comment")) or "")
    annotations = [
        as_str(as_dict(a).get("comment")) or "" for a in as_list(subject.get("annotations"))
    ]
    config = facts.get("config") or next(
        (a.removeprefix("ImageID: ") for a in annotations if a.startswith("ImageID: ")), None
    )
    manifest = next(
        (a.rpartition("@")[2] for a in annotations if a.startswith("RepoDigest: ")), None
    )
    tags = facts.get("tag", "").split("\n") if facts.get("tag") else [
        a.removeprefix("RepoTag: ") for a in annotations if a.startswith("RepoTag: ")
    ]
    purl = parse_purl(_purl(subject) or "")
    architecture = ""
    if purl is not None and purl.type == "oci":
        qualifiers = purl.qualifiers
        architecture = qualifiers.get("arch", "")
        manifest = manifest or purl.version or None
    if manifest is None and version and version.startswith("sha256:") and version != config:
        manifest = version
    platform = facts.get("platform", "")
    parts = [*platform.split("/", 2), "", ""] if platform else ["", architecture, ""]
    return Image(
        reference=reference,
        source_kind="sbom",
        manifest_digest=manifest,
        config_digest=config,
        os=parts[0] or ("linux" if architecture else ""),
        architecture=parts[1],
        variant=parts[2],
        repo_tags=tuple(t for t in tags if t),
    )


def _image_comment(comment: str) -> dict[str, str]:
    """tenlayer's "platform linux/amd64; read from docker-archive; config …; tag …"."""
    facts: dict[str, str] = {}
    for fact in comment.split("; "):
        key, _, value = fact.partition(" ")
        if key == "read" or not value:
            continue
        facts[key] = f"{facts[key]}\n{value}" if key in facts else value
    return facts


def tag_value_document(text: str) -> dict[str, Any]:
    """The parts of an SPDX tag-value document tenlayer reads, in the JSON document's shape.

    Multi-line values are wrapped in `<text>…</text>`. Package fields follow `PackageName`
    until another section (a file, snippet, license, annotation, relationship) starts.
    """
    document: dict[str, Any] = {"creationInfo": {"creators": []}, "packages": [],
                                "relationships": [], "hasExtractedLicensingInfos": []}
    package: dict[str, Any] | None = None
    license_info: dict[str, Any] | None = None
    annotation: dict[str, str] = {}
    annotations: dict[str, list[dict[str, str]]] = {}
    for tag, value in _tag_values(text):
        if tag in ("FileName", "SnippetSPDXID", "Relationship", "Annotator"):
            package = license_info = None
        if tag == "SPDXVersion":
            document["spdxVersion"] = value
        elif tag == "DocumentName":
            document["name"] = value
        elif tag == "Creator":
            document["creationInfo"]["creators"].append(value)
        elif tag == "SPDXID" and package is None and "SPDXID" not in document:
            document["SPDXID"] = value
        elif tag == "PackageName":
            package, license_info = {"name": value}, None
            document["packages"].append(package)
        elif tag == "LicenseID":
            package, license_info = None, {"licenseId": value}
            document["hasExtractedLicensingInfos"].append(license_info)
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) == 3:
                document["relationships"].append({"spdxElementId": parts[0],
                                                  "relationshipType": parts[1],
                                                  "relatedSpdxElement": parts[2]})
        elif tag == "RelationshipComment" and document["relationships"]:
            document["relationships"][-1]["comment"] = value
        elif tag == "SPDXREF":
            annotations.setdefault(value, []).append(annotation)
        elif tag == "AnnotationComment":
            annotation["comment"] = value
            annotation = {}
        elif license_info is not None and tag in ("LicenseName", "ExtractedText"):
            license_info["name" if tag == "LicenseName" else "extractedText"] = value
        elif package is not None:
            _package_tag(package, tag, value)
    for package in document["packages"]:
        package["annotations"] = annotations.get(package.get("SPDXID", ""), [])
    return document


_PACKAGE_TAGS = {
    "SPDXID": "SPDXID",
    "PackageVersion": "versionInfo",
    "PackageSourceInfo": "sourceInfo",
    "PackageComment": "comment",
    "PackageLicenseDeclared": "licenseDeclared",
    "PackageDescription": "description",
    "PrimaryPackagePurpose": "primaryPackagePurpose",
}


def _package_tag(package: dict[str, Any], tag: str, value: str) -> None:
    if tag == "ExternalRef":
        parts = value.split(None, 2)
        if len(parts) == 3:
            package.setdefault("externalRefs", []).append(
                {"referenceCategory": parts[0], "referenceType": parts[1],
                 "referenceLocator": parts[2]}
            )
    elif tag in _PACKAGE_TAGS:
        package[_PACKAGE_TAGS[tag]] = value


def _tag_values(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    lines = iter(text.splitlines())
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tag, sep, value = line.partition(":")
        if not sep:
            continue
        value = value.strip()
        if value.startswith("<text>"):
            value = value.removeprefix("<text>")
            parts = [value]
            while "</text>" not in parts[-1]:
                following = next(lines, None)
                if following is None:
                    break
                parts.append(following)
            value = "\n".join(parts).partition("</text>")[0]
        pairs.append((tag.strip(), value))
    return pairs
