"""What both SBOM writers share: stable ids, the containment graph, the image's purl, the time.

CycloneDX and SPDX say the same things in different words. Everything that must agree between
the two (which package contains which, what a package is called, when the document was made)
is decided here once, from the `Inventory` alone, so the same inventory always gives the same
document. Nothing in this module imports the SBOM libraries.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tenlayer import __version__
from tenlayer.errors import BadInput
from tenlayer.model import NESTED_SEPARATOR, Image, ImageLayer, Inventory, Package

TOOL_NAME = "tenlayer"
TOOL_VERSION = __version__
_ID_NAMESPACE = uuid.UUID("5b7c1a8e-3f0d-5d6e-9a4b-7e2f1c0d9a31")
"""Fixed seed for the uuid5 of a document: the same inventory always gets the same UUID."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One package with the id both documents call it by."""

    package: Package
    key: str
    """16 hex digits from purl + found_in (a suffix `-N` only if two packages share both)."""
    layer: ImageLayer | None
    """The image layer the package came from, when the image lists it."""


@dataclass(frozen=True, slots=True)
class SbomDocument:
    inventory: Inventory
    entries: tuple[Entry, ...]
    """Every package once, in `Package.sort_key` order."""
    contains: dict[str, tuple[str, ...]]
    """Node -> the nodes it directly contains. Nodes are IMAGE, OS or an entry key."""
    created: datetime
    uuid: uuid.UUID
    """Derived from the content, for CycloneDX's serialNumber and SPDX's namespace."""

    @property
    def image(self) -> Image:
        return self.inventory.image


IMAGE = "image"
OS = "os"
"""Between an archive and a path inside it, as the Java analyzer (and Syft, Trivy) write it."""


def build_document(inventory: Inventory, created: datetime | None = None) -> SbomDocument:
    """Decide ids, containment and timestamp for `inventory`.

    `created` wins; otherwise `SOURCE_DATE_EPOCH` (reproducible-builds.org) fixes the
    time; otherwise it is now, to the second.
    """
    entries = _entries(inventory)
    return SbomDocument(
        inventory=inventory,
        entries=entries,
        contains=_containment(inventory, entries),
        created=_creation_time(created),
        uuid=_content_uuid(inventory, entries),
    )


