"""Craft small images by hand for unit tests of the walker and the sources.

Real images from real tools (debootstrap, umoci, skopeo) are built by scripts/fixtures;
these hand-made ones exist to produce exact edge cases: whiteouts in a chosen order,
damaged blobs, hostile paths, odd media types.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import zstandard


@dataclass
class Layer:
    """A layer as a list of tar members, in the order they are written."""

    members: list[tuple[tarfile.TarInfo, bytes | None]] = field(default_factory=list)
    tar_format: int = tarfile.PAX_FORMAT

    def file(self, path: str, data: bytes | str = b"", mode: int = 0o644) -> Layer:
        content = data.encode() if isinstance(data, str) else data
        info = tarfile.TarInfo(path)
        info.size = len(content)
        info.mode = mode
        self.members.append((info, content))
        return self

    def directory(self, path: str) -> Layer:
        info = tarfile.TarInfo(path)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        self.members.append((info, None))
        return self

    def symlink(self, path: str, target: str) -> Layer:
        info = tarfile.TarInfo(path)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        self.members.append((info, None))
        return self

    def hardlink(self, path: str, target: str) -> Layer:
        info = tarfile.TarInfo(path)
        info.type = tarfile.LNKTYPE
        info.linkname = target
        self.members.append((info, None))
        return self

    def whiteout(self, path: str) -> Layer:
        directory, _, name = path.rpartition("/")
        return self.file(f"{directory}/.wh.{name}" if directory else f".wh.{name}")

    def opaque(self, directory: str) -> Layer:
        return self.file(f"{directory}/.wh..wh..opq")

    def tar(self) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=self.tar_format) as archive:
            for info, content in self.members:
                archive.addfile(info, io.BytesIO(content) if content is not None else None)
        return buffer.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(data: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


LAYER_TYPES = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "": "application/vnd.oci.image.layer.v1.tar",
}


@dataclass
class BuiltImage:
    """What was written, so tests can assert digests and tamper with blobs."""

    path: Path
    manifest_digest: str = ""
    config_digest: str = ""
    layer_digests: list[str] = field(default_factory=list)
    diff_ids: list[str] = field(default_factory=list)


def _config(diff_ids: list[str], architecture: str = "amd64") -> bytes:
    return json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"layer {n}"} for n in range(len(diff_ids))],
        },
        sort_keys=True,
    ).encode()


def write_blob(root: Path, data: bytes) -> str:
    digest = sha256(data)
    blob = root / "blobs" / "sha256" / digest.partition(":")[2]
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(data)
    return digest


def write_oci_layout(
    root: Path,
    layers: list[Layer],
    *,
    compression: str = "gzip",
    tag: str | None = "latest",
    architecture: str = "amd64",
    manifest_extra: dict[str, object] | None = None,
) -> BuiltImage:
    """An OCI image layout directory holding one image."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    built = BuiltImage(root)
    descriptors = []
    for layer in layers:
        raw = layer.tar()
        built.diff_ids.append(sha256(raw))
        blob = compress(raw, compression)
        digest = write_blob(root, blob)
        built.layer_digests.append(digest)
        descriptors.append(
            {"mediaType": LAYER_TYPES[compression], "digest": digest, "size": len(blob)}
        )
    config = _config(built.diff_ids, architecture)
    built.config_digest = write_blob(root, config)
    manifest: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": built.config_digest,
            "size": len(config),
        },
        "layers": descriptors,
    }
    manifest.update(manifest_extra or {})
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    built.manifest_digest = write_blob(root, manifest_bytes)
    entry: dict[str, object] = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": built.manifest_digest,
        "size": len(manifest_bytes),
    }
    if tag:
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return built


def write_docker_archive(
    path: Path, layers: list[Layer], *, tag: str = "test/image:1", gzip_layers: bool = False
) -> BuiltImage:
    """A docker-archive tar in the `docker save` layout (`<id>/layer.tar`)."""
    built = BuiltImage(path)
    files: dict[str, bytes] = {}
    names = []
    for number, layer in enumerate(layers):
        raw = layer.tar()
        built.diff_ids.append(sha256(raw))
        name = f"{number:064x}/layer.tar"
        files[name] = gzip.compress(raw, mtime=0) if gzip_layers else raw
        names.append(name)
    config = _config(built.diff_ids)
    built.config_digest = sha256(config)
    files[f"{built.config_digest.partition(':')[2]}.json"] = config
    manifest = [
        {"Config": f"{built.config_digest.partition(':')[2]}.json", "RepoTags": [tag],
         "Layers": names}
    ]
    files["manifest.json"] = json.dumps(manifest).encode()
    write_tar(path, files)
    return built


def write_tar(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def layout_to_archive(layout: Path, archive: Path) -> None:
    """The same layout as an OCI archive tar."""
    files = {
        str(p.relative_to(layout)): p.read_bytes() for p in sorted(layout.rglob("*")) if p.is_file()
    }
    write_tar(archive, files)


DPKG_STATUS = """\
Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u7

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b7
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
"""

OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
