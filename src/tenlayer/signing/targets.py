"""Where an image and its signatures live: a registry repository or an OCI layout on disk.

Both resolve the image's manifest digest once (a tag may move; the digest is what is signed
and checked), read the signature manifest tagged `sha256-HEX.sig` beside it, fetch payload
blobs and write a new signature manifest.

In an OCI layout the signature manifest is an entry of index.json whose
`org.opencontainers.image.ref.name` is `sha256-HEX.sig`: the registry's tag, kept the way a
layout keeps tags. Its blobs go to `blobs/sha256/` like any other.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from tenlayer.errors import BadInput
from tenlayer.image.blobs import MAX_JSON_BLOB, check_digest
from tenlayer.image.oci import INDEX_TYPES, MANIFEST_TYPES, OCI_MANIFEST, Descriptor
from tenlayer.image.oci_layout import REF_NAME, SIGNATURE_TAG, blob_path
from tenlayer.signing.content import ContentCheck, Stream, check_content
from tenlayer.signing.manifest import (
    NewManifest,
    SignatureLayer,
    parse_signature_manifest,
    sha256_digest,
    signature_tag,
)
from tenlayer.signing.payload import MAX_PAYLOAD

log = logging.getLogger("tenlayer.signing")

_PATH_TRANSPORTS = ("oci:",)
_REGISTRY_TRANSPORTS = ("docker://", "registry:")
_UNSUPPORTED_TRANSPORTS = (
    "docker-archive:", "oci-archive:", "dir:", "rootfs:", "docker-daemon:",
    "containers-storage:",
)


class SignatureTarget(Protocol):
    description: str
    """The image as the user named it, for messages."""
    image_digest: str
    identity: str
    """The docker-reference a signature names by default."""
    signature_location: str

    def read_signatures(self) -> list[SignatureLayer] | None: ...

    def fetch_blob(self, digest: str) -> bytes: ...

    def write(self, new: NewManifest, payload: bytes) -> None: ...

    def check_content(self) -> ContentCheck:
        """Whether the image's manifest and every blob it references match their digests."""
        ...

    def close(self) -> None: ...


def open_target(spec: str, *, insecure: bool, timeout: float, push: bool) -> SignatureTarget:
    """`oci:DIR[:TAG]`, `DIR[:TAG]` (an OCI layout), `docker://REF`, `registry:REF` or REF.

    `push` is for signing. Archives and the other image sources `image scan` reads have no
    place to keep a signature beside the image: they are refused by name.
    """
    kind, text = classify(spec, push=push)
    if kind == "registry":
        return RegistryTarget(text, insecure=insecure, timeout=timeout, push=push)
    return LayoutTarget.open(text, spec, strict=push)


def classify(spec: str, *, push: bool) -> tuple[str, str]:
    """("registry", REF) or ("layout", DIR[:TAG]) without touching the network; anything
    else is a BadInput (checked before a password is asked for)."""
    from tenlayer.image.open import _split_path_and_tag

    if not spec.strip():
        raise BadInput("IMAGE is empty: name an OCI layout directory or a registry reference")
    for prefix in _REGISTRY_TRANSPORTS:
        if spec.startswith(prefix):
            return "registry", spec[len(prefix):]
    if spec.startswith(_UNSUPPORTED_TRANSPORTS):
        raise _unsupported(spec, push)
    text = spec.partition(":")[2] if spec.startswith(_PATH_TRANSPORTS) else spec
    path, _ = _split_path_and_tag(text)
    if path.exists() and not path.is_dir():
        raise _unsupported(spec, push)
    if path.exists() or text != spec or spec.startswith(("/", "./", "../")):
        return "layout", text
    if spec.endswith(".tar"):
        raise BadInput(f"{spec}: no such file or directory")
    return "registry", spec


def _unsupported(spec: str, push: bool) -> BadInput:
    action = "signed" if push else "verified"
    return BadInput(
        f"{spec}: only registry references and OCI layouts can be {action} (push the image "
        "to a registry or copy it to an OCI layout with skopeo)"
    )


# -- registries -----------------------------------------------------------------------------