def short_hash(*parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def _entries(inventory: Inventory) -> tuple[Entry, ...]:
    layers = {layer.index: layer for layer in inventory.image.layers}
    packages = sorted(set(inventory.packages), key=_full_sort_key)
    seen: dict[str, int] = {}
    entries = []
    for package in packages:
        key = short_hash(package.purl, package.found_in)
        count = seen.get(key, 0)
        seen[key] = count + 1
        if count:
            key = f"{key}-{count}"
        layer = layers.get(package.layer_index) if package.layer_index is not None else None
        entries.append(Entry(package=package, key=key, layer=layer))
    return tuple(entries)


def _full_sort_key(package: Package) -> tuple[tuple[str, str, str, str], str]:
    """`Package.sort_key`, then every field (the repr), so ties still sort one way."""
    return package.sort_key(), repr(package)


def _containment(inventory: Inventory, entries: tuple[Entry, ...]) -> dict[str, tuple[str, ...]]:
    """image -> OS -> OS packages; image -> other packages; parent artifact -> nested package.

    A package whose parent is not found (see `_resolve_parents`), or would close a cycle,
    hangs off the image (or the OS) like any other.
    """
    parents = _resolve_parents(entries)
    children: dict[str, list[str]] = {IMAGE: []}
    if inventory.os is not None:
        children[IMAGE].append(OS)
        children[OS] = []
    for entry in entries:
        holder = parents.get(entry.key)
        if holder is None:
            holder = OS if entry.package.ecosystem.is_os and inventory.os is not None else IMAGE
        children.setdefault(holder, []).append(entry.key)
    return {node: tuple(keys) for node, keys in children.items()}


def _resolve_parents(entries: tuple[Entry, ...]) -> dict[str, str]:
    """Entry key -> key of the package that holds it, where exactly one package fits.

    A package's `parent` names the artifact it was found in, in one of three ways:

    - the artifact's purl;
    - the artifact's path, when the holder's own package has that path as `found_in`
      (`app.jar` for a package found at `app.jar!/lib/x.jar`). Packages whose own parent is
      that path or within it are inside the artifact, not it: the modules of a Go binary
      are all found in the binary and all name it, and are siblings;
    - the virtual path of a nested archive (`app.war!/WEB-INF/lib/x.jar`, as the Java
      analyzer writes it for every package that archive describes): the holder is the
      package of the enclosing archive (`app.war`).

    When no package fits, or several do, the package stays attached to the image or OS:
    better less detail than a wrong edge. `parent` itself is kept in both documents.
    """
    by_purl: dict[str, list[Entry]] = {}
    by_path: dict[str, list[Entry]] = {}
    by_parent: dict[str, list[Entry]] = {}
    for entry in entries:
        by_purl.setdefault(entry.package.purl, []).append(entry)
        by_path.setdefault(_path(entry.package.found_in), []).append(entry)
        if entry.package.parent:
            by_parent.setdefault(_path(entry.package.parent), []).append(entry)

    def at_path(path: str) -> list[Entry]:
        return [e for e in by_path.get(path, []) if not _inside(e.package.parent, path)]

    def describing(archive: str) -> list[Entry]:
        if NESTED_SEPARATOR in archive:
            return by_parent.get(archive, [])
        return [e for e in by_path.get(archive, []) if not e.package.parent]

    parents: dict[str, str] = {}
    for entry in entries:
        if not entry.package.parent:
            continue
        path = _path(entry.package.parent)
        enclosing, separator, _ = path.rpartition(NESTED_SEPARATOR)
        for found in (
            by_purl.get(entry.package.parent, []),
            at_path(path),
            describing(enclosing) if separator else [],
        ):
            candidates = [e.key for e in found if e.key != entry.key]
            if len(candidates) == 1:
                parents[entry.key] = candidates[0]
                break
    for key in list(parents):
        if _in_cycle(key, parents):
            del parents[key]
    return parents


def _path(text: str) -> str:
    return text.lstrip("/")


def _inside(parent: str | None, path: str) -> bool:
    """Whether a package with this `parent` was found in (or nested within) `path`."""
    if not parent:
        return False
    parent = _path(parent)
    return parent == path or parent.startswith(path + NESTED_SEPARATOR)


def _in_cycle(start: str, parents: dict[str, str]) -> bool:
    seen = {start}
    node = parents.get(start)
    while node is not None:
        if node in seen:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


def _creation_time(created: datetime | None) -> datetime:
    if created is not None:
        moment = created if created.tzinfo else created.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise BadInput(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970"
            ) from None
    return datetime.now(tz=UTC).replace(microsecond=0)


def _content_uuid(inventory: Inventory, entries: Iterable[Entry]) -> uuid.UUID:
    """A UUID that changes whenever the image, the packages or tenlayer's version do."""
    image = inventory.image
    parts = [
        TOOL_NAME,
        TOOL_VERSION,
        image.reference,
        image.manifest_digest or "",
        image.config_digest or "",
        image.platform,
    ]
    if inventory.os is not None:
        parts += [inventory.os.family, inventory.os.version_id]
    parts += (f"{entry.key} {entry.package!r}" for entry in entries)
    return uuid.uuid5(_ID_NAMESPACE, "\n".join(parts))


def image_version(image: Image) -> str | None:
    """The manifest digest, else the config digest (the image ID): what names this image."""
    return image.manifest_digest or image.config_digest


def image_purl(image: Image) -> str | None:
    """`pkg:oci/NAME@sha256:…?arch=…&repository_url=…&tag=…`, as the purl spec defines it.

    Only for an image whose manifest digest and repository are known: the oci purl's version
    is the digest a registry serves, and its name the last segment of the repository. A
    docker-archive (no manifest digest) or an OCI layout tagged only `latest` gets none,
    like Trivy, rather than a purl that names nothing.
    """
    if not image.manifest_digest:
        return None
    located = _repository(image)
    if located is None:
        return None
    repository, tag = located
    qualifiers = {"repository_url": repository}
    if image.architecture:
        qualifiers["arch"] = image.architecture
    if tag:
        qualifiers["tag"] = tag
    from packageurl import PackageURL

    name = repository.rsplit("/", 1)[-1].lower()
    purl = PackageURL(type="oci", name=name, version=image.manifest_digest, qualifiers=qualifiers)
    return str(purl.to_string())


def _repository(image: Image) -> tuple[str, str] | None:
    """(registry/repository, tag) from the reference the user pulled, or the image's tags."""
    candidates: list[str] = []
    if image.source_kind == "registry":
        candidates.append(image.reference.removeprefix("docker://"))
    candidates += (tag for tag in image.repo_tags if "/" in tag or ":" in tag)
    for text in candidates:
        parsed = _parse_reference(text)
        if parsed is not None:
            return parsed
    return None


def _parse_reference(text: str) -> tuple[str, str] | None:
    """Docker's reference grammar, leniently: `[host[:port]/]path[:tag][@digest]`."""
    name = text.partition("@")[0]
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    if not name or any(ch.isspace() for ch in name):
        return None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "docker.io", name
        if "/" not in path:
            path = f"library/{path}"
    if not path:
        return None
    return f"{host}/{path.lower()}", tag
