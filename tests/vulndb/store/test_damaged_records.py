"""A record damaged inside a well-formed database file: one clear line, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tenlayer.errors import EnvironmentProblem
from tenlayer.model import Ecosystem, Image, Inventory, Package
from tenlayer.vulndb.match import match_inventory
from tenlayer.vulndb.osv import parse_record
from tenlayer.vulndb.store import VulnDatabase, build_database
from tests.vulndb.store.osvdata import record


def damaged(tmp_path: Path, column: str) -> Path:
    path = tmp_path / "vulndb.sqlite"
    build_database([parse_record(record("PYSEC-1", name="demo", fixed="2.0"))], path)
    with sqlite3.connect(path) as connection:
        table = "advisory" if column == "record" else "affected"
        connection.execute(f"UPDATE {table} SET {column} = ?", (b'{"not": "what it was"',))
    return path


@pytest.mark.parametrize("column", ["record", "entry"])
def test_matching_a_damaged_record_is_one_line(tmp_path: Path, column: str) -> None:
    path = damaged(tmp_path, column)
    package = Package("demo", "1.0", Ecosystem.PYPI, "pkg:pypi/demo@1.0", "m/METADATA")
    inventory = Inventory(Image("x", "sbom", None, None, "linux", "amd64"), None, (package,))
    with VulnDatabase(path) as database, pytest.raises(EnvironmentProblem) as caught:
        match_inventory(inventory, database)  # 1.0 is affected: both are read
    message = str(caught.value)
    assert message.startswith(f"vulnerability database {path} holds a damaged record (")
    assert message.endswith("run `tenlayer db update` (or `tenlayer db import FILE`) to "
                            "rebuild it")
    assert "\n" not in message


@pytest.mark.parametrize("column", ["record", "entry"])
def test_verify_reads_every_record(tmp_path: Path, column: str) -> None:
    path = damaged(tmp_path, column)
    with VulnDatabase(path) as database, pytest.raises(EnvironmentProblem, match="damaged"):
        database.verify()
