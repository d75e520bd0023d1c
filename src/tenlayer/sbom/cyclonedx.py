"""CycloneDX 1.6 JSON, written with cyclonedx-python-lib.

The image is the BOM's subject (`metadata.component`, type container), the distribution an
`operating-system` component, and every package a `library`. Facts CycloneDX has no field for
travel as `tenlayer:*` properties, the way Trivy writes `aquasecurity:trivy:*` and Syft
`syft:*`. The dependency graph is containment: image -> OS -> OS packages, image -> language
packages, parent artifact -> nested package.

cyclonedx-python-lib is imported inside `render_cyclonedx` only: it takes a tenth of a second
to import, and `tenlayer --version` must not pay for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from tenlayer.model import Ecosystem, Image, OSInfo, VulnerabilityMatch
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
)
from tenlayer.sbom.licenses import and_all, declared

if TYPE_CHECKING:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component
    from cyclonedx.model.dependency import Dependency
    from cyclonedx.model.license import License
    from packageurl import PackageURL

    from tenlayer.model import Inventory

PROPERTY_PREFIX = "tenlayer:"
_GROUPED = (Ecosystem.MAVEN, Ecosystem.NPM)
"""Ecosystems whose purl namespace is CycloneDX's `group` (Maven groupId, npm @scope)."""


def render_cyclonedx(
    inventory: Inventory,
    *,
    created: datetime | None = None,
    matches: Sequence[VulnerabilityMatch] | None = None,
) -> bytes:
    """The inventory as a CycloneDX 1.6 JSON document (UTF-8, 2-space indent, final newline).

    The serial number is derived from the content and the timestamp from `created`, else
    `SOURCE_DATE_EPOCH`, else the clock: with either fixed, the same inventory gives the
    same bytes. With `matches` (a scan's, suppressed ones included) the document also has
    a `vulnerabilities` section (`tenlayer.sbom.vulnerabilities`), and its serial number
    covers them too.
    """
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.tool import ToolRepository
    from cyclonedx.output.json import JsonV1Dot6

    document = build_document(inventory, created)
    image_component = _image_component(inventory.image)
    components: dict[str, Component] = {IMAGE: image_component}
    if inventory.os is not None:
        components[OS] = _os_component(inventory.os)
    for entry in document.entries:
        components[entry.key] = _package_component(entry)
    serial = document.uuid
    found = []
    if matches is not None:
        from tenlayer.sbom.vulnerabilities import vulnerabilities

        bom_refs = {entry.package: str(components[entry.key].bom_ref) for entry in document.entries}
        found = vulnerabilities(matches, bom_refs)
        serial = uuid.uuid5(document.uuid, "\n".join(sorted(repr(m) for m in matches)))
    bom = Bom(
        serial_number=serial,
        metadata=BomMetaData(
            timestamp=document.created,
            tools=ToolRepository(components=[_tool_component()]),
            component=image_component,
        ),
        components=[c for node, c in components.items() if node != IMAGE],
        dependencies=_dependencies(document, components),
        vulnerabilities=found,
    )
    text: str = JsonV1Dot6(bom).output_as_string(indent=2)
    return text.encode("utf-8") + b"\n"


def _tool_component() -> Component:
    from cyclonedx.model.component import Component, ComponentType

    return Component(type=ComponentType.APPLICATION, name=TOOL_NAME, version=TOOL_VERSION)


def _image_component(image: Image) -> Component:
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    purl = image_purl(image)
    version = image_version(image)
    facts = [
        ("image:source-kind", image.source_kind),
        ("image:manifest-digest", image.manifest_digest),
        ("image:config-digest", image.config_digest),
        ("image:platform", image.platform),
    ]
    facts += [("image:repo-tag", tag) for tag in image.repo_tags]
    for layer in image.layers:
        facts += [
            (f"image:layer:{layer.index}:digest", layer.digest),
            (f"image:layer:{layer.index}:diff-id", layer.diff_id),
        ]
    return Component(
        type=ComponentType.CONTAINER,
        bom_ref=purl or f"image:{version or image.reference}",
        name=image.reference,
        version=version,
        purl=PackageURL.from_string(purl) if purl else None,
        properties=_properties(facts),
    )


