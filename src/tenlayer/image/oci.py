"""Indexes, manifests and configs as the OCI and Docker v2 schema 2 formats define them.

Shared by every source that stores blobs by digest (OCI layout, OCI archive, registry):
the source supplies `BlobReader`, this module walks index -> manifest -> config and builds
the `Image` record with its layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tenlayer.errors import BadInput
from tenlayer.image.blobs import check_digest, parse_json, verify_bytes
from tenlayer.image.layerstream import check_layer_media_type
from tenlayer.image.platform import Platform
from tenlayer.model import Image, ImageLayer

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
CONFIG_TYPES = (OCI_CONFIG, DOCKER_CONFIG)
MAX_INDEX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict[str, Any] | None = None
    annotations: dict[str, str] | None = None

    @classmethod
    def parse(cls, raw: object, *, context: str) -> Descriptor:
        if not isinstance(raw, dict):
            raise BadInput(f"{context}: descriptor is not an object")
        size = raw.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BadInput(f"{context}: descriptor has an invalid size {size!r}")
        media_type = raw.get("mediaType", "")
        if not isinstance(media_type, str):
            raise BadInput(f"{context}: descriptor has an invalid mediaType")
        platform = raw.get("platform")
        annotations = raw.get("annotations")
        return cls(
            media_type=media_type,
            digest=check_digest(raw.get("digest"), context=context),
            size=size,
            platform=platform if isinstance(platform, dict) else None,
            annotations=annotations if isinstance(annotations, dict) else None,
        )


def check_blob(data: bytes, descriptor: Descriptor, *, context: str) -> bytes:
    """`data` if it has the size and digest its descriptor announces, else BadInput."""
    if len(data) != descriptor.size:
        raise BadInput(
            f"{context}: blob {descriptor.digest} has {len(data)} bytes, "
            f"its descriptor says {descriptor.size}"
        )
    return verify_bytes(data, descriptor.digest, context=context)


class BlobReader(Protocol):
    def read_json_blob(self, descriptor: Descriptor, *, context: str) -> bytes:
        """The blob's bytes, verified against the descriptor's digest and size."""
        ...


def media_type_of(document: dict[str, Any], descriptor_type: str) -> str:
    """A document's own mediaType field wins; OCI allows it to be absent."""
    own = document.get("mediaType")
    if isinstance(own, str) and own:
        return own
    if descriptor_type:
        return descriptor_type
    if "manifests" in document:
        return OCI_INDEX
    if "layers" in document:
        return OCI_MANIFEST
    return ""


def choose_from_index(
    index: dict[str, Any], platform: Platform, *, context: str
) -> Descriptor:
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise BadInput(f"{context}: image index lists no manifests")
    seen = []
    for number, raw in enumerate(manifests):
        descriptor = Descriptor.parse(raw, context=f"{context} manifests[{number}]")
        entry_platform = descriptor.platform or {}
        os_name = str(entry_platform.get("os", ""))
        arch = str(entry_platform.get("architecture", ""))
        variant = str(entry_platform.get("variant", ""))
        if os_name == "unknown" or arch == "unknown":  # attestation manifests
            continue
        seen.append("/".join(p for p in (os_name, arch, variant) if p))
        if platform.matches(os_name, arch, variant):
            return descriptor
    available = ", ".join(sorted(set(seen))) or "none"
    raise BadInput(f"{context}: no image for platform {platform} (available: {available})")


