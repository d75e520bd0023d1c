"""`tenlayer db …` as a user meets it: summaries, status, exit codes, one-line errors, and an
update killed half-way that leaves the previous database intact."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vulndb.store.osvdata import record, write_json, write_zip

TENLAYER = [sys.executable, "-m", "tenlayer"]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*TENLAYER, *args], capture_output=True, timeout=120, env=env)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8", "replace"),
        result.stderr.decode(),
    )  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A cache directory of its own; any download goes to a closed port (never the network)."""
    environment = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    environment.update(
        TENLAYER_CACHE_DIR=str(tmp_path / "cache"),
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        COLUMNS="200",
    )
    return environment


@pytest.fixture
def osv_dir(tmp_path: Path) -> Path:
    root = tmp_path / "osv"
    write_json(root / "PyPI" / "GHSA-1.json", record("GHSA-1", name="requests"))
    withdrawn = record("PYSEC-1", name="urllib3", withdrawn="2024-05-01T00:00:00Z")
    write_json(root / "PyPI" / "PYSEC-1.json", withdrawn)
    write_json(root / "Go" / "GO-1.json", record("GO-1", ecosystem="Go", name="stdlib"))
    write_json(root / "Debian" / "DSA-1.json", record("DSA-1", ecosystem="Debian:12", name="bash"))
    write_json(root / "Debian" / "DSA-2.json", record("DSA-2", ecosystem="Debian:11", name="bash"))
    return root


def database(env: dict[str, str]) -> Path:
    return Path(env["TENLAYER_CACHE_DIR"]) / "vulndb.sqlite"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    return stderr.rstrip("\n")


MISSING = "tenlayer: no vulnerability database at {}; run `tenlayer db update` " \
    "(or `tenlayer db import FILE`)"  # fmt: skip


def test_missing_database(env: dict[str, str], tmp_path: Path) -> None:
    for args in (("db", "status"), ("db", "status", "-f", "json"), ("db", "export", "x.gz")):
        result = run(*args, env=env)
        assert result.returncode == 3
        assert result.stdout == ""
        assert one_line(result.stderr) == MISSING.format(database(env))
    other = tmp_path / "elsewhere.sqlite"
    result = run("db", "status", "--db", str(other), env=env)
    assert (result.returncode, one_line(result.stderr)) == (3, MISSING.format(other))