class RegistryTarget:
    def __init__(self, text: str, *, insecure: bool, timeout: float, push: bool) -> None:
        from tenlayer.image.registry.client import MANIFEST_ACCEPT, RegistryClient
        from tenlayer.image.registry.credentials import find_credentials
        from tenlayer.image.registry.reference import DOCKER_HUB, parse_reference

        reference = parse_reference(text)
        self.description = str(reference)
        lookup = find_credentials(reference.registry, reference.repository)
        for warning in lookup.warnings:
            log.warning("warning: %s", warning)
        self._client = RegistryClient(
            reference, lookup, insecure=insecure, timeout=timeout, push=push
        )
        try:
            self._client.connect()
            data, content_type, sent = self._client.get_manifest(
                reference.manifest_ref, accept=MANIFEST_ACCEPT
            )
        except BaseException:
            self._client.close()
            raise
        self.image_digest = sha256_digest(data)
        self._manifest = data
        self._media_type = content_type
        expected = reference.digest or (sent if sent.startswith("sha256:") else None)
        if expected is not None and expected != self.image_digest:
            self._client.close()
            raise BadInput(
                f"{self.description}: manifest from {reference.registry} hashes to "
                f"{self.image_digest}, not {expected}"
            )
        registry = "index.docker.io" if reference.registry == DOCKER_HUB else reference.registry
        self.identity = f"{registry}/{reference.repository}"
        self._tag = signature_tag(self.image_digest)
        self.signature_location = f"{reference.name}:{self._tag}"

    def read_signatures(self) -> list[SignatureLayer] | None:
        found = self._client.find_manifest(self._tag, accept=OCI_MANIFEST)
        if found is None:
            return None
        return parse_signature_manifest(found[0], context=self.signature_location)

    def fetch_blob(self, digest: str) -> bytes:
        return self._client.get_blob(digest)

    def write(self, new: NewManifest, payload: bytes) -> None:
        self._client.upload_blob(payload, sha256_digest(payload))
        self._client.upload_blob(new.config, new.config_digest)
        self._client.put_manifest(self._tag, new.manifest, OCI_MANIFEST)

    def check_content(self) -> ContentCheck:
        return check_content(self, self.image_digest, self._manifest, self._media_type,
                             context=self.description)

    def read_manifest_blob(self, descriptor: Descriptor) -> bytes | None:
        from tenlayer.image.registry.client import MANIFEST_ACCEPT

        found = self._client.find_manifest(
            descriptor.digest, accept=descriptor.media_type or MANIFEST_ACCEPT
        )
        return None if found is None else found[0]

    def open_image_blob(self, descriptor: Descriptor) -> Stream | None:
        if not self._client.has_blob(descriptor.digest):
            return None
        return self._client.open_blob(descriptor.digest, descriptor.size,
                                      context=self.description)

    def close(self) -> None:
        self._client.close()


# -- OCI layouts ----------------------------------------------------------------------------


