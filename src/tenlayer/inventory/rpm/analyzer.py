"""RPM packages: the rpm database in any of its three formats, read without rpm.

| format        | file                       | used by                          |
|---------------|----------------------------|----------------------------------|
| SQLite        | rpmdb.sqlite               | rpm >= 4.16: RHEL 9, Fedora 33+  |
| NDB           | Packages.db                | SUSE since 2021                  |
| Berkeley DB   | Packages                   | RHEL 7/8, UBI 8, CentOS, AL2     |

each in `var/lib/rpm/` or `usr/lib/sysimage/rpm/`. The format is told by the file's
magic, not its name. Each record is one installed package's header blob.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from tenlayer.image.walker import AnalysisFailed, FileContent
from tenlayer.inventory.result import AnalysisResult
from tenlayer.inventory.rpm import bdb, ndb, sqlite
from tenlayer.inventory.rpm.errors import CorruptRpmDb
from tenlayer.inventory.rpm.header import RpmHeader, parse_header
from tenlayer.inventory.rpm.package import GPG_PUBKEY, owned_files, to_package

DB_DIRS = ("var/lib/rpm/", "usr/lib/sysimage/rpm/")
DB_NAMES = ("Packages", "Packages.db", "rpmdb.sqlite")
DB_PATHS = frozenset(d + n for d in DB_DIRS for n in DB_NAMES)

_Reader = Callable[[bytes], Iterator[tuple[int, bytes]]]


class RpmAnalyzer:
    """Installed RPM packages and the files they own, from the rpm database."""

    name = "rpm"
    max_file_size = 1 << 30

    def __init__(self, *, skip_gpg_pubkeys: bool = False) -> None:
        # Syft and Trivy both list the `gpg-pubkey` entries `rpm --import` creates, so
        # they are kept by default; they own no files and match no vulnerability.
        self.skip_gpg_pubkeys = skip_gpg_pubkeys

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path in DB_PATHS

    def analyze(self, path: str, content: FileContent) -> AnalysisResult | None:
        data = content.read()
        if not data:
            return None  # an empty file is an empty database
        headers = read_headers(data)
        if self.skip_gpg_pubkeys:
            headers = [h for h in headers if h.name != GPG_PUBKEY]
        return AnalysisResult(
            packages=tuple(to_package(h, path) for h in headers),
            owned_files=owned_files(headers),
        )


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
