"""Read every package header out of an rpm database, whichever its format."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from tenlayer.image.walker import AnalysisFailed
from tenlayer.inventory.rpm import bdb, ndb, sqlite
from tenlayer.inventory.rpm.errors import CorruptRpmDb
from tenlayer.inventory.rpm.header import RpmHeader, parse_header

_Reader = Callable[[bytes], Iterator[tuple[int, bytes]]]


def read_headers(data: bytes) -> list[RpmHeader]:
    """Every package header in an rpm database, whichever its format.

    Raises `AnalysisFailed` with one line naming the format and what is wrong.
    """
    kind, reader = _format(data)
    headers: list[RpmHeader] = []
    try:
        for record, blob in reader(data):
            try:
                headers.append(parse_header(blob))
            except CorruptRpmDb as error:
                raise CorruptRpmDb(f"record {record}: {error}") from None
    except (CorruptRpmDb, struct.error, IndexError) as error:
        # struct.error and IndexError can only come from reading past a bound a check
        # missed: the data is corrupt all the same, and the user gets one line.
        raise AnalysisFailed(f"{kind} rpm database is corrupt: {error}") from None
    return headers


def _format(data: bytes) -> tuple[str, _Reader]:
    if data.startswith(sqlite.MAGIC):
        return "SQLite", sqlite.read_blobs
    if data.startswith(ndb.MAGIC):
        return "NDB", ndb.read_blobs
    if bdb.is_bdb(data):
        return "Berkeley DB", bdb.read_blobs
    raise AnalysisFailed("not an rpm database (neither SQLite, NDB nor Berkeley DB)")
