"""The rpm header blob: the record each rpmdb format stores, one per installed package.

Layout (integers big-endian), as rpm's own `hdrblob` code reads it:

    il: u32                      number of index entries
    dl: u32                      size of the data store
    il x {tag: i32, type: u32, offset: i32, count: u32}
    dl bytes of data

An installed header starts with a *region* entry (tag 63, HEADERIMMUTABLE: the header as
signed in the package file). It is a 16-byte BIN entry pointing at a trailer in the data
store whose negative offset says how many index entries the region holds. Entries after
the region ("dribbles") were added at install time; where one repeats a region tag it
overrides it, as in rpm. Headers without a region (very old rpm) are read as they are.

Headers come from images that may be hostile, so every entry is checked the way rpm checks
them (hdrblobInit, hdrblobVerifyRegion, hdrblobVerifyInfo): sizes, known types, alignment,
offsets inside the data, data in offset order without overlap, the region trailer left
alone. Values are decoded only for the tags tenlayer needs, after checking their types.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tenlayer.inventory.rpm.errors import CorruptRpmDb

NAME = 1000
VERSION = 1001
RELEASE = 1002
EPOCH = 1003
LICENSE = 1014
ARCH = 1022
OLDFILENAMES = 1027
SOURCERPM = 1044
DIRINDEXES = 1116
BASENAMES = 1117
DIRNAMES = 1118

_TAG_NAMES = {
    NAME: "NAME",
    VERSION: "VERSION",
    RELEASE: "RELEASE",
    EPOCH: "EPOCH",
    LICENSE: "LICENSE",
    ARCH: "ARCH",
    OLDFILENAMES: "OLDFILENAMES",
    SOURCERPM: "SOURCERPM",
    DIRINDEXES: "DIRINDEXES",
    BASENAMES: "BASENAMES",
    DIRNAMES: "DIRNAMES",
}

_CHAR, _INT8, _INT16, _INT32, _INT64 = 1, 2, 3, 4, 5
_STRING, _BIN, _STRING_ARRAY, _I18NSTRING = 6, 7, 8, 9
_FIXED_SIZE = {_CHAR: 1, _INT8: 1, _INT16: 2, _INT32: 4, _INT64: 8, _BIN: 1}
_STRINGS = (_STRING_ARRAY, _I18NSTRING)

_REGION_TAGS = frozenset((61, 62, 63))  # HEADERIMAGE, HEADERSIGNATURES, HEADERIMMUTABLE
_REGION_SIZE = 16
_FIRST_DATA_TAG = 100  # tags below are reserved for regions and the i18n table
_MAX_ENTRIES = 0xFFFF
_MAX_DATA = 0x0FFFFFFF

_HEAD = struct.Struct(">II")
_ENTRY = struct.Struct(">iIiI")

# tag -> (type, offset, count, end): `end` bounds the value (for string arrays, where the
# next entry's data begins; the value's own end is found only when it is decoded).
_Index = dict[int, tuple[int, int, int, int]]


@dataclass(frozen=True, slots=True)
class RpmHeader:
    """What tenlayer reads from one installed package's header."""

    name: str
    version: str
    release: str
    epoch: int | None
    arch: str | None
    source_rpm: str | None
    license: str | None
    files: tuple[str, ...]
    """Absolute paths as rpm records them (directories included)."""


def parse_header(blob: bytes) -> RpmHeader:
    """Check a header blob entry by entry and decode the tags tenlayer uses."""
    index, data = _index(blob)
    name = _string(index, data, NAME)
    version = _string(index, data, VERSION)
    release = _string(index, data, RELEASE)
    if not name or version is None or release is None:
        missing = [t for t in (NAME, VERSION, RELEASE) if t not in index]
        what = ", ".join(_TAG_NAMES[t] for t in missing) or "a NAME"
        raise CorruptRpmDb(f"header has no {what}")
    epochs = _uint32s(index, data, EPOCH)
    return RpmHeader(
        name=name,
        version=version,
        release=release,
        epoch=epochs[0] if epochs else None,
        arch=_string(index, data, ARCH) or None,
        source_rpm=_string(index, data, SOURCERPM) or None,
        license=_string(index, data, LICENSE) or None,
        files=_files(index, data),
    )


