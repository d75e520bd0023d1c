"""Damaged and hostile databases: one clear line (`AnalysisFailed`), never a traceback or a hang.

Damage is done to real databases built by rpm and libdb (see conftest.py).
"""

from __future__ import annotations

import random
import sqlite3
import struct
import subprocess
import time
from pathlib import Path

import pytest

from tenlayer.image.walker import AnalysisFailed
from tenlayer.inventory.rpm import RpmAnalyzer, read_headers
from tests.inventory.rpm import rpmtools
from tests.inventory.rpm.conftest import RpmDbs

_BDB_OVERFLOW = 7


def fails(data: bytes, words: str) -> str:
    with pytest.raises(AnalysisFailed, match=words) as caught:
        read_headers(data)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def overflow_pages(data: bytes, order: str, page_size: int) -> list[int]:
    """Overflow pages that continue to another page, by page number."""
    pages = []
    for page in range(1, len(data) // page_size):
        base = page * page_size
        (following,) = struct.unpack_from(order + "I", data, base + 16)
        if data[base + 25] == _BDB_OVERFLOW and following:
            pages.append(page)
    return pages


def set_next(data: bytes, order: str, page_size: int, page: int, following: int) -> bytes:
    bent = bytearray(data)
    struct.pack_into(order + "I", bent, page * page_size + 16, following)
    return bytes(bent)


# --- SQLite ----------------------------------------------------------------------------


def test_truncated_sqlite(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.sqlite.read_bytes()
    message = fails(data[: len(data) // 2], "SQLite rpm database is corrupt")
    assert f"truncated: {len(data) // 2} of {len(data)} bytes" in message
    fails(data[:60], "not an SQLite database")


def test_sqlite_with_a_damaged_packages_table(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.sqlite.read_bytes())
    connection = sqlite3.connect(f"file:{rpmdbs.sqlite}?mode=ro&immutable=1", uri=True)
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'Packages'")
    (page,) = root.fetchone()
    connection.close()
    page_size = int.from_bytes(data[16:18], "big")
    start = (page - 1) * page_size
    data[start : start + page_size] = b"\xa5" * page_size
    fails(bytes(data), "SQLite rpm database is corrupt: SQLite: .*malformed")


def test_sqlite_without_packages_table() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE Other (hnum INTEGER, blob BLOB)")
    fails(connection.serialize(), "no Packages table")


def test_sqlite_packages_view_is_refused() -> None:
    """A view could run any query the image's author wrote; only a table is read."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE T (hnum INTEGER, blob BLOB)")
    connection.execute(
        "CREATE VIEW Packages AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
        "SELECT n + 1 FROM r) SELECT n AS hnum, zeroblob(8) AS blob FROM r"
    )
    fails(connection.serialize(), "no Packages table")


def test_sqlite_row_that_is_not_a_blob() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
    connection.execute("INSERT INTO Packages VALUES (1, 'text, not a header')")
    fails(connection.serialize(), "row 1 does not hold a header blob")


def test_sqlite_with_a_bad_header_names_the_record(rpmdbs: RpmDbs) -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
    blobs = rpmtools.export_blobs(rpmdbs.sqlite)
    blobs[2] = (blobs[2][0], blobs[2][1][:-3])
    connection.executemany("INSERT INTO Packages VALUES (?, ?)", blobs)
    fails(connection.serialize(), rf"record {blobs[2][0]}: header blob is \d+ bytes")


# --- Berkeley DB -----------------------------------------------------------------------


@pytest.mark.parametrize(("variant", "order"), [("bdb-512", "<"), ("bdb-be", ">")])
def test_bdb_overflow_chain_cycle(rpmdbs: RpmDbs, variant: str, order: str) -> None:
    data = rpmdbs.bdb(variant).read_bytes()
    page_size = struct.unpack_from(order + "I", data, 20)[0]
    pages = overflow_pages(data, order, page_size)
    assert pages, "the fixture should span overflow pages"
    looped = set_next(data, order, page_size, pages[0], pages[0])
    started = time.monotonic()
    fails(looped, f"overflow chain comes back to page {pages[0]}")
    assert time.monotonic() - started < 1


def test_bdb_overflow_chain_past_the_end(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.bdb("bdb-512").read_bytes()
    page = overflow_pages(data, "<", 512)[0]
    fails(set_next(data, "<", 512, page, 0xFFFFFF00), "points past the end")


def test_bdb_overflow_chain_into_a_hash_page(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.bdb("bdb-512").read_bytes()
    page = overflow_pages(data, "<", 512)[0]
    hash_page = next(p for p in range(1, len(data) // 512) if data[p * 512 + 25] == 13)
    fails(set_next(data, "<", 512, page, hash_page), "in an overflow chain is not one")


def test_bdb_overflow_chain_cut_short(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.bdb("bdb-512").read_bytes()
    page = overflow_pages(data, "<", 512)[0]
    fails(set_next(data, "<", 512, page, 0), "bytes short")


def test_truncated_bdb(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.bdb("bdb-le").read_bytes()
    fails(data[:-4096], "Berkeley DB is truncated")
    fails(data[:300], "not a Berkeley DB file")


def test_bdb_hash_page_with_items_out_of_place(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.bdb("bdb-le").read_bytes())
    page = next(p for p in range(1, len(data) // 4096) if data[p * 4096 + 25] == 13)
    struct.pack_into("<H", data, page * 4096 + 26, 5000)  # first item offset past the page
    fails(bytes(data), f"page {page}: item 0 is out of place")


def test_bdb_hash_page_with_odd_entry_count(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.bdb("bdb-le").read_bytes())
    page = next(p for p in range(1, len(data) // 4096) if data[p * 4096 + 25] == 13)
    struct.pack_into("<H", data, page * 4096 + 20, 3)
    fails(bytes(data), "bad entry count 3")


def test_bdb_with_a_bad_header_names_the_record(rpmdbs: RpmDbs, tmp_path: Path) -> None:
    blobs = rpmtools.export_blobs(rpmdbs.sqlite)
    number, blob = blobs[0]
    header = bytearray(blob)
    struct.pack_into(">i", header, 8 + 16 * 3 + 8, 0x7FFFFFF0)  # an offset far outside
    blobs[0] = (number, bytes(header))
    rpmtools.write_bdb(blobs, tmp_path / "Packages")
    message = fails((tmp_path / "Packages").read_bytes(), "Berkeley DB rpm database is corrupt")
    assert f"record {number}: header entry 3" in message
    assert "outside the" in message or "overlaps" in message


def test_bdb_btree_is_not_an_rpmdb(tmp_path: Path) -> None:
    path = tmp_path / "btree"
    subprocess.run(
        ["db5.3_load", "-t", "btree", str(path)],
        input="VERSION=3\nformat=print\ntype=btree\nHEADER=END\n a\n b\nDATA=END\n",
        text=True,
        check=True,
    )
    fails(path.read_bytes(), "btree file, not the hash database")


def test_encrypted_bdb_is_refused(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.bdb("bdb-le").read_bytes())
    data[24] = 1
    fails(bytes(data), "encrypted")


# --- NDB -------------------------------------------------------------------------------


def test_ndb_checksum(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.ndb.read_bytes())
    data[4096 + 100] ^= 0x01  # inside the first blob
    fails(bytes(data), "NDB rpm database is corrupt: NDB blob of package 1 fails its checksum")


def test_ndb_truncated(rpmdbs: RpmDbs) -> None:
    data = rpmdbs.ndb.read_bytes()
    fails(data[:-16], "slot .* points past the end")
    fails(data[:-3], "not a multiple of 16")
    fails(data[:2048], "NDB is truncated")


def test_ndb_bad_slot(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.ndb.read_bytes())
    data[32:36] = b"Slug"
    fails(bytes(data), "slot 2 has a bad magic")
    data[32:36] = b"Slot"
    struct.pack_into("<I", data, 40, 3)  # the first blob inside the slot pages
    fails(bytes(data), "slot 2 is malformed")


def test_ndb_slot_pointing_at_another_blob(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.ndb.read_bytes())
    second = data[48:64]
    data[32 + 8 : 32 + 16] = second[8:16]  # slot of package 1 -> blob of package 2
    fails(bytes(data), "NDB blob of package 1 has a bad head")


def test_ndb_version(rpmdbs: RpmDbs) -> None:
    data = bytearray(rpmdbs.ndb.read_bytes())
    data[4] = 1
    fails(bytes(data), "NDB version 1 is not supported")


# --- anything --------------------------------------------------------------------------


def test_random_bytes() -> None:
    noise = random.Random(7).randbytes(65536)
    fails(noise, "not an rpm database")
    fails(b"SQLite format 3\0" + noise, "SQLite rpm database is corrupt")
    fails(b"RpmP" + noise, "NDB rpm database is corrupt")
    fails(noise[:12] + bytes.fromhex("61150600") + noise[16:], "Berkeley DB rpm database")


def test_the_analyzer_raises_for_the_walker(rpmdbs: RpmDbs) -> None:
    class Content:
        size = 3

        def read(self, n: int = -1) -> bytes:
            return b"\x00\x01\x02"

    with pytest.raises(AnalysisFailed, match="not an rpm database"):
        RpmAnalyzer().analyze("var/lib/rpm/Packages", Content())


@pytest.mark.parametrize("kind", ["sqlite", "ndb", "bdb-512", "bdb-be", "bdb-chksum"])
def test_fuzzed_databases_parse_or_fail_cleanly(rpmdbs: RpmDbs, kind: str) -> None:
    """Bytes flipped, runs zeroed, tails cut: the answer is packages or one clear line."""
    path = {"sqlite": rpmdbs.sqlite, "ndb": rpmdbs.ndb}.get(kind) or rpmdbs.bdb(kind)
    original = path.read_bytes()
    chance = random.Random(f"tenlayer-{kind}")
    outcomes = {"parsed": 0, "refused": 0}
    started = time.monotonic()
    for _ in range(150):
        data = bytearray(original)
        for _ in range(chance.randint(1, 8)):
            at = chance.randrange(len(data))
            if chance.random() < 0.7:
                data[at] = chance.randrange(256)
            else:
                data[at : at + chance.randint(1, 64)] = bytes(chance.randint(1, 64))
        if chance.random() < 0.1:
            del data[chance.randrange(len(data)) :]
        try:
            read_headers(bytes(data))
            outcomes["parsed"] += 1
        except AnalysisFailed as error:
            assert "\n" not in str(error)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0
    assert time.monotonic() - started < 20
