"""OSV records and archives the database tests build for themselves."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

SHARED_OSV = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "osv"


def record(
    ident: str = "GHSA-aaaa-bbbb-cccc",
    *,
    ecosystem: str = "PyPI",
    name: str = "requests",
    fixed: str = "2.31.0",
    modified: str = "2024-01-02T03:04:05Z",
    **fields: Any,
) -> dict[str, Any]:
    """A valid OSV record with one package and one ECOSYSTEM range."""
    document: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": modified,
        "published": "2023-05-22T20:00:00Z",
        "aliases": ["CVE-2023-32681"],
        "summary": f"{name} is vulnerable",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
        "references": [{"type": "ADVISORY", "url": f"https://example.test/{ident}"}],
    }
    document.update(fields)
    return document


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def write_zip(path: Path, members: dict[str, bytes | Any]) -> Path:
    """A zip of OSV JSON members (bytes are written as they are, anything else as JSON)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            archive.writestr(name, data)
    return path


def many_records(count: int, *, prefix: str = "TEST", ecosystem: str = "PyPI") -> dict[str, Any]:
    return {
        f"{prefix}-{i}.json": record(f"{prefix}-{i}", ecosystem=ecosystem, name=f"pkg{i % 997}")
        for i in range(count)
    }


def lie_about_size(path: Path, member: str, declared: int) -> None:
    """Patch a zip so `member` declares `declared` bytes uncompressed (a zip-bomb trick)."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    entries, offset = struct.unpack_from("<H", data, end + 10)[0], struct.unpack_from(
        "<I", data, end + 16
    )[0]
    for _ in range(entries):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, offset + 28)
        local = struct.unpack_from("<I", data, offset + 42)[0]
        if data[offset + 46 : offset + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, offset + 24, declared)  # central directory
            struct.pack_into("<I", data, local + 22, declared)  # local header
        offset += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))