def test_update_then_status(env: dict[str, str], osv_dir: Path) -> None:
    result = run("db", "update", "--source", str(osv_dir / "PyPI"), "--source",
                 str(osv_dir / "Go"), "--source", str(osv_dir / "Debian"), env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        f"vulnerability database {database(env)}: 5 advisories, 1 withdrawn "
        "(Debian 2, Go 1, PyPI 1); 0 malformed records skipped\n"
    )
    status = run("db", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert status.stderr == ""
    lines = status.stdout.splitlines()
    assert lines[0] == f"Database    {database(env)}"
    assert re.fullmatch(r"Built       \S+ \S+ UTC \(\d+ seconds? ago\)", lines[1])
    assert lines[2] == "Built by    tenlayer 0.1.0, schema 4"
    assert lines[4:7] == [
        "Advisories  5 (1 withdrawn)",
        "Malformed   0 records skipped at import",
        f"Sources     {osv_dir / 'PyPI'} (2 records, 0 malformed)",
    ]
    assert lines[-3:] == [
        "Ecosystems  Debian: 2 (Debian:11, Debian:12)",
        "            Go: 1",
        "            PyPI: 1",
    ]
    document = json.loads(run("db", "status", "-f", "json", env=env).stdout)
    assert document["database"]["advisories"] == 5
    assert document["database"]["ecosystems"] == {"Debian:11": 1, "Debian:12": 1, "Go": 1,
                                                  "PyPI": 1}  # fmt: skip
    assert [s["records"] for s in document["database"]["sources"]] == [2, 1, 2]
    assert (document["stale"], document["warnings"]) == (False, [])
    assert run("db", "status", "--verify", env=env).returncode == 0


def test_malformed_records_are_named(env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    write_json(root / "A-0.json", record("A-0"))
    for index in range(1, 8):
        (root / f"B-{index}.json").write_text("{broken")
    (root / "C-1.yaml").write_text("a: &x [1]\nb: *x\n")
    result = run("db", "update", "--source", str(root), env=env)
    assert result.returncode == 0
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith(f"tenlayer: warning: skipped malformed record {root}/B-1.json: "
                                  "not valid JSON")  # fmt: skip
    assert len(warnings) == 6
    assert warnings[-1] == "tenlayer: warning: skipped 3 more malformed records"
    assert result.stdout.endswith("(PyPI 1); 8 malformed records skipped\n")
    status = json.loads(run("db", "status", "-f", "json", env=env).stdout)
    assert status["database"]["malformed"] == 8


def test_offline_default_sources(env: dict[str, str], osv_dir: Path) -> None:
    assert run("db", "update", "--source", str(osv_dir), env=env).returncode == 0
    before = digest(database(env))
    result = run("db", "update", env=env)
    assert result.returncode == 3
    line = one_line(result.stderr)
    assert line.startswith(
        "tenlayer: cannot download "
        "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip: "
    )
    assert line.endswith("without network, import local OSV files with --source DIR|ZIP")
    assert digest(database(env)) == before
    assert sorted(p.name for p in database(env).parent.iterdir()) == [
        ".vulndb.sqlite.lock", "vulndb.sqlite",
    ]  # fmt: skip


def test_bad_sources_and_options(env: dict[str, str], tmp_path: Path, osv_dir: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run("db", "update", "--source", str(missing), env=env)
    assert (result.returncode, one_line(result.stderr)) == (
        2, f"tenlayer: --source {missing}: no such file or directory",
    )  # fmt: skip
    (tmp_path / "empty").mkdir()
    result = run("db", "update", "--source", str(tmp_path / "empty"), env=env)
    assert (result.returncode, one_line(result.stderr)) == (
        2, "tenlayer: the sources hold no readable advisory; the database was not changed",
    )  # fmt: skip
    assert not database(env).exists()
    assert run("db", "update", "--source", str(osv_dir), env=env).returncode == 0
    result = run("db", "status", "--max-db-age", "soon", env=env)
    assert (result.returncode, one_line(result.stderr)) == (
        2, "tenlayer: --max-db-age 'soon': expected an age such as 7d, 12h or 30m",
    )  # fmt: skip


def test_stale_database_warns_and_exits_3(env: dict[str, str], osv_dir: Path) -> None:
    assert run("db", "update", "--source", str(osv_dir), env=env).returncode == 0
    with sqlite3.connect(database(env)) as connection:
        connection.execute("""UPDATE meta SET value = '"2020-01-01T00:00:00+00:00"'
                              WHERE key = 'built'""")
    result = run("db", "status", env=env)
    assert result.returncode == 3
    assert "Built       2020-01-01 00:00:00 UTC (" in result.stdout
    assert one_line(result.stderr).startswith(
        f"tenlayer: warning: vulnerability database {database(env)} is "
    )
    assert result.stderr.rstrip().endswith(
        "old (built 2020-01-01 00:00 UTC, limit 7 days); run `tenlayer db update`"
    )
    as_json = run("db", "status", "-f", "json", "--max-db-age", "2w", env=env)
    assert as_json.returncode == 3
    document = json.loads(as_json.stdout)
    assert document["stale"] is True and "limit 14 days" in document["warnings"][0]
    assert run("db", "status", "--max-db-age", "10000d", env=env).returncode == 0


def test_corrupt_database(env: dict[str, str]) -> None:
    path = database(env)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    result = run("db", "status", env=env)
    assert result.returncode == 3
    assert one_line(result.stderr) == (
        f"tenlayer: {path} is not a tenlayer vulnerability database (not SQLite); "
        "run `tenlayer db update` (or `tenlayer db import FILE`) to rebuild it"
    )


def test_export_import(env: dict[str, str], osv_dir: Path, tmp_path: Path) -> None:
    assert run("db", "update", "--source", str(osv_dir), env=env).returncode == 0
    export = tmp_path / "transfer" / "vulndb.gz"
    result = run("db", "export", str(export), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"exported vulnerability database {database(env)} "
                                    "(5 advisories, built ")  # fmt: skip
    assert result.stdout.rstrip().endswith(f"UTC) to {export}")

    airgapped = tmp_path / "airgapped" / "vulndb.sqlite"
    result = run("db", "import", str(export), "--db", str(airgapped), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"imported vulnerability database into {airgapped}: "
                                    "5 advisories, built ")  # fmt: skip
    assert digest(airgapped) == digest(database(env))

    bad = tmp_path / "bad.gz"
    bad.write_bytes(export.read_bytes()[:-100])
    before = digest(airgapped)
    result = run("db", "import", str(bad), "--db", str(airgapped), env=env)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"tenlayer: {bad}: damaged export (")
    assert result.stderr.rstrip().endswith("nothing was changed")
    assert digest(airgapped) == before
    result = run("db", "import", str(tmp_path / "absent.gz"), env=env)
    assert (result.returncode, one_line(result.stderr)) == (
        2, f"tenlayer: {tmp_path / 'absent.gz'}: no such file",
    )  # fmt: skip

    piped = run("db", "export", "-", env=env)
    assert piped.returncode == 0 and piped.stderr.startswith("exported ")
    other = tmp_path / "piped" / "vulndb.sqlite"
    result = subprocess.run([*TENLAYER, "db", "import", "-", "--db", str(other)],
                            input=export.read_bytes(), capture_output=True, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert digest(other) == digest(database(env))


def test_killed_update_leaves_previous_database(env: dict[str, str], osv_dir: Path,
                                                tmp_path: Path) -> None:  # fmt: skip
    """SIGKILL a real `tenlayer db update` while it writes; the old database is untouched."""
    assert run("db", "update", "--source", str(osv_dir), env=env).returncode == 0
    path = database(env)
    before = digest(path)

    big = tmp_path / "big.zip"
    template = json.dumps(record("BIG-{n}", name="pkg{n}", details="d" * 400))
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(80_000):
            archive.writestr(f"BIG-{n}.json", template.replace("{n}", str(n)))

    process = subprocess.Popen([*TENLAYER, "db", "update", "--source", str(big)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            partial = list(path.parent.glob(".vulndb.sqlite.*.tmp"))
            if partial and partial[0].stat().st_size > 4 * 1024**2:  # writing, well under way
                break
            time.sleep(0.01)
        assert process.poll() is None, "the update finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert digest(path) == before
    status = run("db", "status", "--verify", "-f", "json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["database"]["advisories"] == 5
    assert list(path.parent.glob(".vulndb.sqlite.*.tmp"))  # the killed update's leftover

    result = run("db", "update", "--source", str(osv_dir / "Go"), env=env)
    assert result.returncode == 0, result.stderr
    assert not list(path.parent.glob(".vulndb.sqlite.*.tmp"))  # cleaned by the next update
    assert "1 advisories" in result.stdout


def test_update_from_zip_and_single_file(env: dict[str, str], tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "all.zip", {"GO-5.json": record("GO-5", ecosystem="Go")})
    single = write_json(tmp_path / "GHSA-5.json", record("GHSA-5"))
    result = run("db", "update", "--source", str(archive), "--source", str(single), env=env)
    assert result.returncode == 0, result.stderr
    assert "2 advisories (Go 1, PyPI 1)" in result.stdout


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1: an OSV mirror for machines that cannot reach OSV."""
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_update_from_a_url(env: dict[str, str], mirror: tuple[str, Path]) -> None:
    url, root = mirror
    (root / "Go").mkdir()
    write_zip(root / "Go" / "all.zip", {"GO-9.json": record("GO-9", ecosystem="Go")})
    local = {**env, "NO_PROXY": "127.0.0.1"}
    result = run("db", "update", "--source", f"{url}/Go/all.zip", env=local)
    assert result.returncode == 0, result.stderr
    assert "1 advisories (Go 1)" in result.stdout
    status = json.loads(run("db", "status", "-f", "json", env=env).stdout)
    assert status["database"]["sources"] == [
        {"kind": "url", "location": f"{url}/Go/all.zip", "malformed": 0, "records": 1}
    ]
    assert not list(database(env).parent.glob(".download-*"))
    result = run("db", "update", "--source", f"{url}/npm/all.zip", env=local)
    assert (result.returncode, one_line(result.stderr)) == (
        3, f"tenlayer: cannot download {url}/npm/all.zip: HTTP 404; without network, import "
        "local OSV files with --source DIR|ZIP",
    )  # fmt: skip


def test_update_warns_of_ecosystems_it_cannot_match(tmp_path: Path) -> None:
    record = {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "NuGet", "name": "x"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}]}]}
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "X-1.json").write_text(json.dumps(record))
    result = subprocess.run(
        [sys.executable, "-m", "tenlayer", "db", "update", "--source", str(tmp_path / "src"),
         "--db", str(tmp_path / "db.sqlite")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stderr == (
        "tenlayer: warning: advisories of ecosystems tenlayer cannot compare versions in are "
        "kept but will match nothing: NuGet (1)\n"
    )
