"""Crafted Go binaries and stream contents for the Go analyzer tests.

The binaries are minimal but well-formed ELF files laid out as the Go linker lays them out:
read-only data first, then a writable data segment that starts with the build-info header.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from pathlib import Path

from tenlayer.inventory.gobuildinfo import INFO_END, INFO_START, MAGIC

PAGE = 0x1000
BASE = 0x400000

MODINFO = (
    "path\texample.com/app/cmd/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    "dep\tgithub.com/pkg/errors\tv0.9.1\th1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n"
    "dep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n"
    "=>\tgithub.com/fork/sys\tv0.1.1-fork\th1:def=\n"
    "dep\tgopkg.in/yaml.v3\tv3.0.1\th1:ghi=\n"
    "dep\texample.com/local\tv1.0.0\t\n"
    "=>\t../local\t\t\n"
    'build\t-ldflags="-s -w -X main.version=2.4.1 -X main.commit=abc"\n'
    "build\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n"
    "build\tvcs.time=2024-05-06T07:08:09Z\n"
)
"""What `go version -m` would show for a small app built from a checkout."""


def uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def framed(modinfo: str) -> bytes:
    return INFO_START + modinfo.encode() + INFO_END


def inline_blob(version: str, modinfo: bytes, *, pointer_size: int = 8) -> bytes:
    """The Go >= 1.18 build info: header, then the two varint-length strings."""
    header = MAGIC + bytes([pointer_size, 2]) + bytes(16)
    raw_version = version.encode()
    return header + uvarint(len(raw_version)) + raw_version + uvarint(len(modinfo)) + modinfo


R, RX, RW = 4, 5, 6
"""Segment permissions (PF_R, PF_R|PF_X, PF_R|PF_W)."""
GO_NOTE_ID = b"d9Csz3iYCgQyk-J3lVGK/_HZwT4faOZ2fePU9OEXC/HoGU2sDVQoNlIyhCuIPu/D_SBHhCUaJrLxMEmatkl"


def go_note(big_endian: bool = False) -> bytes:
    """The `.note.go.buildid` note Go's linker writes into every ELF it links."""
    order = ">" if big_endian else "<"
    desc = GO_NOTE_ID + bytes(-len(GO_NOTE_ID) % 4)
    return struct.pack(order + "III", 4, len(GO_NOTE_ID), 4) + b"Go\0\0" + desc