class LayoutTarget:
    """An image of an OCI layout directory, chosen by tag (or the layout's only image)."""

    def __init__(self, root: Path, tag: str | None, description: str, *, strict: bool) -> None:
        self.root = root
        self.description = description
        self._index_path = root / "index.json"
        if not (root / "oci-layout").is_file() or not self._index_path.is_file():
            raise BadInput(f"{description}: not an OCI image layout (no oci-layout, index.json)")
        entries = [e for e in self._read_index()["manifests"] if isinstance(e, dict)]
        images = [e for e in entries if not SIGNATURE_TAG.fullmatch(_ref_name(e))]
        if tag is not None:
            chosen = [e for e in images if _ref_name(e) == tag]
        else:
            chosen = images if len(images) == 1 else []
        if not chosen:
            names = ", ".join(sorted({_ref_name(e) for e in images} - {""})) or "none"
            which = f"no image tagged {tag!r}" if tag else "several images; name one as DIR:TAG"
            raise BadInput(f"{description}: layout has {which} (tags: {names})")
        entry = chosen[0]
        context = f"{description}: index.json"
        self.image_digest = check_digest(entry.get("digest"), context=context)
        if entry.get("mediaType") not in (*MANIFEST_TYPES, *INDEX_TYPES):
            raise BadInput(f"{context}: {tag or 'the image'} has media type "
                           f"{entry.get('mediaType')!r}, not an image manifest or index")
        self._media_type = str(entry.get("mediaType"))
        self._manifest = self._read_blob(self.image_digest, MAX_JSON_BLOB)
        if strict and sha256_digest(self._manifest) != self.image_digest:
            raise BadInput(f"{description}: manifest blob {self.image_digest} does not match "
                           "its digest")
        self.identity = tag or _ref_name(entry)
        self._tag = signature_tag(self.image_digest)
        self._signature_entry: dict[str, Any] | None = next(
            (e for e in entries if _ref_name(e) == self._tag), None
        )
        self.signature_location = f"{root}:{self._tag}"

    @classmethod
    def open(cls, text: str, description: str, *, strict: bool) -> LayoutTarget:
        """`strict` (for signing) refuses a manifest blob that does not match its digest at
        once; verifying reports it as the image's content not matching."""
        from tenlayer.image.open import _split_path_and_tag

        path, tag = _split_path_and_tag(text)
        if not path.is_dir():
            raise BadInput(f"{description}: no such OCI layout directory")
        return cls(path, tag, description, strict=strict)

    def _read_index(self) -> dict[str, Any]:
        data = self._read_file(self._index_path, MAX_JSON_BLOB)
        try:
            index = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise BadInput(f"{self._index_path}: not valid JSON ({error})") from None
        if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
            raise BadInput(f"{self._index_path}: no manifests list")
        return index

    def _read_file(self, path: Path, limit: int) -> bytes:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            name = path.relative_to(self.root)
            raise BadInput(f"{self.description}: layout has no {name}") from None
        except OSError as error:
            raise BadInput(f"{path}: cannot read ({error.strerror})") from None
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise BadInput(f"{path}: too large (over {limit} bytes)")
        return data

    def _blob_path(self, digest: str) -> Path:
        return self.root / blob_path(digest)

    def _read_blob(self, digest: str, limit: int) -> bytes:
        return self._read_file(self._blob_path(digest), limit)

    def read_signatures(self) -> list[SignatureLayer] | None:
        entry = self._signature_entry  # from the index.json read when the layout was opened
        if entry is None:
            return None
        context = self.signature_location
        digest = check_digest(entry.get("digest"), context=context)
        data = self._read_blob(digest, MAX_JSON_BLOB)
        if sha256_digest(data) != digest:
            raise BadInput(f"{context}: signature manifest blob does not match its digest {digest}")
        return parse_signature_manifest(data, context=context)

    def fetch_blob(self, digest: str) -> bytes:
        return self._read_blob(digest, MAX_PAYLOAD + 1)

    def write(self, new: NewManifest, payload: bytes) -> None:
        for data in (payload, new.config, new.manifest):
            self._write_blob(data)
        index = self._read_index()
        manifests = [e for e in index["manifests"]
                     if not (isinstance(e, dict) and _ref_name(e) == self._tag)]
        entry: dict[str, Any] = {
            "mediaType": OCI_MANIFEST,
            "digest": sha256_digest(new.manifest),
            "size": len(new.manifest),
            "annotations": {REF_NAME: self._tag},
        }
        index["manifests"] = [*manifests, entry]
        _replace(self._index_path, orjson.dumps(index))
        self._signature_entry = entry

    def check_content(self) -> ContentCheck:
        return check_content(self, self.image_digest, self._manifest, self._media_type,
                             context=self.description)

    def read_manifest_blob(self, descriptor: Descriptor) -> bytes | None:
        stream = self.open_image_blob(descriptor)
        if stream is None:
            return None
        try:
            return stream.read(MAX_JSON_BLOB + 1)
        finally:
            stream.close()

    def open_image_blob(self, descriptor: Descriptor) -> Stream | None:
        path = self._blob_path(descriptor.digest)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise BadInput(f"{path}: cannot read ({error.strerror})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise BadInput(f"{path}: not a regular file")
        return _GuardedFile(os.fdopen(fd, "rb"), path)

    def _write_blob(self, data: bytes) -> None:
        path = self._blob_path(sha256_digest(data))
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == path.name:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, data)

    def close(self) -> None:
        """Nothing is held open."""


class _GuardedFile:
    """A blob file whose read errors (EIO on a failing disk) are one-line BadInputs."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self._handle = handle
        self._path = path

    def read(self, n: int = -1, /) -> bytes:
        try:
            return self._handle.read(n)
        except OSError as error:
            raise BadInput(f"{self._path}: cannot read ({error.strerror})") from None

    def close(self) -> None:
        self._handle.close()


def _ref_name(entry: dict[str, Any]) -> str:
    annotations = entry.get("annotations")
    name = annotations.get(REF_NAME) if isinstance(annotations, dict) else None
    return name if isinstance(name, str) else ""


def _replace(path: Path, data: bytes) -> None:
    """Write `path` atomically: a reader never sees half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), 0o644)
            stream.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

