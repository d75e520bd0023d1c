"""CycloneDX JSON (1.2 to 1.7) back into an `Inventory`.

The BOM's subject (`metadata.component`) is the image, an `operating-system` component the
distribution, and every other component with a purl a package. Components nest; they are
walked with an explicit stack, to `read_common.MAX_DEPTH` levels.

Producer facts read from properties:

- tenlayer: `tenlayer:found-in`, `tenlayer:layer:index`, `tenlayer:layer:diff-id`,
  `tenlayer:source:name` / `version`, `tenlayer:owned-by`, `tenlayer:parent`; the image's
  digests, platform, tags and layers.
- Syft: `syft:location:N:path` / `layerID` (the package database among them is where the
  package was found), `syft:metadata:source` / `sourceVersion` (dpkg), `originPackage`
  (apk), `sourceRpm` (rpm).
- Trivy: `aquasecurity:trivy:SrcName` / `SrcVersion` / `SrcRelease` / `SrcEpoch`,
  `FilePath`, `LayerDiffID`; a Go binary's modules hang in the dependency graph under the
  `application` component named after the binary, which gives them their file.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from tenlayer.errors import BadInput
from tenlayer.model import Image, ImageLayer, Inventory, OSInfo
from tenlayer.sbom.read import SbomInput
from tenlayer.sbom.read_common import (
    MAX_DEPTH,
    ComponentFacts,
    PackageBuilder,
    Producer,
    as_dict,
    as_list,
    as_str,
    join_version,
    os_family,
    parse_int,
    producer_from_tool_names,
)
from tenlayer.sbom.read_purl import parse_purl

Properties = dict[str, list[str]]

TRIVY = "aquasecurity:trivy:"
_TRIVY_BINARY_TARGETS = frozenset(("gobinary", "rustbinary"))
_EVIDENCE_NAMES = (
    "status", "installed", "Packages", "Packages.db", "rpmdb.sqlite", "METADATA", "PKG-INFO",
    "package.json",
)
"""Files that prove a package, among the several locations Syft lists for it."""


def read_cyclonedx(document: dict[str, Any], name: str) -> SbomInput:
    """The inventory `document` describes. Consumes the document's components."""
    spec = as_str(document.get("specVersion")) or ""
    if not spec.startswith("1."):
        raise BadInput(f"{name}: unsupported CycloneDX specVersion {spec or 'missing'!r}")
    if "components" in document and not isinstance(document["components"], list):
        raise BadInput(f"{name}: CycloneDX 'components' is not a list")
    metadata = as_dict(document.get("metadata"))
    producer = producer_from_tool_names(_tool_names(metadata.get("tools")))
    builder = PackageBuilder(producer)
    subject = as_dict(metadata.get("component"))
    os_components: list[dict[str, Any]] = []
    binaries: dict[str, str] = {}
    facts_by_ref: dict[str, ComponentFacts] = {}
    too_deep = 0

    # Taken out of the document and popped off the stack: each component's JSON is freed
    # once read, so the parsed tree and the packages are not both whole in memory.
    roots = as_list(subject.pop("components", None)) + as_list(document.pop("components", None))
    stack: list[tuple[Any, int]] = [(c, 1) for c in reversed(roots)]
    del roots
    collected: list[ComponentFacts] = []
    while stack:
        component, depth = stack.pop()
        builder.count_entry()
        if not isinstance(component, dict):
            builder.skip("that are not JSON objects")
            continue
        children = as_list(component.get("components"))
        if children:
            if depth >= MAX_DEPTH:
                too_deep += _count(children)
            else:
                stack.extend((child, depth + 1) for child in reversed(children))
        kind = component.get("type")
        properties = _properties(component)
        if kind == "operating-system":
            os_components.append(component)
            continue
        if not component.get("purl") and (
            kind == "container" or f"{TRIVY}Class" in properties
        ):
            if properties.get(f"{TRIVY}Type", [""])[0] in _TRIVY_BINARY_TARGETS:
                ref = as_str(component.get("bom-ref"))
                target = as_str(component.get("name"))
                if ref and target:
                    binaries[ref] = target
            continue  # the image itself, or one of Trivy's targets (`Python`, a binary)
        facts = _facts(component, properties, producer)
        collected.append(facts)
        ref = as_str(component.get("bom-ref"))
        if ref:
            facts_by_ref[ref] = facts
    if binaries:
        _files_from_graph(document, binaries, facts_by_ref)
    for facts in collected:
        builder.add(facts)

    builder.infer_os_owners()
    warnings = builder.warnings()
    if too_deep:
        warnings.append(
            f"left out {too_deep} components nested deeper than {MAX_DEPTH} levels"
        )
    os_info = _os(os_components[0]) if os_components else None
    os_info = os_info or builder.os_from_purls()
    if os_info is not None and not os_info.version_id and builder.has_os_packages():
        warnings.append(
            "the SBOM names no distribution release; OS packages cannot be matched by release"
        )
    inventory = Inventory(
        image=_image(subject, name, producer),
        os=os_info,
        packages=tuple(sorted(builder.packages, key=lambda p: p.sort_key())),
        warnings=tuple(warnings),
    )
    return SbomInput(inventory=inventory, format=f"CycloneDX {spec}", producer=producer.value)