def _index(blob: bytes) -> tuple[_Index, bytes]:
    size = len(blob)
    if size < _HEAD.size:
        raise CorruptRpmDb(f"header blob of {size} bytes is too short")
    il, dl = _HEAD.unpack_from(blob)
    if not 1 <= il <= _MAX_ENTRIES:
        raise CorruptRpmDb(f"header claims {il} index entries (1 to {_MAX_ENTRIES} allowed)")
    if dl > _MAX_DATA:
        raise CorruptRpmDb(f"header claims {dl} bytes of data (at most {_MAX_DATA} allowed)")
    start = _HEAD.size + il * _ENTRY.size
    if start + dl != size:
        raise CorruptRpmDb(
            f"header blob is {size} bytes but its {il} entries and {dl} bytes of data "
            f"need {start + dl}"
        )
    entries = list(_ENTRY.iter_unpack(blob[_HEAD.size : start]))
    data = blob[start:]
    first, region_end = 0, 0
    if entries[0][0] in _REGION_TAGS:
        region_end = _region(entries[0], data, il)
        first = 1
    index: _Index = {}
    previous_end = 0
    last = len(entries) - 1
    for number in range(first, last + 1):
        tag, kind, offset, count = entries[number]
        if tag < _FIRST_DATA_TAG:
            raise _bad(number, tag, "uses a reserved tag")
        if offset < previous_end:
            raise _bad(
                number,
                tag,
                f"data at offset {offset} overlaps the previous entry's, "
                f"which ends at {previous_end}",
            )
        if offset >= dl:
            raise _bad(number, tag, f"offset {offset} is outside the {dl}-byte data")
        if count < 1:
            raise _bad(number, tag, "has a count of 0")
        # Region entries must stop before the region trailer; dribbles run to the end.
        limit = region_end - _REGION_SIZE if offset < region_end else dl
        if kind in _FIXED_SIZE:
            width = _FIXED_SIZE[kind]
            if offset % width:
                raise _bad(number, tag, f"offset {offset} is misaligned")
            end = offset + width * count
            if end > limit:
                raise _bad(number, tag, f"{count} values run past the data")
        elif kind == _STRING:
            if count != 1:
                raise _bad(number, tag, f"a string with a count of {count}")
            nul = data.find(b"\0", offset, limit)
            if nul < 0:
                raise _bad(number, tag, "string runs past the data")
            end = nul + 1
        elif kind in _STRINGS:
            # Data is in offset order, so the strings must end where the next entry begins.
            bound = limit
            if number < last:
                following = entries[number + 1][2]
                if offset <= following < limit:
                    bound = following
            if data.count(b"\0", offset, bound) < count:
                raise _bad(number, tag, f"{count} strings run past their space")
            end = offset + count  # a lower bound; the strings lie before `bound`
            index[tag] = (kind, offset, count, bound)
            previous_end = end
            continue
        else:
            raise _bad(number, tag, f"has unknown type {kind}")
        index[tag] = (kind, offset, count, end)
        previous_end = end
    return index, data


def _bad(number: int, tag: int, detail: str) -> CorruptRpmDb:
    """The error for one index entry (built only on failure: the loop above is hot)."""
    return CorruptRpmDb(f"header entry {number} (tag {tag}): {detail}")


def _region(entry: tuple[int, int, int, int], data: bytes, il: int) -> int:
    """Check the region entry and its trailer; return where the region's data ends."""
    tag, kind, offset, count = entry
    if kind != _BIN or count != _REGION_SIZE:
        raise CorruptRpmDb(f"header region tag {tag} is malformed (type {kind}, count {count})")
    if offset < 0 or offset + _REGION_SIZE > len(data):
        raise CorruptRpmDb(
            f"header region trailer at offset {offset} is outside the {len(data)}-byte data"
        )
    trailer_tag, trailer_kind, trailer_offset, trailer_count = _ENTRY.unpack_from(data, offset)
    if tag == 62 and trailer_tag == 61:
        trailer_tag = 62  # some old packages wrote HEADERIMAGE in the signature trailer
    if trailer_tag != tag or trailer_kind != _BIN or trailer_count != _REGION_SIZE:
        raise CorruptRpmDb(f"header region trailer does not match its region tag {tag}")
    region_bytes = -trailer_offset
    if region_bytes <= 0 or region_bytes % _ENTRY.size or region_bytes // _ENTRY.size > il:
        raise CorruptRpmDb(
            f"header region claims {region_bytes / _ENTRY.size:g} entries of the {il} present"
        )
    return offset + _REGION_SIZE


def _entry(index: _Index, tag: int, kinds: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    found = index.get(tag)
    if found is not None and found[0] not in kinds:
        raise CorruptRpmDb(f"header tag {_TAG_NAMES[tag]} has unexpected type {found[0]}")
    return found


def _string(index: _Index, data: bytes, tag: int) -> str | None:
    found = _entry(index, tag, (_STRING, _I18NSTRING))
    if found is None:
        return None
    kind, offset, _count, end = found
    if kind == _I18NSTRING:  # the first string is the untranslated one
        end = data.find(b"\0", offset, end) + 1
    return data[offset : end - 1].decode("utf-8", "replace")


def _strings(index: _Index, data: bytes, tag: int) -> list[str]:
    """A string array; file names keep undecodable bytes as surrogates, as tar paths do."""
    found = _entry(index, tag, (_STRING_ARRAY,))
    if found is None:
        return []
    _kind, offset, count, bound = found
    return data[offset:bound].decode("utf-8", "surrogateescape").split("\0", count)[:count]


def _uint32s(index: _Index, data: bytes, tag: int) -> tuple[int, ...]:
    found = _entry(index, tag, (_INT32,))
    if found is None:
        return ()
    _kind, offset, count, _end = found
    return struct.unpack_from(f">{count}I", data, offset)


def _files(index: _Index, data: bytes) -> tuple[str, ...]:
    if BASENAMES not in index:
        return tuple(_strings(index, data, OLDFILENAMES))
    if DIRNAMES not in index or DIRINDEXES not in index:
        raise CorruptRpmDb("header has BASENAMES without DIRNAMES and DIRINDEXES")
    basenames = _strings(index, data, BASENAMES)
    dirnames = _strings(index, data, DIRNAMES)
    dirindexes = _uint32s(index, data, DIRINDEXES)
    if len(dirindexes) != len(basenames):
        raise CorruptRpmDb(
            f"header has {len(basenames)} BASENAMES but {len(dirindexes)} DIRINDEXES"
        )
    if dirindexes and max(dirindexes) >= len(dirnames):
        raise CorruptRpmDb(
            f"header DIRINDEXES refers to directory {max(dirindexes)} of {len(dirnames)}"
        )
    return tuple([dirnames[d] + b for d, b in zip(dirindexes, basenames, strict=True)])