def _os_component(os_info: OSInfo) -> Component:
    from cyclonedx.model.component import Component, ComponentType

    return Component(
        type=ComponentType.OPERATING_SYSTEM,
        bom_ref=f"os:{os_info.family}@{os_info.version_id}",
        name=os_info.family,
        version=os_info.version_id or None,
        description=os_info.pretty_name or os_info.name or None,
        properties=_properties(
            [("os:codename", os_info.codename), ("found-in", _absolute(os_info.found_in))]
        ),
    )


def _package_component(entry: Entry) -> Component:
    from cyclonedx.model.component import Component, ComponentType

    package = entry.package
    purl = _parse_purl(package.purl)
    name, group = package.name, None
    if purl is not None and package.ecosystem in _GROUPED and purl.namespace:
        name, group = purl.name, purl.namespace
    layer_index = package.layer_index
    facts = [
        ("found-in", _absolute(package.found_in)),
        ("layer:index", str(layer_index) if layer_index is not None else None),
        ("layer:digest", entry.layer.digest if entry.layer else None),
        ("layer:diff-id", package.layer_digest),
        ("source:name", package.source_name),
        ("source:version", package.source_version),
        ("owned-by", package.owned_by),
        ("parent", package.parent),
    ]
    return Component(
        type=ComponentType.LIBRARY,
        bom_ref=_bom_ref(purl, entry.key),
        name=name,
        group=group,
        version=package.version,
        purl=purl,
        licenses=_licenses(package.licenses),
        properties=_properties(facts),
    )


def _parse_purl(text: str) -> PackageURL | None:
    from packageurl import PackageURL

    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _bom_ref(purl: PackageURL | None, key: str) -> str:
    """The purl with a `package-id` qualifier, as Syft writes them: readable and unique."""
    if purl is None:
        return f"tenlayer:package:{key}"
    from packageurl import PackageURL

    qualifiers = {**purl.qualifiers, "package-id": key}
    tagged = PackageURL(
        type=purl.type,
        namespace=purl.namespace,
        name=purl.name,
        version=purl.version,
        qualifiers=qualifiers,
        subpath=purl.subpath,
    )
    return str(tagged.to_string())


def _licenses(texts: tuple[str, ...]) -> list[License]:
    """CycloneDX holds either license entries or one expression, never both.

    Valid SPDX ids become `license.id`, other names `license.name`. A valid expression is
    kept as `expression` when it can stand for all the package's licenses (alone, or joined
    by AND with other valid SPDX); otherwise it is written as a name, losing nothing.
    """
    from cyclonedx.model.license import (
        DisjunctiveLicense,
        LicenseAcknowledgement,
        LicenseExpression,
    )
    from cyclonedx.spdx import is_supported_id

    declared_ = declared(texts)
    ack = LicenseAcknowledgement.DECLARED
    expressions = [d.spdx for d in declared_ if d.spdx is not None]
    if len(expressions) == len(declared_) and any(not d.is_single_id for d in declared_):
        return [LicenseExpression(and_all(expressions), acknowledgement=ack)]
    result: list[License] = []
    for item in declared_:
        if item.is_single_id and item.spdx and is_supported_id(item.spdx):
            result.append(DisjunctiveLicense(id=item.spdx, acknowledgement=ack))
        else:
            result.append(DisjunctiveLicense(name=item.text, acknowledgement=ack))
    return result


def _properties(facts: list[tuple[str, str | None]]) -> list[Property]:
    from cyclonedx.model import Property

    return [Property(name=PROPERTY_PREFIX + name, value=value) for name, value in facts if value]


def _dependencies(
    document: SbomDocument, components: dict[str, Component]
) -> list[Dependency]:
    """One entry per component, as the spec asks, with what each directly contains.

    Built directly rather than through `Bom.register_dependency`, which scans the whole
    graph for every call.
    """
    from cyclonedx.model.dependency import Dependency

    return [
        Dependency(
            ref=component.bom_ref,
            dependencies=[
                Dependency(ref=components[child].bom_ref)
                for child in document.contains.get(node, ())
            ],
        )
        for node, component in components.items()
    ]


def _absolute(path: str) -> str | None:
    """Paths in the image as tenlayer's other outputs write them: from the root."""
    return f"/{path}" if path else None
