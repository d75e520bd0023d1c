"""The SQLite rpmdb (rpm >= 4.16: RHEL 9, Fedora 33+): `Packages(hnum, blob)`.

The database is opened from memory (`deserialize`), never written to disk. rpm leaves the
file in WAL mode, which an in-memory database cannot open; the copy handed to SQLite is
marked as a rollback-journal database instead (bytes 18-19 of the file header), which
changes nothing in the pages. The file comes from an image that may be hostile, so the
schema is checked to be a plain table and a progress handler bounds the work.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tenlayer.inventory.rpm.errors import CorruptRpmDb

if TYPE_CHECKING:
    import sqlite3

MAGIC = b"SQLite format 3\0"
_WAL = 2
_ROLLBACK = 1
_TIME_LIMIT = 30.0  # seconds; a sane rpmdb of any size is read in well under one
_PROGRESS_STEPS = 100_000


def read_blobs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (hnum, header blob) for each installed package, in hnum order."""
    if not data.startswith(MAGIC) or len(data) < 100:
        raise CorruptRpmDb("not an SQLite database")
    expected = _expected_size(data)
    if expected > len(data):
        raise CorruptRpmDb(f"SQLite database is truncated: {len(data)} of {expected} bytes")
    if data[18] == _WAL or data[19] == _WAL:
        data = data[:18] + bytes((_ROLLBACK, _ROLLBACK)) + data[20:]
    import sqlite3  # only when an image has an SQLite rpmdb

    connection = sqlite3.connect(":memory:")
    try:
        yield from _rows(connection, data)
    except sqlite3.Error as error:
        raise CorruptRpmDb(f"SQLite: {error}") from None
    except UnicodeDecodeError:  # SQLite's own message quoted bytes of a damaged schema
        raise CorruptRpmDb("SQLite: malformed database schema") from None
    finally:
        connection.close()


def _expected_size(data: bytes) -> int:
    """The size the file header records (0 when it records none it vouches for)."""
    page_size = int.from_bytes(data[16:18], "big")
    if page_size == 1:
        page_size = 65536
    pages = int.from_bytes(data[28:32], "big")
    if data[24:28] != data[92:96]:  # the page count is valid only for this change counter
        return 0
    return page_size * pages


def _rows(connection: sqlite3.Connection, data: bytes) -> Iterator[tuple[int, bytes]]:
    deadline = time.monotonic() + _TIME_LIMIT
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
    connection.text_factory = bytes  # names in a hostile schema need not be UTF-8
    connection.deserialize(data)
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    kinds = connection.execute(
        "SELECT type FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE"
    ).fetchall()
    if kinds != [(b"table",)]:
        raise CorruptRpmDb("SQLite database has no Packages table")
    rows = connection.execute(
        "SELECT hnum, typeof(blob) = 'blob', blob FROM Packages ORDER BY hnum"
    )
    for hnum, is_blob, blob in rows:
        if not isinstance(hnum, int) or not is_blob:
            raise CorruptRpmDb(f"Packages row {hnum!r} does not hold a header blob")
        yield hnum, blob
