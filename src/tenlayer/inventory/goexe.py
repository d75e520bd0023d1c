"""Executable formats a Go binary can come in, told from their first bytes and headers.

Only what the Go analyzer needs: which format a file is (ELF, PE, Mach-O, fat Mach-O), and,
for Go < 1.18 build info that stores virtual addresses, where each address lies in the
file. Both come from headers at the front of the file (ELF program headers, the PE section
table, Mach-O load commands), so they can be read from the first bytes of a stream; the
section headers at the end of an ELF file are never needed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

MAGIC_SIZE = 4
"""Bytes needed to tell the format of a file."""


class ExeFormat(Enum):
    ELF = "elf"
    PE = "pe"
    MACHO = "macho"
    FAT_MACHO = "fat-macho"


_MACHO_MAGICS = {
    b"\xfe\xed\xfa\xce": (">", 4),
    b"\xfe\xed\xfa\xcf": (">", 8),
    b"\xce\xfa\xed\xfe": ("<", 4),
    b"\xcf\xfa\xed\xfe": ("<", 8),
}
_FAT_MAGIC = b"\xca\xfe\xba\xbe"
_MAX_FAT_ARCHS = 30
"""A fat Mach-O header and a Java class file share their magic; a class file's next word
(its version, 45 or more) is larger than any real count of architectures."""


def detect(head: bytes) -> ExeFormat | None:
    """The executable format of a file whose first bytes are `head`, or None."""
    magic = head[:MAGIC_SIZE]
    if magic == b"\x7fELF":
        return ExeFormat.ELF
    if magic[:2] == b"MZ":
        return ExeFormat.PE
    if magic in _MACHO_MAGICS:
        return ExeFormat.MACHO
    if magic == _FAT_MAGIC:
        if len(head) < 8:
            return ExeFormat.FAT_MACHO
        (count,) = struct.unpack_from(">I", head, 4)
        return ExeFormat.FAT_MACHO if 0 < count <= _MAX_FAT_ARCHS else None
    return None


@dataclass(frozen=True, slots=True)
class Segment:
    """`size` bytes at virtual address `vaddr` are stored at file offset `offset`."""

    vaddr: int
    size: int
    offset: int


class AddressMap:
    """Virtual address -> file offset, from the loadable segments (or sections) of a binary."""

    def __init__(self, segments: list[Segment]) -> None:
        self._segments = [s for s in segments if s.size > 0]

    def __bool__(self) -> bool:
        return bool(self._segments)

    def offset(self, vaddr: int, size: int) -> int | None:
        """File offset of `size` bytes at `vaddr`, or None unless they all lie in the file."""
        for segment in self._segments:
            if segment.vaddr <= vaddr and vaddr + size <= segment.vaddr + segment.size:
                return segment.offset + (vaddr - segment.vaddr)
        return None


def address_map(fmt: ExeFormat, head: bytes) -> AddressMap:
    """The address map described by the headers in `head`; empty when they are not all there."""
    try:
        if fmt is ExeFormat.ELF:
            return AddressMap(_elf_segments(head))
        if fmt is ExeFormat.PE:
            return AddressMap(_pe_sections(head))
        if fmt is ExeFormat.MACHO:
            return AddressMap(_macho_segments(head))
    except (struct.error, OverflowError):
        pass  # headers cut off by the end of `head`, or offsets past any file: no map
    return AddressMap([])


_PT_LOAD = 1
_PF_X, _PF_W, _PF_R = 1, 2, 4


def elf_code_end(head: bytes) -> int:
    """Where the executable segment of an ELF file ends, when nothing after the headers up to
    there can hold build info or the strings it points to; else 0.

    Go's own linker writes three loadable segments: code (R E), read-only data (R) with every
    string, and data (RW) with the build info. Only then is the code segment skipped. An
    external linker may fold read-only data into the code segment, so without a separate
    R segment nothing is skipped.
    """
    try:
        segments = _elf_load_segments(head)
    except (struct.error, OverflowError, IndexError):
        return 0
    code = [s for s in segments if s[3] & _PF_X]
    read_only = [s for s in segments if s[3] & (_PF_X | _PF_W) == 0]
    if len(code) != 1 or not read_only:
        return 0
    code_end = code[0][2] + code[0][1]
    if all(s[2] >= code_end for s in segments if s is not code[0]):
        return code_end
    return 0


def _elf_load_segments(head: bytes) -> list[tuple[int, int, int, int]]:
    """(vaddr, filesz, offset, flags) of every PT_LOAD program header."""
    order = {1: "<", 2: ">"}.get(head[5])
    if order is None or head[4] not in (1, 2):
        return []
    wide = head[4] == 2
    if wide:
        (phoff,) = struct.unpack_from(order + "Q", head, 0x20)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 0x36)
    else:
        (phoff,) = struct.unpack_from(order + "I", head, 0x1C)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 0x2A)
    segments = []
    for index in range(phnum):
        at = phoff + index * phentsize
        if wide:
            kind, flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
                order + "IIQQQQ", head, at
            )
        else:
            kind, offset, vaddr, _paddr, filesz, _memsz, flags = struct.unpack_from(
                order + "IIIIIII", head, at
            )
        if kind == _PT_LOAD:
            segments.append((vaddr, filesz, offset, flags))
    return segments


def _elf_segments(head: bytes) -> list[Segment]:
    return [Segment(vaddr, size, offset) for vaddr, size, offset, _ in _elf_load_segments(head)]


def _pe_sections(head: bytes) -> list[Segment]:
    (pe_at,) = struct.unpack_from("<I", head, 0x3C)
    if head[pe_at : pe_at + 4] != b"PE\0\0":
        return []
    coff = pe_at + 4
    (count,) = struct.unpack_from("<H", head, coff + 2)
    (optional_size,) = struct.unpack_from("<H", head, coff + 16)
    optional = coff + 20
    (magic,) = struct.unpack_from("<H", head, optional)
    if magic == 0x20B:
        (image_base,) = struct.unpack_from("<Q", head, optional + 24)
    elif magic == 0x10B:
        (image_base,) = struct.unpack_from("<I", head, optional + 28)
    else:
        return []
    table = optional + optional_size
    sections = []
    for index in range(count):
        virtual_size, virtual_address, raw_size, raw_at = struct.unpack_from(
            "<IIII", head, table + index * 40 + 8
        )
        size = min(virtual_size, raw_size) if virtual_size else raw_size
        sections.append(Segment(image_base + virtual_address, size, raw_at))
    return sections


_LC_SEGMENT = 0x1
_LC_SEGMENT_64 = 0x19


def _macho_segments(head: bytes) -> list[Segment]:
    order, pointer = _MACHO_MAGICS[head[:4]]
    (ncmds,) = struct.unpack_from(order + "I", head, 16)
    at = 32 if pointer == 8 else 28
    segments = []
    for _ in range(ncmds):
        cmd, size = struct.unpack_from(order + "II", head, at)
        if cmd == _LC_SEGMENT_64:
            vaddr, _vmsize, offset, filesz = struct.unpack_from(order + "QQQQ", head, at + 24)
            segments.append(Segment(vaddr, filesz, offset))
        elif cmd == _LC_SEGMENT:
            vaddr, _vmsize, offset, filesz = struct.unpack_from(order + "IIII", head, at + 24)
            segments.append(Segment(vaddr, filesz, offset))
        if size < 8:
            break
        at += size
    return segments
