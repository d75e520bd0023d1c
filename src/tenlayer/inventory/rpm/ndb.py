"""The NDB rpmdb (`Packages.db`, SUSE since 2021): rpm's own flat package store.

Layout (integers little-endian), from rpm's lib/backend/ndb/rpmpkg.c:

- the file is a sequence of 16-byte blocks; its first `slotnpages` 4 KiB pages hold slots;
- page 0 starts with a 32-byte header: magic `RpmP`, version 0, generation, slotnpages,
  next package index;
- each 16-byte slot after it: magic `Slot`, package index, block offset, block count; a
  slot with block offset 0 is free;
- a blob at `block offset * 16`: head (magic `BlbS`, package index, timestamp, length),
  the header blob, zero padding, and a tail (Adler-32 of everything before it, length,
  magic `BlbE`) ending exactly at the last of its blocks.

Every slot and blob is checked as rpm checks it before reading, the checksum included.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from tenlayer.inventory.rpm.errors import CorruptRpmDb

MAGIC = b"RpmP"
_SLOT_MAGIC = b"Slot"
_HEAD_MAGIC = b"BlbS"
_TAIL_MAGIC = b"BlbE"
_VERSION = 0
_PAGE = 4096
_BLOCK = 16
_SLOT = 16
_HEADER = 32
_BLOB_HEAD = 16
_BLOB_TAIL = 12
_MAX_SLOT_PAGES = 2048  # 500 000 slots; rpm grows one page per 255 packages

_FOUR = struct.Struct("<4I")
_TAIL = struct.Struct("<III")


def read_blobs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (package index, header blob) for each installed package, in slot order."""
    size = len(data)
    if size < _HEADER or not data.startswith(MAGIC):
        raise CorruptRpmDb("not an NDB database")
    _magic, version, _generation, slot_pages = _FOUR.unpack_from(data)
    if version != _VERSION:
        raise CorruptRpmDb(f"NDB version {version} is not supported (expected {_VERSION})")
    if not 1 <= slot_pages <= _MAX_SLOT_PAGES:
        raise CorruptRpmDb(f"NDB claims {slot_pages} slot pages (1 to {_MAX_SLOT_PAGES})")
    if size % _BLOCK:
        raise CorruptRpmDb(f"NDB file size {size} is not a multiple of {_BLOCK}")
    if size < slot_pages * _PAGE:
        raise CorruptRpmDb(f"NDB is truncated: {size} bytes, {slot_pages} slot pages")
    file_blocks = size // _BLOCK
    first_blob_block = slot_pages * _PAGE // _BLOCK
    seen: set[int] = set()
    for slot in range(_HEADER // _SLOT, slot_pages * _PAGE // _SLOT):
        offset = slot * _SLOT
        if data[offset : offset + 4] != _SLOT_MAGIC:
            raise CorruptRpmDb(f"NDB slot {slot} has a bad magic")
        _magic, index, block, blocks = _FOUR.unpack_from(data, offset)
        if block == 0:
            continue
        if index == 0 or blocks == 0 or block < first_blob_block:
            raise CorruptRpmDb(f"NDB slot {slot} is malformed")
        if block + blocks > file_blocks:
            raise CorruptRpmDb(f"NDB is truncated: slot {slot} points past the end")
        if index in seen:
            raise CorruptRpmDb(f"NDB has two slots for package {index}")
        seen.add(index)
        yield index, _blob(data, index, block, blocks)


def _blob(data: bytes, index: int, block: int, blocks: int) -> bytes:
    start = block * _BLOCK
    end = start + blocks * _BLOCK
    where = f"NDB blob of package {index}"
    if blocks * _BLOCK < _BLOB_HEAD + _BLOB_TAIL:
        raise CorruptRpmDb(f"{where} is too small")
    head = data[start : start + 4]
    _magic, owner, _stamp, length = _FOUR.unpack_from(data, start)
    if head != _HEAD_MAGIC or owner != index:
        raise CorruptRpmDb(f"{where} has a bad head")
    if blocks != (_BLOB_HEAD + length + _BLOB_TAIL + _BLOCK - 1) // _BLOCK:
        raise CorruptRpmDb(f"{where}: length {length} does not fill its {blocks} blocks")
    checksum, tail_length, _magic = _TAIL.unpack_from(data, end - _BLOB_TAIL)
    if data[end - 4 : end] != _TAIL_MAGIC or tail_length != length:
        raise CorruptRpmDb(f"{where} has a bad tail")
    if zlib.adler32(memoryview(data)[start : end - _BLOB_TAIL]) != checksum:
        raise CorruptRpmDb(f"{where} fails its checksum")
    return data[start + _BLOB_HEAD : start + _BLOB_HEAD + length]
