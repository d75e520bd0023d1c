"""Turn what the user typed as IMAGE into an opened image source.

Accepted forms (the transports skopeo uses, plus plain paths):
  docker-archive:PATH[:TAG]   oci:DIR[:TAG]   oci-archive:PATH[:TAG]   dir:PATH
  docker://REF  registry:REF  a path (kind detected)  or a registry reference such as
  registry.example.com/team/app:1.2 or 127.0.0.1:5000/app@sha256:…
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tenlayer.errors import BadInput
from tenlayer.image.layerstream import DEFAULT_MAX_LAYER_BYTES
from tenlayer.image.platform import DEFAULT_PLATFORM, Platform
from tenlayer.image.source import OpenedImage

_TRANSPORTS = ("docker-archive", "oci-archive", "oci", "dir", "rootfs", "docker", "registry")


@dataclass(frozen=True, slots=True)
class OpenOptions:
    platform: Platform = field(default_factory=lambda: Platform.parse(DEFAULT_PLATFORM))
    require_platform: bool = False
    """The user asked for `platform`: a single-platform image of another one is refused."""
    insecure: bool = False
    max_layer_bytes: int = DEFAULT_MAX_LAYER_BYTES
    timeout: float = 30.0


def open_image(spec: str, options: OpenOptions | None = None) -> OpenedImage:
    options = options or OpenOptions()
    opened = _open(spec, options)
    image = opened.image
    if options.require_platform and image.architecture and not options.platform.matches(
        image.os, image.architecture, image.variant
    ):
        opened.close()
        raise BadInput(
            f"{spec}: the image is for {image.platform}, not the requested {options.platform}"
        )
    return opened


def _open(spec: str, options: OpenOptions) -> OpenedImage:
    if not spec.strip():
        raise BadInput("IMAGE is empty: name an image archive, directory or registry reference")
    transport, _, rest = spec.partition(":")
    if transport in _TRANSPORTS and rest:
        if transport in ("docker", "registry"):
            return _open_registry(rest.removeprefix("//"), options)
        path, tag = _split_path_and_tag(rest)
        return _open_path(transport, path, tag, options)
    path, tag = _split_path_and_tag(spec)
    if path.exists():
        return _open_path(_detect_kind(path), path, tag, options)
    if spec.startswith(("/", "./", "../")) or spec.endswith(".tar"):
        raise BadInput(f"{spec}: no such file or directory")
    return _open_registry(spec, options)


def _split_path_and_tag(text: str) -> tuple[Path, str | None]:
    """`PATH:TAG` where PATH may itself hold colons: the longest existing prefix wins."""
    if Path(text).exists() or ":" not in text:
        return Path(text), None
    cut = len(text)
    while (cut := text.rfind(":", 0, cut)) > 0:
        if Path(text[:cut]).exists():
            return Path(text[:cut]), text[cut + 1 :] or None
    return Path(text), None


def _detect_kind(path: Path) -> str:
    if path.is_dir():
        if (path / "index.json").is_file() and (path / "oci-layout").is_file():
            return "oci"
        return "dir"
    from tenlayer.image.archive import TarArchive

    try:
        archive = TarArchive(path)
    except BadInput as error:
        if "truncated" in str(error):
            raise
        names: set[str] = set()
    else:
        names = set(archive.names())
        archive.close()
    if "manifest.json" in names:
        return "docker-archive"
    if "index.json" in names or "oci-layout" in names:
        return "oci-archive"
    if not names:
        with path.open("rb") as handle:
            head = handle.read(4)
        if head.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):
            raise BadInput(
                f"{path}: compressed archive; decompress it first (e.g. gunzip), "
                "tenlayer reads image archives in place"
            )
    raise BadInput(f"{path}: not a docker-archive, OCI archive or OCI layout")


def _open_path(kind: str, path: Path, tag: str | None, options: OpenOptions) -> OpenedImage:
    if not path.exists():
        raise BadInput(f"{path}: no such file or directory")
    if kind == "docker-archive":
        from tenlayer.image.docker_archive import DockerArchiveImage

        return DockerArchiveImage(path, tag, max_layer_bytes=options.max_layer_bytes)
    if kind in ("oci", "oci-archive"):
        from tenlayer.image.oci_layout import open_layout_archive, open_layout_dir

        opener = open_layout_dir if kind == "oci" else open_layout_archive
        return opener(path, tag, options.platform, options.max_layer_bytes)
    if kind in ("dir", "rootfs"):
        if not path.is_dir():
            raise BadInput(f"{path}: not a directory")
        from tenlayer.image.rootfs import RootfsImage

        return RootfsImage(path)
    raise BadInput(f"{path}: unknown image transport {kind!r}")


def _open_registry(reference: str, options: OpenOptions) -> OpenedImage:
    from tenlayer.image.registry import open_registry_image

    return open_registry_image(reference, options)