def resolve(
    blobs: BlobReader,
    root: Descriptor,
    platform: Platform,
    *,
    reference: str,
    source_kind: str,
    repo_tags: tuple[str, ...] = (),
    root_bytes: bytes | None = None,
) -> tuple[Image, list[Descriptor]]:
    """Follow `root` (an index or a manifest) to one image; return it and its layer blobs."""
    descriptor = root
    data = root_bytes if root_bytes is not None else blobs.read_json_blob(root, context=reference)
    for _ in range(MAX_INDEX_DEPTH):
        document = parse_json(data, context=f"{reference}: manifest {descriptor.digest}")
        media_type = media_type_of(document, descriptor.media_type)
        if media_type in INDEX_TYPES:
            descriptor = choose_from_index(document, platform, context=reference)
            data = blobs.read_json_blob(descriptor, context=reference)
            continue
        if media_type in MANIFEST_TYPES:
            return _from_manifest(
                blobs, descriptor, document, reference=reference,
                source_kind=source_kind, repo_tags=repo_tags,
            )
        if media_type in DOCKER_SCHEMA1:
            raise BadInput(
                f"{reference}: Docker v2 schema 1 manifests are not supported "
                "(deprecated since 2019; re-push the image with a current client)"
            )
        raise BadInput(f"{reference}: unknown manifest media type {media_type!r}")
    raise BadInput(f"{reference}: image indexes nested deeper than {MAX_INDEX_DEPTH} levels")


def _from_manifest(
    blobs: BlobReader,
    descriptor: Descriptor,
    manifest: dict[str, Any],
    *,
    reference: str,
    source_kind: str,
    repo_tags: tuple[str, ...],
) -> tuple[Image, list[Descriptor]]:
    if "config" not in manifest:
        raise BadInput(f"{reference}: manifest {descriptor.digest} has no config")
    config_descriptor = Descriptor.parse(manifest["config"], context=f"{reference} config")
    if config_descriptor.media_type not in CONFIG_TYPES:
        raise BadInput(
            f"{reference}: not a container image (config media type "
            f"{config_descriptor.media_type!r})"
        )
    raw_layers = manifest.get("layers")
    if not isinstance(raw_layers, list):
        raise BadInput(f"{reference}: manifest {descriptor.digest} has no layers list")
    layer_descriptors = [
        Descriptor.parse(raw, context=f"{reference} layers[{number}]")
        for number, raw in enumerate(raw_layers)
    ]
    for number, layer in enumerate(layer_descriptors):
        check_layer_media_type(layer.media_type, context=f"{reference} layers[{number}]")
    config_bytes = blobs.read_json_blob(config_descriptor, context=reference)
    config = parse_json(config_bytes, context=f"{reference}: config {config_descriptor.digest}")
    image = image_from_config(
        config,
        reference=reference,
        source_kind=source_kind,
        manifest_digest=descriptor.digest,
        config_digest=config_descriptor.digest,
        blobs=[(d.digest, d.media_type, d.size) for d in layer_descriptors],
        repo_tags=repo_tags,
    )
    return image, layer_descriptors


def image_from_config(
    config: dict[str, Any],
    *,
    reference: str,
    source_kind: str,
    manifest_digest: str | None,
    config_digest: str | None,
    blobs: list[tuple[str, str, int]],
    repo_tags: tuple[str, ...] = (),
) -> Image:
    """Pair each layer blob with its diff_id and the history line that created it."""
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(blobs):
        count = len(diff_ids) if isinstance(diff_ids, list) else 0
        raise BadInput(
            f"{reference}: config lists {count} layer diff_ids but the manifest "
            f"has {len(blobs)} layers"
        )
    for number, diff_id in enumerate(diff_ids):
        check_digest(diff_id, context=f"{reference} config rootfs.diff_ids[{number}]")
    raw_history = config.get("history")
    if raw_history is not None and not isinstance(raw_history, list):
        raise BadInput(f"{reference}: image config field history is not a list")
    history = [
        h for h in raw_history or [] if isinstance(h, dict) and not h.get("empty_layer")
    ]
    layers = tuple(
        ImageLayer(
            index=number,
            digest=digest,
            diff_id=diff_ids[number],
            media_type=media_type,
            size=size,
            created_by=str(history[number].get("created_by", "")) if number < len(history) else "",
        )
        for number, (digest, media_type, size) in enumerate(blobs)
    )
    return Image(
        reference=reference,
        source_kind=source_kind,
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        os=str(config.get("os", "")),
        architecture=str(config.get("architecture", "")),
        variant=str(config.get("variant", "")),
        layers=layers,
        repo_tags=repo_tags,
        config=config,
    )
