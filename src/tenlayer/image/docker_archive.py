"""docker-archive tars, as `docker save` and `skopeo copy … docker-archive:` write them.

The archive's `manifest.json` names the config and layer files; there is no manifest digest.
Layers are checked against the config's `rootfs.diff_ids` (the digests of the uncompressed
tars), the config against its file name when that is a digest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from tenlayer.errors import BadInput
from tenlayer.image.archive import TarArchive
from tenlayer.image.blobs import MAX_JSON_BLOB, new_hash, parse_json
from tenlayer.image.layerstream import DEFAULT_MAX_LAYER_BYTES
from tenlayer.image.oci import image_from_config
from tenlayer.image.source import LayerHandle, local_layer_handle

_DIGEST_NAME = re.compile(r"(?:^|/)(?:sha256/)?([a-f0-9]{64})(?:\.json)?$")
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"


def _canonical_tag(tag: str) -> str:
    """`app:1`, `library/app:1` and `docker.io/library/app:1` name the same image."""
    name, _, version = tag.rpartition(":")
    if not name or "/" in version:
        name, version = tag, "latest"
    first, _, rest = name.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    registry, _, path = name.partition("/")
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return f"{registry}/{path}:{version}"


class DockerArchiveImage:
    def __init__(
        self, path: Path, tag: str | None, *, max_layer_bytes: int = DEFAULT_MAX_LAYER_BYTES
    ) -> None:
        self._archive = TarArchive(path)
        self._reference = str(path)
        self._max_layer_bytes = max_layer_bytes
        try:
            self._load(tag)
        except BaseException:
            self._archive.close()
            raise

    def _load(self, tag: str | None) -> None:
        reference = self._reference
        if not self._archive.has("manifest.json"):
            raise BadInput(f"{reference}: not a docker-archive (no manifest.json)")
        raw = self._archive.read("manifest.json", limit=MAX_JSON_BLOB)
        try:
            entries = json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise BadInput(f"{reference}: manifest.json is malformed JSON ({error})") from None
        if not isinstance(entries, list) or not entries:
            raise BadInput(f"{reference}: manifest.json lists no images")
        entry = self._choose(entries, tag)
        config_name = entry.get("Config")
        layer_names = entry.get("Layers")
        if not isinstance(config_name, str):
            raise BadInput(f"{reference}: manifest.json entry has no Config")
        if not isinstance(layer_names, list) or not all(isinstance(n, str) for n in layer_names):
            raise BadInput(f"{reference}: manifest.json entry has no Layers list")
        self._layer_sizes = [self._archive.size(name) for name in layer_names]
        config_bytes = self._archive.read(config_name, limit=MAX_JSON_BLOB)
        config_digest = self._config_digest(config_name, config_bytes)
        config = parse_json(config_bytes, context=f"{reference}: {config_name}")
        rootfs = config.get("rootfs")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        if not isinstance(diff_ids, list):
            diff_ids = []
        blobs = [
            (diff_ids[n] if n < len(diff_ids) else "", DOCKER_LAYER, self._layer_sizes[n])
            for n in range(len(layer_names))
        ]
        tags = entry.get("RepoTags")
        if not isinstance(tags, list):
            tags = []
        self.image = image_from_config(
            config,
            reference=reference,
            source_kind="docker-archive",
            manifest_digest=None,
            config_digest=config_digest,
            blobs=blobs,
            repo_tags=tuple(t for t in tags if isinstance(t, str)),
        )
        self._layer_names = layer_names

    def _choose(self, entries: list[object], tag: str | None) -> dict[str, object]:
        images = [e for e in entries if isinstance(e, dict)]
        if len(images) != len(entries):
            raise BadInput(f"{self._reference}: manifest.json entries must be objects")
        if tag is None:
            if len(images) > 1:
                tags = sorted(t for e in images for t in e.get("RepoTags") or [])
                raise BadInput(
                    f"{self._reference}: archive holds {len(images)} images; name one as "
                    f"docker-archive:{self._reference}:TAG (tags: {', '.join(tags) or 'none'})"
                )
            return images[0]
        wanted = _canonical_tag(tag)
        for image in images:
            if wanted in {_canonical_tag(t) for t in image.get("RepoTags") or []}:
                return image
        tags = sorted(t for e in images for t in e.get("RepoTags") or [])
        raise BadInput(
            f"{self._reference}: archive has no image tagged {tag!r} "
            f"(tags: {', '.join(tags) or 'none'})"
        )

    def _config_digest(self, name: str, data: bytes) -> str:
        hasher = new_hash("sha256:")
        hasher.update(data)
        digest = f"sha256:{hasher.hexdigest()}"
        match = _DIGEST_NAME.search(name)
        if match and match.group(1) != digest.partition(":")[2]:
            raise BadInput(
                f"{self._reference}: config {name} does not match the digest in its name "
                f"(found {digest})"
            )
        return digest

    def layers(self) -> Iterator[LayerHandle]:
        for layer, name in zip(self.image.layers, self._layer_names, strict=True):
            context = f"{self._reference} layer {layer.index} ({name})"
            region, _ = self._archive.region(name)
            yield local_layer_handle(
                layer, region, blob_digest=None, context=context,
                max_bytes=self._max_layer_bytes,
            )

    def close(self) -> None:
        self._archive.close()
