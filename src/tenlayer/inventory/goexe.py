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
_PT_NOTE = 4
_PF_X, _PF_W = 1, 2
_NT_GO_BUILDID = 4


@dataclass(frozen=True, slots=True)
class ElfLayout:
    """Where, in an ELF file, Go build info and the strings it points to can be.

    The build info lives in `.go.buildinfo`, a writable data section, so always within the
    writable loadable segments. Go's own linker writes three: code (R E), read-only data (R)
    with every string, and data (RW); then the code segment holds nothing of interest.
    """

    go_note: bool
    """The file carries a Go build-ID note: Go built it (gcc-built programs never do)."""
    code_end: int
    """Offset up to which only headers and machine code lie (0: unknown, read it all)."""
    writable_start: int
    writable_end: int
    """File range of the writable segments (0, 0 when there are none)."""


def elf_layout(head: bytes) -> ElfLayout | None:
    """The layout described by the program headers in `head`; None when they are not there."""
    try:
        headers = _elf_program_headers(head)
    except (struct.error, OverflowError, IndexError):
        return None
    loads = [h for h in headers if h[0] == _PT_LOAD]
    if not loads:
        return None
    code = [h for h in loads if h[4] & _PF_X]
    read_only = [h for h in loads if h[4] & (_PF_X | _PF_W) == 0]
    code_end = 0
    if len(code) == 1 and read_only:
        end = code[0][2] + code[0][3]
        if all(h[2] >= end for h in loads if h is not code[0]):
            code_end = end
    writable = [h for h in loads if h[4] & _PF_W]
    start = min((h[2] for h in writable), default=0)
    stop = max((h[2] + h[3] for h in writable), default=0)
    notes = [h for h in headers if h[0] == _PT_NOTE]
    return ElfLayout(_has_go_note(head, notes), code_end, start, stop)


def _has_go_note(head: bytes, notes: list[tuple[int, int, int, int, int]]) -> bool:
    order = "<" if head[5] == 1 else ">"
    for _, _, offset, size, _ in notes:
        at, end = offset, min(offset + size, len(head))
        while at + 12 <= end:
            namesz, descsz, kind = struct.unpack_from(order + "III", head, at)
            name = head[at + 12 : at + 12 + namesz]
            if kind == _NT_GO_BUILDID and name.rstrip(b"\0") == b"Go":
                return True
            at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def _elf_load_segments(head: bytes) -> list[tuple[int, int, int]]:
    """(vaddr, filesz, offset) of every PT_LOAD program header."""
    return [(h[1], h[3], h[2]) for h in _elf_program_headers(head) if h[0] == _PT_LOAD]


def _elf_program_headers(head: bytes) -> list[tuple[int, int, int, int, int]]:
    """(type, vaddr, offset, filesz, flags) of every program header."""
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
        segments.append((kind, vaddr, offset, filesz, flags))
    return segments


def _elf_segments(head: bytes) -> list[Segment]:
    return [Segment(vaddr, size, offset) for vaddr, size, offset in _elf_load_segments(head)]


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
