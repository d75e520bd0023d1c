"""OCI image layouts: a directory (`oci:DIR[:TAG]`) or the same tree in a tar (`oci-archive:`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from tenlayer.errors import BadInput
from tenlayer.image.archive import TarArchive
from tenlayer.image.blobs import MAX_JSON_BLOB, parse_json
from tenlayer.image.layerstream import DEFAULT_MAX_LAYER_BYTES
from tenlayer.image.mapped import FileRegion
from tenlayer.image.oci import OCI_INDEX, Descriptor, check_blob, resolve
from tenlayer.image.platform import Platform
from tenlayer.image.source import LayerHandle, local_layer_handle

REF_NAME = "org.opencontainers.image.ref.name"
SIGNATURE_TAG = re.compile(r"sha256-[0-9a-f]{64}\.sig")
"""cosign's tag for the signatures of an image digest (`sha256-<hex>.sig`)."""


class LayoutFiles(Protocol):
    def has(self, name: str) -> bool: ...

    def read(self, name: str, *, limit: int) -> bytes: ...

    def open(self, name: str) -> BinaryIO: ...

    def region(self, name: str) -> tuple[FileRegion, bool]: ...

    def close(self) -> None: ...


class DirectoryFiles:
    """Files of a layout directory. Links are not followed: a layout has no reason for them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _open_fd(self, name: str) -> int:
        try:
            return os.open(self.root / name, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise BadInput(f"{self.root}: layout has no {name}") from None
        except OSError as error:
            raise BadInput(f"{self.root}: cannot read {name} ({error.strerror})") from None

    def has(self, name: str) -> bool:
        return (self.root / name).is_file()

    def read(self, name: str, *, limit: int) -> bytes:
        with os.fdopen(self._open_fd(name), "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise BadInput(f"{self.root}: {name} is too large (over {limit} bytes)")
        return data

    def open(self, name: str) -> BinaryIO:
        return os.fdopen(self._open_fd(name), "rb", buffering=0)

    def region(self, name: str) -> tuple[FileRegion, bool]:
        """The whole file, opened for the caller, who closes it (the bool says so)."""
        fd = self._open_fd(name)
        return FileRegion(fd, 0, os.fstat(fd).st_size), True

    def close(self) -> None:
        """Nothing is held open between calls."""


def blob_path(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"blobs/{algorithm}/{encoded}"


class LayoutImage:
    """An image chosen from a layout's index.json, by tag or by platform."""

    def __init__(
        self,
        files: LayoutFiles,
        *,
        reference: str,
        source_kind: str,
        tag: str | None,
        platform: Platform,
        max_layer_bytes: int = DEFAULT_MAX_LAYER_BYTES,
    ) -> None:
        self._files = files
        self._reference = reference
        self._max_layer_bytes = max_layer_bytes
        if not files.has("index.json"):
            raise BadInput(f"{reference}: not an OCI image layout (no index.json)")
        index_bytes = files.read("index.json", limit=MAX_JSON_BLOB)
        index = parse_json(index_bytes, context=f"{reference}: index.json")
        root, root_bytes = self._choose(index, index_bytes, tag)
        ref_name = (root.annotations or {}).get(REF_NAME, "")
        tags = (tag,) if tag else ((ref_name,) if ref_name else ())
        self.image, self._layers = resolve(
            self, root, platform, reference=reference, source_kind=source_kind,
            repo_tags=tags, root_bytes=root_bytes,
        )

    def _choose(
        self, index: dict[str, object], index_bytes: bytes, tag: str | None
    ) -> tuple[Descriptor, bytes | None]:
        entries = index.get("manifests")
        if not isinstance(entries, list) or not entries:
            raise BadInput(f"{self._reference}: index.json lists no images")
        descriptors = [
            Descriptor.parse(raw, context=f"{self._reference}: index.json manifests[{n}]")
            for n, raw in enumerate(entries)
        ]
        if tag is None or not SIGNATURE_TAG.fullmatch(tag):
            # cosign signature manifests (tenlayer image sign) are not images to choose
            descriptors = [
                d for d in descriptors
                if not SIGNATURE_TAG.fullmatch((d.annotations or {}).get(REF_NAME, ""))
            ] or descriptors
        names = sorted(
            {d.annotations.get(REF_NAME, "") for d in descriptors if d.annotations} - {""}
        )
        if tag is not None:
            chosen = [d for d in descriptors if (d.annotations or {}).get(REF_NAME) == tag]
            if not chosen:
                raise BadInput(
                    f"{self._reference}: layout has no image tagged {tag!r} "
                    f"(tags: {', '.join(names) or 'none'})"
                )
            return chosen[0], None
        if len(descriptors) == 1:
            return descriptors[0], None
        if len(names) > 1:
            raise BadInput(
                f"{self._reference}: layout holds several images; name one as "
                f"{self._reference}:TAG (tags: {', '.join(names)})"
            )
        # Several untagged manifests: index.json itself is the multi-platform index.
        return Descriptor(OCI_INDEX, "sha256:" + "0" * 64, len(index_bytes)), index_bytes

    def read_json_blob(self, descriptor: Descriptor, *, context: str) -> bytes:
        if descriptor.size > MAX_JSON_BLOB:
            raise BadInput(f"{context}: blob {descriptor.digest} is too large ({descriptor.size})")
        data = self._files.read(blob_path(descriptor.digest), limit=MAX_JSON_BLOB)
        return check_blob(data, descriptor, context=context)

    def layers(self) -> Iterator[LayerHandle]:
        for layer, descriptor in zip(self.image.layers, self._layers, strict=True):
            context = f"{self._reference} layer {layer.index} ({descriptor.digest})"
            region, owned = self._files.region(blob_path(descriptor.digest))
            if region.size != descriptor.size:
                if owned:
                    os.close(region.fd)
                raise BadInput(
                    f"{context}: blob {descriptor.digest} has {region.size} bytes, "
                    f"its descriptor says {descriptor.size}"
                )
            yield local_layer_handle(
                layer, region, blob_digest=descriptor.digest, context=context,
                max_bytes=self._max_layer_bytes, owns_fd=owned,
            )

    def close(self) -> None:
        self._files.close()


def open_layout_dir(
    path: Path, tag: str | None, platform: Platform, max_layer_bytes: int
) -> LayoutImage:
    return LayoutImage(
        DirectoryFiles(path), reference=str(path), source_kind="oci-layout", tag=tag,
        platform=platform, max_layer_bytes=max_layer_bytes,
    )


def open_layout_archive(
    path: Path, tag: str | None, platform: Platform, max_layer_bytes: int
) -> LayoutImage:
    archive = TarArchive(path)
    try:
        return LayoutImage(
            archive, reference=str(path), source_kind="oci-archive", tag=tag,  # type: ignore[arg-type]
            platform=platform, max_layer_bytes=max_layer_bytes,
        )
    except BaseException:
        archive.close()
        raise
