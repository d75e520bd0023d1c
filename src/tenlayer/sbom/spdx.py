"""SPDX 2.3 JSON, built with spdx-tools' model and its JSON converter.

One package for the image (purpose CONTAINER), one for the distribution (OPERATING-SYSTEM),
one per package found (LIBRARY). The document DESCRIBES the image; CONTAINS follows the same
containment as the CycloneDX dependency graph. A license that is no SPDX expression gets a
`LicenseRef-` id and an extracted-licensing-info entry holding the text, so nothing is lost
and the document still validates.

spdx-tools is imported inside `render_spdx` only: it takes a fifth of a second to import.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tenlayer.sbom.document import (
    IMAGE,
    OS,
    TOOL_NAME,
    TOOL_VERSION,
    Entry,
    SbomDocument,
    build_document,
    image_purl,
    image_version,
    short_hash,
)
from tenlayer.sbom.licenses import and_all, declared

if TYPE_CHECKING:
    from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
    from spdx_tools.spdx.model.package import Package, PackagePurpose

    from tenlayer.model import Inventory

NAMESPACE_BASE = "https://tenlayer.dev/spdx"
IMAGE_ID = "SPDXRef-Image"
OS_ID = "SPDXRef-OperatingSystem"
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9.]+")


def render_spdx(inventory: Inventory, *, created: datetime | None = None) -> bytes:
    """The inventory as an SPDX 2.3 JSON document (UTF-8, 2-space indent, final newline).

    The namespace is derived from the content and `created` from the argument, else
    `SOURCE_DATE_EPOCH`, else the clock: with either fixed, the same inventory gives the
    same bytes.
    """
    from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
    from spdx_tools.spdx.model.actor import Actor, ActorType
    from spdx_tools.spdx.model.document import CreationInfo, Document
    from spdx_tools.spdx.model.relationship import Relationship, RelationshipType

    document = build_document(inventory, created)
    refs = _LicenseRefs()
    packages = [_image_package(document)]
    if inventory.os is not None:
        packages.append(_os_package(document))
    packages += (_package(entry, refs) for entry in document.entries)

    ids = {IMAGE: IMAGE_ID, OS: OS_ID}
    ids.update((entry.key, package_spdx_id(entry)) for entry in document.entries)
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, IMAGE_ID)]
    relationships += (
        Relationship(ids[node], RelationshipType.CONTAINS, ids[child])
        for node, children in document.contains.items()
        for child in children
    )
    spdx_document = Document(
        creation_info=CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id="SPDXRef-DOCUMENT",
            name=inventory.image.reference,
            document_namespace=document_namespace(document),
            creators=[Actor(ActorType.TOOL, f"{TOOL_NAME}-{TOOL_VERSION}")],
            created=document.created,
        ),
        packages=packages,
        relationships=relationships,
        extracted_licensing_info=refs.extracted(),
    )
    data = DocumentConverter().convert(spdx_document)  # type: ignore[no-untyped-call]
    _spell_as_the_spec(data)
    return json.dumps(data, indent=2).encode("utf-8") + b"\n"


def _spell_as_the_spec(data: dict[str, Any]) -> None:
    """Write `OPERATING-SYSTEM` and `PACKAGE-MANAGER` with the dash SPDX 2.3 gives them.

    spdx-tools 0.8 writes underscores (spdx/tools-python#827). The specification's text,
    the SPDX 2.3.1 JSON schema, Trivy and Syft use the dash; spdx-tools reads both.
    """
    for package in data.get("packages", []):
        purpose = package.get("primaryPackagePurpose")
        if purpose:
            package["primaryPackagePurpose"] = purpose.replace("_", "-")
        for reference in package.get("externalRefs", []):
            reference["referenceCategory"] = reference["referenceCategory"].replace("_", "-")


def document_namespace(document: SbomDocument) -> str:
    """Unique per document content, yet the same for the same inventory and tenlayer version."""
    name = _NOT_ID_CHARS.sub("-", document.image.reference).strip("-") or "image"
    return f"{NAMESPACE_BASE}/image/{name}-{document.uuid}"


def package_spdx_id(entry: Entry) -> str:
    """`SPDXRef-Package-deb-libc6-<key>`: readable, and unique through the key."""
    name = _NOT_ID_CHARS.sub("-", entry.package.name).strip("-")
    return f"SPDXRef-Package-{entry.package.ecosystem.value}-{name}-{entry.key}"


def _image_package(document: SbomDocument) -> Package:
    from spdx_tools.spdx.model.package import PackagePurpose

    image = document.image
    facts = [f"platform {image.platform}", f"read from {image.source_kind}"]
    if image.config_digest:
        facts.append(f"config {image.config_digest}")
    facts += (f"tag {tag}" for tag in image.repo_tags)
    return _spdx_package(
        spdx_id=IMAGE_ID,
        name=image.reference,
        version=image_version(image),
        purl=image_purl(image),
        purpose=PackagePurpose.CONTAINER,
        comment="; ".join(facts),
    )


def _os_package(document: SbomDocument) -> Package:
    from spdx_tools.spdx.model.package import PackagePurpose

    os_info = document.inventory.os
    assert os_info is not None
    return _spdx_package(
        spdx_id=OS_ID,
        name=os_info.family,
        version=os_info.version_id or None,
        purpose=PackagePurpose.OPERATING_SYSTEM,
        description=os_info.pretty_name or os_info.name or None,
        source_info=f"found in /{os_info.found_in}" if os_info.found_in else None,
    )


def _package(entry: Entry, refs: _LicenseRefs) -> Package:
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.model.package import PackagePurpose
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    package = entry.package
    licenses = [item.spdx or refs.ref_for(item.text) for item in declared(package.licenses)]
    license_declared = spdx_licensing.parse(and_all(licenses)) if licenses else SpdxNoAssertion()
    return _spdx_package(
        spdx_id=package_spdx_id(entry),
        name=package.name,
        version=package.version,
        purl=package.purl,
        purpose=PackagePurpose.LIBRARY,
        license_declared=license_declared,
        source_info=_source_info(entry),
        comment=_comment(entry),
    )


def _spdx_package(
    *,
    spdx_id: str,
    name: str,
    version: str | None,
    purpose: PackagePurpose,
    purl: str | None = None,
    license_declared: Any = None,
    description: str | None = None,
    source_info: str | None = None,
    comment: str | None = None,
) -> Package:
    """A package with what tenlayer does not know said as NOASSERTION.

    `license_declared` is a parsed license expression (license-expression has no types).
    """
    from spdx_tools.spdx.model.package import (
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
    )
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    references = []
    if purl:
        references.append(
            ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl)
        )
    return Package(
        spdx_id=spdx_id,
        name=name,
        download_location=SpdxNoAssertion(),
        version=version,
        supplier=SpdxNoAssertion(),
        files_analyzed=False,
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion() if license_declared is None else license_declared,
        copyright_text=SpdxNoAssertion(),
        description=description,
        source_info=source_info,
        comment=comment,
        external_references=references,
        primary_package_purpose=purpose,
    )


def _source_info(entry: Entry) -> str:
    package = entry.package
    text = f"acquired package info from /{package.found_in}"
    if package.layer_index is not None:
        text += f" in layer {package.layer_index}"
        if package.layer_digest:
            text += f" (diff-id {package.layer_digest})"
    return text


def _comment(entry: Entry) -> str | None:
    package = entry.package
    facts = []
    if package.source_name:
        source = package.source_name
        if package.source_version:
            source += f" {package.source_version}"
        facts.append(f"source package: {source}")
    if package.owned_by:
        facts.append(f"installed by OS package: {package.owned_by}")
    if package.parent:
        facts.append(f"found inside: {package.parent}")
    return "; ".join(facts) or None


class _LicenseRefs:
    """`LicenseRef-` ids for license names that are no SPDX expression, one per distinct text.

    The id is the text made id-safe (`GPL-2+` -> `LicenseRef-GPL-2-plus`). Should two texts
    come out the same, the one met later (packages are met in a fixed order) gets a suffix
    from its hash.
    """

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._texts: dict[str, str] = {}

    def ref_for(self, text: str) -> str:
        found = self._ids.get(text)
        if found is not None:
            return found
        base = _NOT_ID_CHARS.sub("-", text.removeprefix("LicenseRef-").replace("+", "-plus"))
        ref = "LicenseRef-" + (base.strip("-") or "unnamed")
        if ref in self._texts:
            ref = f"{ref}-{short_hash(text)[:8]}"
        self._ids[text] = ref
        self._texts[ref] = text
        return ref

    def extracted(self) -> list[ExtractedLicensingInfo]:
        from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo

        return [
            ExtractedLicensingInfo(
                license_id=ref,
                extracted_text=text,
                license_name=text,
                comment="Declared by the package as written; not an SPDX license expression.",
            )
            for ref, text in sorted(self._texts.items())
        ]