def _count(children: list[Any]) -> int:
    """Components in a subtree, counted without recursion."""
    count, queue = 0, deque(children)
    while queue:
        child = queue.popleft()
        count += 1
        if isinstance(child, dict):
            queue.extend(as_list(child.get("components")))
    return count


def _tool_names(tools: Any) -> list[str]:
    """Tool names from 1.4's list of tools or 1.5+'s `{components, services}`."""
    entries = as_list(tools)
    if isinstance(tools, dict):
        entries = as_list(tools.get("components")) + as_list(tools.get("services"))
    return [name for entry in entries if (name := as_str(as_dict(entry).get("name")))]


def _properties(component: dict[str, Any]) -> Properties:
    found: Properties = {}
    for item in as_list(component.get("properties")):
        item = as_dict(item)
        key, value = as_str(item.get("name")), as_str(item.get("value"))
        if key is not None and value is not None:
            found.setdefault(key, []).append(value)
    return found


def _first(properties: Properties, key: str) -> str | None:
    values = properties.get(key)
    return values[0] if values else None


def _facts(component: dict[str, Any], properties: Properties, producer: Producer) -> ComponentFacts:
    facts = ComponentFacts(
        purl=as_str(component.get("purl")),
        name=_component_name(component),
        version=as_str(component.get("version")),
        licenses=_licenses(component.get("licenses")),
    )
    if producer is Producer.TENLAYER or any(k.startswith("tenlayer:") for k in properties):
        _tenlayer_facts(facts, properties)
    elif producer is Producer.SYFT or any(k.startswith("syft:") for k in properties):
        _syft_facts(facts, properties)
    elif any(k.startswith(TRIVY) for k in properties):
        _trivy_facts(facts, properties)
    return facts


def _component_name(component: dict[str, Any]) -> str | None:
    name = as_str(component.get("name"))
    group = as_str(component.get("group"))
    if name and group and not name.startswith(group):
        return f"{group}/{name}" if group.startswith("@") else f"{group}:{name}"
    return name


def _tenlayer_facts(facts: ComponentFacts, properties: Properties) -> None:
    facts.found_in = _first(properties, "tenlayer:found-in") or ""
    facts.layer_index = parse_int(_first(properties, "tenlayer:layer:index"))
    facts.layer_digest = _first(properties, "tenlayer:layer:diff-id")
    facts.source_name = _first(properties, "tenlayer:source:name")
    facts.source_version = _first(properties, "tenlayer:source:version")
    facts.source_stated = True
    facts.owned_by = _first(properties, "tenlayer:owned-by")
    facts.parent = _first(properties, "tenlayer:parent")


def _syft_facts(facts: ComponentFacts, properties: Properties) -> None:
    locations: list[tuple[str, str | None]] = []
    index = 0
    while (path := _first(properties, f"syft:location:{index}:path")) is not None:
        locations.append((path, _first(properties, f"syft:location:{index}:layerID")))
        index += 1
    if locations:
        facts.found_in, facts.layer_digest = pick_evidence(locations)
    source = _first(properties, "syft:metadata:source")
    if source:
        source_version = _first(properties, "syft:metadata:sourceVersion")
        facts.upstream = f"{source}@{source_version}" if source_version else source
    else:
        facts.upstream = _first(properties, "syft:metadata:originPackage") or _first(
            properties, "syft:metadata:sourceRpm"
        )


def pick_evidence(locations: list[tuple[str, str | None]]) -> tuple[str, str | None]:
    """The package database or manifest among a package's locations, else the first."""
    for path, layer in locations:
        if path.rsplit("/", 1)[-1] in _EVIDENCE_NAMES:
            return path, layer
    return locations[0]


def _trivy_facts(facts: ComponentFacts, properties: Properties) -> None:
    facts.found_in = _first(properties, f"{TRIVY}FilePath") or ""
    facts.layer_digest = _first(properties, f"{TRIVY}LayerDiffID")
    source_name = _first(properties, f"{TRIVY}SrcName")
    if source_name:
        facts.source_name = source_name
        facts.source_version = join_version(
            _first(properties, f"{TRIVY}SrcEpoch"),
            _first(properties, f"{TRIVY}SrcVersion"),
            _first(properties, f"{TRIVY}SrcRelease"),
        )


