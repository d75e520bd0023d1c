"""Read an SBOM back into an `Inventory`: CycloneDX JSON, SPDX 2.x JSON or tag-value.

    from tenlayer.sbom.read import read_sbom
    inventory = read_sbom(Path("app.cdx.json"))     # Image.source_kind == "sbom"

The format is told by the content, not the file name. tenlayer's own SBOMs, Syft's and
Trivy's are read with each producer's extra facts (source packages, the file and layer a
package was found in); any other producer's through purls alone. What cannot be matched is
left out and counted in one warning. Bad input -- too large, not JSON, not an SBOM, too
deeply nested -- is one `BadInput` line naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tenlayer.errors import BadInput
from tenlayer.model import Inventory

MAX_SBOM_SIZE = 256 << 20
"""Bytes. The JSON is parsed whole (no streaming parser); each entry is freed once read, and
peak memory measured about six times the file's size (tests/sbom/read/test_read_hostile.py)."""
_CHUNK = 4 << 20


@dataclass(frozen=True, slots=True)
class SbomInput:
    """An SBOM read back: the inventory, and what kind of document it came from."""

    inventory: Inventory
    format: str
    """`CycloneDX 1.6`, `SPDX-2.3`, `SPDX-2.3 (tag-value)`."""
    producer: str
    """`tenlayer`, `syft`, `trivy` or `other` (see `read_common.Producer`)."""


def read_sbom(path: Path, *, max_size: int = MAX_SBOM_SIZE) -> Inventory:
    """The inventory an SBOM file describes. Raises `BadInput` naming `path`."""
    return read_sbom_input(path, max_size=max_size).inventory


def read_sbom_input(path: Path, *, max_size: int = MAX_SBOM_SIZE) -> SbomInput:
    data = _read_bounded(path, max_size)
    try:
        return parse_sbom(data, str(path))
    except BadInput as error:
        message = str(error)
        if message.startswith(f"{path}:"):
            raise
        raise BadInput(f"{path}: {message}") from None


def parse_sbom(data: bytes, name: str) -> SbomInput:
    """Detect the format of `data` and read it; `name` is the input as the user gave it."""
    text = _decode(data, name)
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return _parse_json(text, name)
    if start == "<":
        kind = "CycloneDX" if "cyclonedx" in text[:4096].lower() else "XML"
        raise BadInput(f"{name}: {kind} XML is not supported; write the SBOM as JSON")
    if _looks_like_tag_value(text):
        from tenlayer.sbom.read_spdx import read_spdx, tag_value_document

        return read_spdx(tag_value_document(text), name, tag_value=True)
    raise BadInput(f"{name}: not an SBOM (expected CycloneDX JSON or SPDX JSON/tag-value)")


def _parse_json(text: str, name: str) -> SbomInput:
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(
            f"{name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise BadInput(f"{name}: JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise BadInput(f"{name}: not an SBOM (the JSON is not an object)")
    if document.get("bomFormat") == "CycloneDX":
        from tenlayer.sbom.read_cyclonedx import read_cyclonedx

        return read_cyclonedx(document, name)
    if isinstance(document.get("spdxVersion"), str):
        from tenlayer.sbom.read_spdx import read_spdx

        return read_spdx(document, name, tag_value=False)
    raise BadInput(f"{name}: {_what_json_is(document)}")


def _what_json_is(document: dict[str, Any]) -> str:
    if "@context" in document and "spdx" in str(document.get("@context")).lower():
        return "SPDX 3 is not supported yet; write SPDX 2.3"
    if "artifacts" in document and "source" in document:
        return "Syft's own JSON is not an SBOM format tenlayer reads; use -o cyclonedx-json"
    if "SchemaVersion" in document and "Results" in document:
        return "a Trivy JSON report is not an SBOM; use --format cyclonedx"
    return "not an SBOM (no CycloneDX bomFormat and no SPDX spdxVersion)"


def _read_bounded(path: Path, max_size: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = _read_at_most(handle, max_size + 1)
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not an SBOM file") from None
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read ({error.strerror or error})") from None
    if len(data) > max_size:
        raise BadInput(f"{path}: larger than the {_size(max_size)} an SBOM may be")
    return data


def _read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes, in chunks: `read(limit)` would reserve all of `limit` at once,
    and a pipe or /dev/stdin has no size to check first."""
    chunks = bytearray()
    while len(chunks) < limit:
        chunk = handle.read(min(_CHUNK, limit - len(chunks)))
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


def _size(count: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and count % (1 << shift) == 0:
            return f"{count >> shift} {unit}"
    return f"{count} bytes"


def _decode(data: bytes, name: str) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise BadInput(f"{name}: not text in UTF-8 (byte {error.start})") from None


def _looks_like_tag_value(text: str) -> bool:
    for line in text[:65536].splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return stripped.startswith("SPDXVersion:")
    return False
