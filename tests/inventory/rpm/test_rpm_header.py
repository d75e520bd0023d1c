"""The header blob parser: real headers from rpm, and each way a hostile one can be bent."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest

from tenlayer.inventory.rpm.errors import CorruptRpmDb
from tenlayer.inventory.rpm.header import (
    BASENAMES,
    DIRINDEXES,
    EPOCH,
    NAME,
    VERSION,
    parse_header,
)
from tenlayer.inventory.rpm.package import evr, split_source_rpm
from tests.inventory.rpm import rpmtools
from tests.inventory.rpm.conftest import RpmDbs

REGION = 63


@dataclass
class Blob:
    """A header blob taken apart, to be bent and put back together."""

    entries: list[list[int]]  # [tag, type, offset, count]
    data: bytearray

    @classmethod
    def parse(cls, blob: bytes) -> Blob:
        (il,) = struct.unpack_from(">I", blob)
        entries = [list(e) for e in struct.iter_unpack(">iIiI", blob[8 : 8 + 16 * il])]
        return cls(entries, bytearray(blob[8 + 16 * il :]))

    def entry(self, tag: int) -> list[int]:
        return next(e for e in self.entries if e[0] == tag)

    def pack(self) -> bytes:
        head = struct.pack(">II", len(self.entries), len(self.data))
        return head + b"".join(struct.pack(">iIiI", *e) for e in self.entries) + self.data


@pytest.fixture(scope="module")
def blobs(rpmdbs: RpmDbs) -> dict[str, bytes]:
    found = {}
    for _, blob in rpmtools.export_blobs(rpmdbs.sqlite):
        found[parse_header(blob).name] = blob
    return found


def bent(blob: bytes) -> Blob:
    return Blob.parse(blob)


def rejects(blob: bytes, words: str) -> None:
    with pytest.raises(CorruptRpmDb, match=words) as caught:
        parse_header(blob)
    assert "\n" not in str(caught.value)


def test_real_headers_have_a_region_and_dribbles(blobs: dict[str, bytes]) -> None:
    alpha = bent(blobs["alpha"])
    region = alpha.entries[0]
    assert region[0] == REGION
    trailer = struct.unpack_from(">iIiI", alpha.data, region[2])
    region_entries = -trailer[2] // 16
    assert 1 < region_entries < len(alpha.entries)  # install time added dribbles
    header = parse_header(blobs["alpha"])
    assert (header.name, header.epoch, header.version, header.release) == (
        "alpha",
        2,
        "1.2",
        "3.el9",
    )
    assert "/usr/share/alpha/with space.txt" in header.files


def test_a_dribble_overrides_a_region_entry(blobs: dict[str, bytes]) -> None:
    """rpm lets install-time entries replace the signed ones; the last entry wins."""
    blob = bent(blobs["zero"])
    new_value = b"9.9.9\0"
    blob.entries.append([VERSION, 6, len(blob.data), 1])
    blob.data += new_value
    assert parse_header(blob.pack()).version == "9.9.9"
    assert parse_header(blobs["zero"]).version == "0.9"


def test_a_header_without_region_is_read(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["meta"])
    region_at = blob.entries[0][2]
    del blob.entries[0]
    blob.data[region_at : region_at + 16] = bytes(16)  # the old trailer becomes padding
    assert parse_header(blob.pack()).name == "meta"


def test_offset_out_of_range(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entries[-1][2] = len(blob.data) + 1000
    rejects(blob.pack(), "outside the")


def test_negative_offset(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entry(NAME)[2] = -8
    rejects(blob.pack(), "overlaps")


def test_overlapping_entries(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entries[3][2] = blob.entries[2][2]
    rejects(blob.pack(), "overlaps")


def test_count_past_the_data(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["big"])
    blob.entry(DIRINDEXES)[3] = 0x0FFFFFFF
    rejects(blob.pack(), "run past")


def test_string_array_count_past_its_space(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["big"])
    blob.entry(BASENAMES)[3] += 50
    rejects(blob.pack(), "strings run past")


def test_zero_count(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entry(NAME)[3] = 0
    rejects(blob.pack(), "count of 0")


def test_misaligned_integer(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entry(EPOCH)[2] += 1
    rejects(blob.pack(), "misaligned|overlaps")


def test_unknown_type(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entry(NAME)[1] = 42
    rejects(blob.pack(), "unknown type 42")


def test_wrong_type_for_a_tag(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entry(NAME)[1] = 7  # BIN
    rejects(blob.pack(), "NAME has unexpected type 7")


def test_unterminated_string(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    offset = blob.entry(NAME)[2]
    blob.data[blob.data.index(b"\0", offset)] = ord("x")  # NAME now runs into the next value
    rejects(blob.pack(), "overlaps")


def test_unterminated_last_string(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entries.append([5000, 6, len(blob.data), 1])
    blob.data += b"no terminator"
    rejects(blob.pack(), "string runs past the data")


def test_reserved_tag_after_the_region(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entries[1][0] = 62
    rejects(blob.pack(), "reserved tag")


def test_region_trailer_that_does_not_match(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    at = blob.entries[0][2]
    blob.data[at : at + 4] = struct.pack(">i", 61)
    rejects(blob.pack(), "trailer does not match")


def test_region_claiming_more_entries_than_there_are(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    at = blob.entries[0][2]
    blob.data[at + 8 : at + 12] = struct.pack(">i", -16 * (len(blob.entries) + 5))
    rejects(blob.pack(), "region claims")


def test_region_trailer_outside_the_data(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entries[0][2] = len(blob.data) - 8
    rejects(blob.pack(), "trailer at offset")


def test_data_over_the_region_trailer(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    trailer_at = blob.entries[0][2]
    trailer = struct.unpack_from(">iIiI", blob.data, trailer_at)
    last_in_region = blob.entries[-trailer[2] // 16 - 1]
    last_in_region[1] = 7  # BIN, reaching 4 bytes into the trailer
    last_in_region[3] = trailer_at - last_in_region[2] + 4
    rejects(blob.pack(), "run past the data")


def test_dirindex_beyond_the_dirnames(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["big"])
    _, _, offset, count = blob.entry(DIRINDEXES)
    struct.pack_into(">I", blob.data, offset + 4 * (count - 1), 999)
    rejects(blob.pack(), "DIRINDEXES refers to directory 999")


@pytest.mark.parametrize(
    ("blob", "words"),
    [
        (b"", "too short"),
        (b"\0\0\0\0\0\0\0\0", "claims 0 index entries"),
        (struct.pack(">II", 0x10000, 0), "claims 65536 index entries"),
        (struct.pack(">II", 1, 0x10000000), "bytes of data"),
        (struct.pack(">II", 2, 10) + bytes(20), "need 50"),
    ],
)
def test_malformed_sizes(blob: bytes, words: str) -> None:
    rejects(blob, words)


def test_truncated_and_padded_blobs(blobs: dict[str, bytes]) -> None:
    rejects(blobs["alpha"][:-1], "need")
    rejects(blobs["alpha"] + b"\0", "need")


def test_missing_name(blobs: dict[str, bytes]) -> None:
    blob = bent(blobs["alpha"])
    blob.entry(NAME)[0] = 5000  # an unknown tag now holds the name
    rejects(blob.pack(), "no NAME")


@pytest.mark.parametrize(
    ("filename", "parts"),
    [
        ("bash-5.1.8-6.el9.src.rpm", ("bash", "5.1.8", "6.el9")),
        ("python3-pip-21.3.1-1.el9.src.rpm", ("python3-pip", "21.3.1", "1.el9")),
        ("a-b-c-1-2.nosrc.rpm", ("a-b-c", "1", "2")),
        ("kernel-5.14.0-427.13.1.el9_4.src.rpm", ("kernel", "5.14.0", "427.13.1.el9_4")),
        ("elasticsearch-8.17.0-1-src.rpm", None),
        ("noversion.src.rpm", None),
        ("-1-2.src.rpm", None),
        ("name--2.src.rpm", None),
        ("name-1-.src.rpm", None),
        ("(none)", None),
    ],
)
def test_split_source_rpm(filename: str, parts: tuple[str, str, str] | None) -> None:
    assert split_source_rpm(filename) == parts


def test_evr() -> None:
    assert evr(None, "1.0", "1") == "1.0-1"
    assert evr(0, "1.0", "1") == "0:1.0-1"
    assert evr(3, "1.0", "1.el9") == "3:1.0-1.el9"
