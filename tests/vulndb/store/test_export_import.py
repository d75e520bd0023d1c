"""Export and import for air-gapped machines: a round trip, and bad files that change nothing."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.vulndb.osv import parse_record
from tenlayer.vulndb.store import (
    SCHEMA_VERSION,
    VulnDatabase,
    build_database,
    export_database,
    import_database,
)
from tests.vulndb.store.osvdata import record


def build(path: Path, *idents: str) -> Path:
    build_database([parse_record(record(i, name=i.lower())) for i in idents], path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def current(tmp_path: Path) -> Path:
    return build(tmp_path / "here" / "vulndb.sqlite", "CURRENT-1")


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    source = build(tmp_path / "there" / "vulndb.sqlite", "OTHER-1", "OTHER-2")
    export = tmp_path / "export" / "vulndb.sqlite.gz"
    info = export_database(source, export)
    assert info.advisories == 2
    return export


def test_round_trip(current: Path, exported: Path, tmp_path: Path) -> None:
    with gzip.open(exported) as stream:
        assert stream.read(16) == b"SQLite format 3\x00"  # self-describing: the SQLite file
    info = import_database(exported, current)
    assert info.advisories == 2
    with VulnDatabase(current) as db:
        assert [a.id for a, _ in db.affected("PyPI", "other-1")] == ["OTHER-1"]
        assert db.affected("PyPI", "current-1") == []
        assert db.info.built == info.built
    assert digest(current) == digest(tmp_path / "there" / "vulndb.sqlite")
    # into a place with no database yet, and from a plain (uncompressed) SQLite file
    fresh = tmp_path / "new" / "dir" / "vulndb.sqlite"
    assert import_database(tmp_path / "there" / "vulndb.sqlite", fresh).advisories == 2


def damaged_database(exported: Path) -> bytes:
    data = bytearray(gzip.decompress(exported.read_bytes()))
    for offset in range(4096 * 2, len(data), 61):
        data[offset] ^= 0xA5
    return gzip.compress(bytes(data))


def foreign_sqlite(tmp_path: Path) -> bytes:
    path = tmp_path / "foreign.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    return gzip.compress(path.read_bytes())


def other_schema(exported: Path, tmp_path: Path) -> bytes:
    path = tmp_path / "other.sqlite"
    path.write_bytes(gzip.decompress(exported.read_bytes()))
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return gzip.compress(path.read_bytes())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda e, t: e.read_bytes()[:-40], "damaged export"),
        (lambda e, t: e.read_bytes()[: len(e.read_bytes()) // 2], "damaged export"),
        (lambda e, t: b"not an export at all", "neither a gzip-compressed nor a plain SQLite"),
        (lambda e, t: gzip.compress(b"hello"), "neither a gzip-compressed nor a plain SQLite"),
        (lambda e, t: b"", "empty"),
        (lambda e, t: damaged_database(e), "not a usable tenlayer vulnerability database"),
        (lambda e, t: foreign_sqlite(t), "not a tenlayer vulnerability database"),
        (lambda e, t: other_schema(e, t), f"schema version {SCHEMA_VERSION + 1}"),
        (lambda e, t: gzip.decompress(e.read_bytes())[:-4096], "damaged"),
    ],
    ids=["truncated-gzip", "half", "garbage", "gzip-of-text", "empty", "damaged-sqlite",
         "foreign-sqlite", "other-schema", "truncated-sqlite"],
)  # fmt: skip
def test_bad_import_changes_nothing(
    make: object, message: str, current: Path, exported: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.gz"
    bad.write_bytes(make(exported, tmp_path))  # type: ignore[operator]
    before = digest(current)
    with pytest.raises(BadInput) as caught:
        import_database(bad, current)
    text = str(caught.value)
    assert text.startswith(f"{bad}: ") and message in text, text
    assert text.endswith("nothing was changed")
    assert "\n" not in text
    assert digest(current) == before
    assert sorted(p.name for p in current.parent.iterdir()) == [
        ".vulndb.sqlite.lock", "vulndb.sqlite",
    ]  # fmt: skip


def test_import_size_is_capped(current: Path, exported: Path) -> None:
    before = digest(current)
    with pytest.raises(BadInput, match=r"expands beyond 1000 bytes; nothing was changed"):
        import_database(exported, current, max_bytes=1000)
    assert digest(current) == before
