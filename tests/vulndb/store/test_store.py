"""The SQLite store: what the matcher gets back, metadata, and refusing bad files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tenlayer.errors import BadInput, EnvironmentProblem
from tenlayer.vulndb.osv import parse_record
from tenlayer.vulndb.records import Advisory, FixStatus, SeverityScore
from tenlayer.vulndb.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    VulnDatabase,
    build_database,
    default_path,
    open_database,
)
from tests.vulndb.store.osvdata import record


def advisory(ident: str, **kwargs: object) -> Advisory:
    return parse_record(record(ident, **kwargs), f"{ident}.json")  # type: ignore[arg-type]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    ubuntu = record("USN-1-1", ecosystem="Ubuntu:22.04:LTS", name="OpenSSL")
    ubuntu["affected"].append(
        {"package": {"ecosystem": "Ubuntu:Pro:22.04:LTS", "name": "openssl"}, "versions": ["1"]}
    )
    advisories = [
        advisory("GHSA-1", name="PyYAML", fixed="5.4", database_specific={"severity": "HIGH"}),
        advisory("PYSEC-1", name="pyyaml", fixed="5.4.1", aliases=["GHSA-1", "CVE-2020-1747"]),
        advisory("PYSEC-2", name="Py_YAML", withdrawn="2024-03-01T00:00:00Z"),
        advisory("GO-1", ecosystem="Go", name="github.com/Foo/Bar"),
        parse_record(ubuntu),
    ]
    path = tmp_path / "db" / "vulndb.sqlite"
    info = build_database(advisories, path, [{"location": "here", "kind": "dir", "records": 5,
                                              "malformed": 2}])  # fmt: skip
    assert info.advisories == 5
    return path


def test_affected_by_normalised_name(database: Path) -> None:
    with VulnDatabase(database) as db:
        found = db.affected("PyPI", "PyYAML")
        assert [a.id for a, _ in found] == ["GHSA-1", "PYSEC-1"]  # not the withdrawn PYSEC-2
        assert [a.id for a, _ in db.affected("PyPI", "pyYAML")] == ["GHSA-1", "PYSEC-1"]
        first, entry = found[0]
        assert first.affected == ()  # only the entry beside it
        assert first.severity == (SeverityScore("rating", "HIGH", "GHSA"),)
        assert (entry.ecosystem, entry.name, entry.ranges[0].events[1].version) == (
            "PyPI", "PyYAML", "5.4",
        )
        assert found[1][0].aliases == ("GHSA-1", "CVE-2020-1747")
        assert db.affected("PyPI", "requests") == []
        assert db.affected("npm", "pyyaml") == []  # an ecosystem the database lacks
        assert db.affected("Go", "github.com/foo/bar") == []  # Go paths are case-sensitive
        assert len(db.affected("Go", "github.com/Foo/Bar")) == 1


def test_releases_meet_under_their_canonical_name(database: Path) -> None:
    with VulnDatabase(database) as db:
        assert db.ecosystems() == frozenset({"PyPI", "Go", "Ubuntu:22.04", "Ubuntu:Pro:22.04"})
        (pair,) = db.affected("Ubuntu:22.04", "openssl")
        assert pair[1].ecosystem == "Ubuntu:22.04:LTS"  # as the record wrote it
        assert len(db.affected("Ubuntu:22.04:LTS", "OpenSSL")) == 1
        (pro,) = db.affected("Ubuntu:Pro:22.04", "openssl")
        assert pro[1].versions == ("1",)


def test_affected_many_equals_affected(database: Path) -> None:
    names = ["PyYAML", "pyyaml", "requests", "Py-YAML"]
    with VulnDatabase(database) as db:
        many = db.affected_many("PyPI", names)
        assert list(many) == names
        for name in names:
            assert many[name] == db.affected("PyPI", name)
        assert db.affected_many("Debian:12", ["bash"]) == {"bash": []}
        big = db.affected_many("PyPI", [f"p{i}" for i in range(2000)] + ["pyyaml"])
        assert len(big["pyyaml"]) == 2


def test_withdrawn_and_aliases_kept(database: Path) -> None:
    with VulnDatabase(database) as db:
        withdrawn = db.advisory("PYSEC-2")
        assert withdrawn is not None and withdrawn.withdrawn == "2024-03-01T00:00:00Z"
        assert withdrawn.affected[0].name == "Py_YAML"
        assert db.ids_for_alias("GHSA-1") == ["PYSEC-1"]
        assert db.ids_for_alias("CVE-2023-32681") == ["GHSA-1", "GO-1", "PYSEC-2", "USN-1-1"]
        assert db.advisory("NOPE") is None


def test_metadata(database: Path) -> None:
    with VulnDatabase(database) as db:
        info = db.info
    assert info.schema_version == SCHEMA_VERSION
    assert info.tenlayer_version == "0.1.0"
    assert (info.advisories, info.withdrawn, info.malformed, info.duplicates) == (5, 1, 2, 0)
    assert info.ecosystems == {"Go": 1, "PyPI": 2, "Ubuntu:22.04": 1, "Ubuntu:Pro:22.04": 1}
    assert info.by_base() == {"Go": 1, "PyPI": 2, "Ubuntu": 1}  # one USN, two releases
    assert info.sources == ({"location": "here", "kind": "dir", "records": 5, "malformed": 2},)
    assert abs(info.age()) < timedelta(minutes=1)
    assert info.staleness(timedelta(days=7)) is None
    later = info.built + timedelta(days=9, hours=1)
    assert info.staleness(timedelta(days=7), now=later) == (
        f"vulnerability database {database} is 9 days old (built {info.built:%Y-%m-%d %H:%M} "
        "UTC, limit 7 days); run `tenlayer db update`"
    )


def test_latest_modified_copy_wins(tmp_path: Path) -> None:
    path = tmp_path / "vulndb.sqlite"
    old = advisory("GHSA-2", name="old-name", modified="2024-01-01T00:00:00Z")
    new = advisory("GHSA-2", name="new-name", modified="2024-01-01T01:00:00+00:30")
    stale = advisory("GHSA-2", name="stale-name", modified="2023-01-01T00:00:00Z")
    info = build_database([old, new, stale, advisory("GHSA-3")], path)
    assert (info.advisories, info.duplicates) == (2, 2)
    with VulnDatabase(path) as db:
        assert db.affected("PyPI", "old-name") == []
        assert [a.id for a, _ in db.affected("PyPI", "new-name")] == ["GHSA-2"]
        assert db.affected("PyPI", "stale-name") == []
        assert db.ids_for_alias("CVE-2023-32681") == ["GHSA-2", "GHSA-3"]


def test_state_and_symbols_round_trip(tmp_path: Path) -> None:
    from dataclasses import replace

    base = advisory("DSA-1", ecosystem="Debian:12", name="glibc")
    entry = replace(base.affected[0], state=FixStatus.WONT_FIX, symbols=("a.B",))
    path = tmp_path / "vulndb.sqlite"
    build_database([replace(base, affected=(entry,), extra={"dsa": "1"})], path)
    with VulnDatabase(path) as db:
        ((found, got),) = db.affected("Debian:12", "glibc")
        assert got == entry
        assert found.extra == {"dsa": "1"}
        stored = db.advisory("DSA-1")
        assert stored is not None and stored == replace(base, affected=(entry,))


def test_empty_sources_change_nothing(database: Path) -> None:
    before = database.read_bytes()
    with pytest.raises(BadInput, match="no readable advisory; the database was not changed"):
        build_database([], database)
    assert database.read_bytes() == before
    assert sorted(p.name for p in database.parent.iterdir()) == [
        ".vulndb.sqlite.lock", "vulndb.sqlite",
    ]  # fmt: skip


def test_failed_build_leaves_previous_database(database: Path) -> None:
    before = database.read_bytes()

    def failing() -> list[Advisory]:
        raise EnvironmentProblem("cannot download x")

    def advisories():  # type: ignore[no-untyped-def]
        yield advisory("NEW-1")
        failing()

    with pytest.raises(EnvironmentProblem):
        build_database(advisories(), database)
    assert database.read_bytes() == before
    assert not list(database.parent.glob("*.tmp"))


def test_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    with pytest.raises(EnvironmentProblem) as caught:
        VulnDatabase(missing)
    assert str(caught.value) == (
        f"no vulnerability database at {missing}; run `tenlayer db update` "
        "(or `tenlayer db import FILE`)"
    )
    assert caught.value.exit_code == 3


def test_corrupt_and_foreign_files(tmp_path: Path, database: Path) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"\x00" * 4096)
    with pytest.raises(EnvironmentProblem, match=r"garbage.sqlite is not a tenlayer .*\(not SQL"):
        VulnDatabase(garbage)

    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(EnvironmentProblem, match=r"an SQLite file but not a tenlayer"):
        VulnDatabase(foreign)

    older = tmp_path / "older.sqlite"
    older.write_bytes(database.read_bytes())
    with sqlite3.connect(older) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(EnvironmentProblem, match=rf"schema version {SCHEMA_VERSION + 1}, this"):
        VulnDatabase(older)

    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(database.read_bytes()[:-4096])
    with pytest.raises(EnvironmentProblem, match=r"truncated.sqlite is damaged"):
        VulnDatabase(truncated)

    damaged = tmp_path / "damaged.sqlite"
    data = bytearray(database.read_bytes())
    for offset in range(4096 * 2, len(data), 97):
        data[offset] ^= 0x5A
    damaged.write_bytes(bytes(data))
    with pytest.raises(EnvironmentProblem) as caught, VulnDatabase(damaged) as db:
        db.verify()
        db.affected("PyPI", "pyyaml")
    message = str(caught.value)
    assert "damaged" in message and message.endswith(
        "run `tenlayer db update` (or `tenlayer db import FILE`) to rebuild it"
    )
    assert "\n" not in message

    directory = tmp_path / "dir.sqlite"
    directory.mkdir()
    with pytest.raises(EnvironmentProblem, match="is a directory"):
        VulnDatabase(directory)


def test_application_id_marks_the_file(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TENLAYER_CACHE_DIR", str(tmp_path / "c"))
    assert default_path() == tmp_path / "c" / "vulndb.sqlite"
    monkeypatch.delenv("TENLAYER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_path() == tmp_path / "x" / "tenlayer" / "vulndb.sqlite"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert default_path() == tmp_path / "h" / ".cache" / "tenlayer" / "vulndb.sqlite"
    with pytest.raises(EnvironmentProblem, match="no vulnerability database at"):
        open_database()


def test_built_time_is_utc(database: Path) -> None:
    with VulnDatabase(database) as db:
        assert db.info.built.tzinfo is not None
        assert db.info.built <= datetime.now(UTC)


def test_one_writer_at_a_time(database: Path) -> None:
    from tenlayer.vulndb.store import update_lock

    before = database.read_bytes()
    with update_lock(database), pytest.raises(EnvironmentProblem) as caught:
        build_database([advisory("NEW-1")], database)
    assert str(caught.value) == (
        f"another tenlayer is updating {database}; try again when it is done"
    )
    assert database.read_bytes() == before
    assert build_database([advisory("NEW-1")], database).advisories == 1  # the lock is free


def test_database_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"--db .*: is a directory, not a database file"):
        build_database([advisory("A-1")], tmp_path)


def test_age_and_staleness_on_the_database(database: Path) -> None:
    with VulnDatabase(database) as db:
        built = db.info.built
        assert db.age(now=built + timedelta(hours=5)) == timedelta(hours=5)
        assert db.staleness(now=built + timedelta(days=6)) is None  # default: 7 days
        warning = db.staleness(now=built + timedelta(days=8))
        assert warning is not None and "is 8 days old" in warning and "limit 7 days" in warning
        assert db.staleness(timedelta(hours=1), now=built + timedelta(hours=2)) is not None
