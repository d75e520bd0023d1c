"""The Berkeley DB `Packages` file (rpm before 4.16: RHEL 7 and 8, UBI 8, CentOS 7/8).

rpm keeps it as a Berkeley DB hash database. The format (Berkeley DB 4.x and 5.x), in the
byte order of the machine that wrote it, which the magic number tells:

- page 0 is the hash metadata page: magic 0x061561 at 12, version at 16, page size at 20,
  encryption at 24, page type (8) at 25, flags at 26 (bit 0: page checksums), last page
  number at 32;
- every page starts with a 26-byte header: its number at 8, the next page at 16, an entry
  count at 20, the high free offset at 22, its type at 25; with checksums, 6 bytes follow;
- hash pages (type 13, or 2 before Berkeley DB 4.6) hold key/data pairs: after the header,
  2-byte offsets of the items, each item running to the previous one (or the page end);
  an item's first byte is its kind: 1 for bytes on the page, 3 for a reference (first
  page, total length) to a chain of overflow pages;
- overflow pages (type 7) hold `high free offset` bytes after the header and name the
  next page of their chain.

Pages are read in file order rather than bucket by bucket: hash pages hold only live pairs
(Berkeley DB retypes freed pages as invalid), so the records are the same and there is no
bucket chain to loop on. Each overflow page may serve one chain once, so a cycle in a
chain ends as an error. rpm keys each header by a 4-byte instance number; instance 0 is
rpm's own counter, not a package.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from tenlayer.inventory.rpm.errors import CorruptRpmDb

HASH_MAGIC = 0x061561
_BTREE_MAGIC = 0x053162
_META_SIZE = 512
_MIN_PAGE, _MAX_PAGE = 512, 65536

_P_INVALID, _P_HASH_UNSORTED, _P_OVERFLOW, _P_HASHMETA, _P_HASH = 0, 2, 7, 8, 13
_H_KEYDATA, _H_DUPLICATE, _H_OFFPAGE, _H_OFFDUP = 1, 2, 3, 4
_PAGE_HEADER = 26
_CHECKSUM_HEADER = 32
_OFFPAGE_SIZE = 12
_CHECKSUM_FLAG = 0x01
_LITTLE_ENDIAN = (HASH_MAGIC.to_bytes(4, "little"), _BTREE_MAGIC.to_bytes(4, "little"))
_BIG_ENDIAN = (HASH_MAGIC.to_bytes(4, "big"), _BTREE_MAGIC.to_bytes(4, "big"))


def is_bdb(data: bytes) -> bool:
    """Whether the data starts like a Berkeley DB file (hash or btree, either byte order)."""
    return data[12:16] in _LITTLE_ENDIAN or data[12:16] in _BIG_ENDIAN


def read_blobs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (instance number, header blob) for each installed package, in page order."""
    return _HashFile(data).records()


