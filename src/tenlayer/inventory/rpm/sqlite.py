"""The SQLite rpmdb (rpm >= 4.16: RHEL 9, Fedora 33+): `Packages(hnum, blob)`.

The database is opened from memory (`deserialize`), never written to disk. rpm leaves the
file in WAL mode, which an in-memory database cannot open; the copy handed to SQLite is
marked as a rollback-journal database instead (bytes 18-19 of the file header), which
changes nothing in the pages. The file comes from an image that may be hostile, so the
schema is checked to be a plain table and a progress handler bounds the work.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

from tenlayer.inventory.rpm.errors import CorruptRpmDb

MAGIC = b"SQLite format 3\0"
_WAL = 2
_ROLLBACK = 1
_TIME_LIMIT = 30.0  # seconds; a sane rpmdb of any size is read in well under one
_PROGRESS_STEPS = 100_000


def read_blobs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (hnum, header blob) for each installed package, in hnum order."""
    if not data.startswith(MAGIC) or len(data) < 100:
        raise CorruptRpmDb("not an SQLite database")
    if data[18] == _WAL or data[19] == _WAL:
        data = data[:18] + bytes((_ROLLBACK, _ROLLBACK)) + data[20:]
    connection = sqlite3.connect(":memory:")
    try:
        yield from _rows(connection, data)
    except sqlite3.Error as error:
        raise CorruptRpmDb(f"SQLite: {error}") from None
    finally:
        connection.close()


def _rows(connection: sqlite3.Connection, data: bytes) -> Iterator[tuple[int, bytes]]:
    deadline = time.monotonic() + _TIME_LIMIT
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
    connection.deserialize(data)
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    kinds = connection.execute(
        "SELECT type FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE"
    ).fetchall()
    if kinds != [("table",)]:
        raise CorruptRpmDb("SQLite database has no Packages table")
    cursor = connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")
    for hnum, blob in cursor:
        if not isinstance(hnum, int) or not isinstance(blob, bytes):
            raise CorruptRpmDb(f"Packages row {hnum!r} does not hold a header blob")
        yield hnum, blob