def _files_from_graph(
    document: dict[str, Any], binaries: dict[str, str], facts_by_ref: dict[str, ComponentFacts]
) -> None:
    """Give the modules under each of Trivy's binary targets that binary as their file."""
    graph: dict[str, list[str]] = {}
    for entry in as_list(document.get("dependencies")):
        entry = as_dict(entry)
        ref = as_str(entry.get("ref"))
        if ref:
            graph[ref] = [r for r in as_list(entry.get("dependsOn")) if isinstance(r, str)]
    for root, path in binaries.items():
        seen = {root}
        queue = deque(graph.get(root, ()))
        while queue:
            ref = queue.popleft()
            if ref in seen:
                continue
            seen.add(ref)
            facts = facts_by_ref.get(ref)
            if facts is not None and not facts.found_in:
                facts.found_in = path
            queue.extend(graph.get(ref, ()))


def _licenses(value: Any) -> tuple[str, ...]:
    found: list[str] = []
    for entry in as_list(value):
        entry = as_dict(entry)
        expression = as_str(entry.get("expression"))
        if expression:
            found.append(expression)
            continue
        license_ = as_dict(entry.get("license"))
        text = as_str(license_.get("id")) or as_str(license_.get("name"))
        if text:
            found.append(text)
    return tuple(found)


def _os(component: dict[str, Any]) -> OSInfo | None:
    properties = _properties(component)
    family = as_str(component.get("name")) or _first(properties, "syft:distro:id")
    if not family:
        return None
    version = as_str(component.get("version")) or _first(properties, "syft:distro:versionID")
    found_in = _first(properties, "tenlayer:found-in") or ""
    return OSInfo(
        family=os_family(family),
        version_id=version or "",
        pretty_name=as_str(component.get("description"))
        or _first(properties, "syft:distro:prettyName")
        or "",
        codename=_first(properties, "tenlayer:os:codename")
        or _first(properties, "syft:distro:versionCodename")
        or "",
        found_in=found_in.lstrip("/"),
    )


def _image(subject: dict[str, Any], name: str, producer: Producer) -> Image:
    """The BOM's subject as an `Image` read from an SBOM (`source_kind` "sbom")."""
    properties = _properties(subject)
    reference = as_str(subject.get("name")) or name
    version = as_str(subject.get("version"))
    manifest = _first(properties, "tenlayer:image:manifest-digest")
    config = _first(properties, "tenlayer:image:config-digest") or _first(
        properties, f"{TRIVY}ImageID"
    )
    repo_digest = _first(properties, f"{TRIVY}RepoDigest")
    if manifest is None and repo_digest and "@" in repo_digest:
        manifest = repo_digest.rpartition("@")[2]
    purl = parse_purl(as_str(subject.get("purl")) or "")
    architecture = ""
    if purl is not None and purl.type == "oci":
        qualifiers = purl.qualifiers
        architecture = qualifiers.get("arch", "")
        manifest = manifest or purl.version or None
    if (
        manifest is None
        and producer is not Producer.TENLAYER
        and version
        and version.startswith("sha256:")
        and version != config
    ):
        manifest = version  # Syft: the subject's version is the manifest digest
    os_name, architecture, variant = _platform(
        _first(properties, "tenlayer:image:platform"), architecture
    )
    tags = properties.get("tenlayer:image:repo-tag") or properties.get(f"{TRIVY}RepoTag") or []
    return Image(
        reference=reference,
        source_kind="sbom",
        manifest_digest=manifest,
        config_digest=config,
        os=os_name,
        architecture=architecture,
        variant=variant,
        layers=_tenlayer_layers(properties),
        repo_tags=tuple(tags),
    )


def _platform(text: str | None, architecture: str) -> tuple[str, str, str]:
    if not text:
        return ("linux" if architecture else ""), architecture, ""
    parts = [*text.split("/", 2), "", ""]
    return parts[0], parts[1], parts[2]


def _tenlayer_layers(properties: Properties) -> tuple[ImageLayer, ...]:
    """`tenlayer:image:layer:N:digest` / `diff-id`; media type and size are not written."""
    layers: list[ImageLayer] = []
    index = 0
    while True:
        digest = _first(properties, f"tenlayer:image:layer:{index}:digest")
        diff_id = _first(properties, f"tenlayer:image:layer:{index}:diff-id")
        if digest is None and diff_id is None:
            return tuple(layers)
        layers.append(ImageLayer(index=index, digest=digest or diff_id or "",
                                 diff_id=diff_id or digest or "", media_type="", size=0))
        index += 1