class _HashFile:
    def __init__(self, data: bytes) -> None:
        if len(data) < _META_SIZE or not is_bdb(data):
            raise CorruptRpmDb("not a Berkeley DB file")
        self.order = "<" if data[12:16] in _LITTLE_ENDIAN else ">"
        magic, _version, page_size = struct.unpack_from(self.order + "III", data, 12)
        if magic != HASH_MAGIC:
            raise CorruptRpmDb("Berkeley DB btree file, not the hash database rpm writes")
        if not _MIN_PAGE <= page_size <= _MAX_PAGE or page_size & (page_size - 1):
            raise CorruptRpmDb(f"Berkeley DB page size {page_size} is invalid")
        if data[24]:
            raise CorruptRpmDb("encrypted Berkeley DB files are not supported")
        if data[25] != _P_HASHMETA:
            raise CorruptRpmDb(f"Berkeley DB metadata page has type {data[25]}, not hash")
        (last_page,) = struct.unpack_from(self.order + "I", data, 32)
        if (last_page + 1) * page_size > len(data):
            raise CorruptRpmDb(
                f"Berkeley DB is truncated: {len(data)} bytes, but {last_page + 1} pages "
                f"of {page_size}"
            )
        self.data = data
        self.page_size = page_size
        self.last_page = last_page
        self.overhead = _CHECKSUM_HEADER if data[26] & _CHECKSUM_FLAG else _PAGE_HEADER
        self.chained: set[int] = set()

    def records(self) -> Iterator[tuple[int, bytes]]:
        data, size = self.data, self.page_size
        for page in range(1, self.last_page + 1):
            kind = data[page * size + 25]
            if kind in (_P_HASH, _P_HASH_UNSORTED):
                yield from self._hash_page(page)
            elif kind not in (_P_INVALID, _P_OVERFLOW):
                raise CorruptRpmDb(f"Berkeley DB page {page} has unexpected type {kind}")

    def _hash_page(self, page: int) -> Iterator[tuple[int, bytes]]:
        data, size, order = self.data, self.page_size, self.order
        base = page * size
        number, _prev, _next, entries = struct.unpack_from(order + "IIIH", data, base + 8)
        if number != page:
            raise CorruptRpmDb(f"Berkeley DB page {page} claims to be page {number}")
        floor = self.overhead + 2 * entries
        if entries % 2 or floor > size:
            raise CorruptRpmDb(f"Berkeley DB page {page} has a bad entry count {entries}")
        offsets = struct.unpack_from(f"{order}{entries}H", data, base + self.overhead)
        end = size
        for item in range(0, entries, 2):
            key_start, value_start = offsets[item], offsets[item + 1]
            if not floor <= value_start < key_start < end:
                raise CorruptRpmDb(f"Berkeley DB page {page}: item {item} is out of place")
            key = self._item(page, key_start, end)
            value = self._item(page, value_start, key_start)
            end = value_start
            if len(key) != 4:
                raise CorruptRpmDb(f"Berkeley DB page {page}: a key of {len(key)} bytes")
            (instance,) = struct.unpack(order + "I", key)
            if instance:
                yield instance, value

    def _item(self, page: int, start: int, end: int) -> bytes:
        base = page * self.page_size
        kind = self.data[base + start]
        if kind == _H_KEYDATA:
            return self.data[base + start + 1 : base + end]
        if kind == _H_OFFPAGE:
            if end - start < _OFFPAGE_SIZE:
                raise CorruptRpmDb(f"Berkeley DB page {page}: truncated overflow reference")
            first, length = struct.unpack_from(self.order + "II", self.data, base + start + 4)
            return self._overflow(first, length)
        if kind in (_H_DUPLICATE, _H_OFFDUP):
            raise CorruptRpmDb(f"Berkeley DB page {page} holds duplicates, which rpm never writes")
        raise CorruptRpmDb(f"Berkeley DB page {page} has an item of unknown kind {kind}")

    def _overflow(self, page: int, length: int) -> bytes:
        data, size, overhead = self.data, self.page_size, self.overhead
        if length > len(data):
            raise CorruptRpmDb(f"Berkeley DB overflow item claims {length} bytes")
        parts: list[bytes] = []
        remaining = length
        while page:
            if page > self.last_page:
                raise CorruptRpmDb(f"Berkeley DB overflow chain points past the end ({page})")
            if page in self.chained:
                raise CorruptRpmDb(f"Berkeley DB overflow chain comes back to page {page}")
            self.chained.add(page)
            base = page * size
            if data[base + 25] != _P_OVERFLOW:
                raise CorruptRpmDb(f"Berkeley DB page {page} in an overflow chain is not one")
            (following,) = struct.unpack_from(self.order + "I", data, base + 16)
            (used,) = struct.unpack_from(self.order + "H", data, base + 22)
            if used > size - overhead or used > remaining:
                raise CorruptRpmDb(f"Berkeley DB overflow page {page} claims {used} bytes")
            parts.append(data[base + overhead : base + overhead + used])
            remaining -= used
            page = following
        if remaining:
            raise CorruptRpmDb(f"Berkeley DB overflow item is {remaining} bytes short")
        return b"".join(parts)