def elf(
    segments: list[bytes],
    *,
    wide: bool = True,
    big_endian: bool = False,
    machine: int = 62,
    flags: list[int] | None = None,
    note: bytes = b"",
) -> tuple[bytes, list[tuple[int, int]]]:
    """An ELF executable with one PT_LOAD per segment (and a PT_NOTE holding `note` in the
    first page when given); returns it and each segment's (offset, vaddr)."""
    order = ">" if big_endian else "<"
    header_size, entry_size = (64, 56) if wide else (52, 32)
    flags = flags or [RW] * len(segments)
    count = len(segments) + (1 if note else 0)
    places = []
    offset = PAGE
    for data in segments:
        places.append((offset, BASE + offset))
        offset += -(-len(data) // PAGE) * PAGE
    ident = b"\x7fELF" + bytes([2 if wide else 1, 2 if big_endian else 1, 1]) + bytes(9)
    if wide:
        header = ident + struct.pack(
            order + "HHIQQQIHHHHHH",
            2,
            machine,
            1,
            BASE,
            header_size,
            0,
            0,
            header_size,
            entry_size,
            count,
            0,
            0,
            0,
        )
    else:
        header = ident + struct.pack(
            order + "HHIIIIIHHHHHH",
            2,
            machine,
            1,
            BASE,
            header_size,
            0,
            0,
            header_size,
            entry_size,
            count,
            0,
            0,
            0,
        )
    tables = b""
    for (at, vaddr), data, perms in zip(places, segments, flags, strict=True):
        if wide:
            tables += struct.pack(
                order + "IIQQQQQQ", 1, perms, at, vaddr, vaddr, len(data), len(data), PAGE
            )
        else:
            tables += struct.pack(
                order + "IIIIIIII", 1, at, vaddr, vaddr, len(data), len(data), perms, PAGE
            )
    if note:
        note_at = header_size + entry_size * count
        if wide:
            tables += struct.pack(
                order + "IIQQQQQQ", 4, R, note_at, BASE + note_at, BASE + note_at,
                len(note), len(note), 4,
            )
        else:
            tables += struct.pack(
                order + "IIIIIIII", 4, note_at, BASE + note_at, BASE + note_at,
                len(note), len(note), R, 4,
            )
        tables += note
    image = bytearray(header + tables)
    for (at, _), data in zip(places, segments, strict=True):
        image += bytes(at - len(image)) + data
    return bytes(image), places


def inline_elf(version: str, modinfo: bytes, *, text: bytes = b"") -> bytes:
    """A Go >= 1.18 binary: code and read-only data, then the data segment with build info."""
    code = text or (b"\x90" * 700 + b"x" + MAGIC + b"decoy, not aligned" + b"\xc3" * 300)
    data = inline_blob(version, modinfo) + bytes(64)
    image, _ = elf([code, data], flags=[RX, RW], note=go_note())
    return image


def pointer_elf(
    version: str,
    modinfo: str,
    *,
    wide: bool = True,
    big_endian: bool = False,
    padding: int = 0,
    with_note: bool = True,
) -> bytes:
    """A Go 1.13-1.17 binary: strings in read-only data, pointed at from the data segment."""
    order = ">" if big_endian else "<"
    word = "Q" if wide else "I"
    size = 8 if wide else 4
    rodata = bytearray(b"\x00" * 200 + b"go1.16 is not the version, go1.x neither" + b"\x00" * 40)
    version_at = len(rodata)
    rodata += version.encode() + b"runtime.panicwrap" + bytes(100)
    modinfo_at = len(rodata)
    rodata += framed(modinfo) + bytes(64 + padding)
    data_size = 0x200
    layout = {"flags": [R, RW], "note": go_note(big_endian) if with_note else b""}
    _, places = elf([bytes(rodata), bytes(data_size)], wide=wide, big_endian=big_endian, **layout)
    rodata_vaddr = places[0][1]
    data_vaddr = places[1][1]
    data = bytearray(data_size)
    version_header, modinfo_header = 0x100, 0x100 + 2 * size
    data[0:32] = (
        MAGIC
        + bytes([size, 1 if big_endian else 0])
        + struct.pack(order + word * 2, data_vaddr + version_header, data_vaddr + modinfo_header)
        + bytes(16 - 2 * size)
    )
    data[version_header : version_header + 2 * size] = struct.pack(
        order + word * 2, rodata_vaddr + version_at, len(version)
    )
    data[modinfo_header : modinfo_header + 2 * size] = struct.pack(
        order + word * 2, rodata_vaddr + modinfo_at, len(framed(modinfo))
    )
    image, _ = elf([bytes(rodata), bytes(data)], wide=wide, big_endian=big_endian, **layout)
    return image


class Content:
    """A `FileContent` over bytes that hands out at most `step` bytes per read."""

    def __init__(self, data: bytes, step: int = 1 << 30) -> None:
        self.size = len(data)
        self._data = data
        self._pos = 0
        self._step = step
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self._pos if n < 0 else n
        chunk = self._data[self._pos : self._pos + min(n, self._step)]
        self._pos += len(chunk)
        self.consumed += len(chunk)
        return chunk

    def skip(self, n: int) -> int:
        return len(self.read(n))


class FileStream:
    """A `FileContent` reading a real file front to back."""

    def __init__(self, path: Path) -> None:
        self.size = path.stat().st_size
        self._file = path.open("rb")
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        data = self._file.read(n)
        self.consumed += len(data)
        return data

    def skip(self, n: int) -> int:
        here = self._file.tell()
        n = max(0, min(n, self.size - here))
        self._file.seek(here + n)
        return n

    def close(self) -> None:
        self._file.close()


@dataclass
class Generated:
    """A `FileContent` of `size` bytes made on the fly by repeating `block`, never stored."""

    block: bytes
    size: int
    head: bytes = b""
    _pos: int = 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self._pos if n < 0 else min(n, self.size - self._pos)
        out = bytearray()
        while len(out) < n:
            at = self._pos + len(out)
            if at < len(self.head):
                out += self.head[at : at + n - len(out)]
            else:
                within = (at - len(self.head)) % len(self.block)
                out += self.block[within : within + n - len(out)]
        self._pos += n
        return bytes(out)

    def skip(self, n: int) -> int:
        n = max(0, min(n, self.size - self._pos))
        self._pos += n
        return n


def mutations(seed: bytes, rng: random.Random, count: int) -> list[bytes]:
    """Damaged copies of `seed`: flipped bytes, holes, insertions and truncations."""
    out = []
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data))
            roll = rng.random()
            if roll < 0.6:
                data[at] = rng.randrange(256)
            elif roll < 0.8:
                del data[at : at + rng.randint(1, 64)]
            else:
                data[at:at] = rng.randbytes(rng.randint(1, 16))
        if rng.random() < 0.1:
            del data[rng.randrange(len(data)) :]
        out.append(bytes(data))
    return out
