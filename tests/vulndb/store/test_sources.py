"""Reading sources: directories, zips, single files, URLs; hostile and malformed input."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenlayer.errors import BadInput, EnvironmentProblem
from tenlayer.vulndb.sources import (
    Limits,
    Source,
    SourceStats,
    default_sources,
    iter_source,
    malformed_warnings,
)
from tests.vulndb.store.osvdata import lie_about_size, record, write_json, write_zip

BILLION_LAUGHS = b"""id: PYSEC-2099-9
modified: "2024-01-01T00:00:00Z"
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def read(location: Path | str, limits: Limits | None = None) -> tuple[list[str], SourceStats]:
    source = Source.resolve(str(location))
    stats = SourceStats(source.location, source.kind)
    ids = [a.id for a in iter_source(source, stats, limits=limits)]
    return ids, stats


def test_directory_recursive_json_and_yaml(tmp_path: Path) -> None:
    write_json(tmp_path / "a" / "GHSA-1.json", record("GHSA-1"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "PYSEC-1.yaml").write_text(
        "id: PYSEC-1\nmodified: 2024-01-01T00:00:00Z\naffected: []\n"
    )
    (tmp_path / "b" / "PYSEC-2.yml").write_text("id: PYSEC-2\nmodified: 2024-01-01\n")
    (tmp_path / "README.md").write_text("not a record")
    (tmp_path / ".id-allocator").write_text("")
    ids, stats = read(tmp_path)
    assert ids == ["GHSA-1", "PYSEC-1", "PYSEC-2"]
    assert (stats.kind, stats.records, stats.malformed) == ("dir", 3, 0)


def test_malformed_records_are_skipped_counted_and_named(tmp_path: Path) -> None:
    write_json(tmp_path / "01-good.json", record("GOOD-1"))
    (tmp_path / "02-bad.json").write_text('{"id": "X", ')
    write_json(tmp_path / "03-noid.json", {"modified": "2024-01-01T00:00:00Z"})
    write_json(tmp_path / "04-nomod.json", {"id": "NOMOD-1"})
    write_json(tmp_path / "05-types.json", record("TYPES-1", aliases="CVE-1"))
    (tmp_path / "06-bomb.yaml").write_bytes(BILLION_LAUGHS)
    write_json(tmp_path / "07-huge.json", record("HUGE-1", details="x" * 17 * 1024**2))
    (tmp_path / "08-bad.yaml").write_text("id: [unclosed\n")
    write_json(tmp_path / "09-good.json", record("GOOD-2"))
    ids, stats = read(tmp_path)
    assert ids == ["GOOD-1", "GOOD-2"]
    assert (stats.records, stats.malformed) == (2, 7)
    warnings = malformed_warnings([stats])
    assert len(warnings) == 6  # five named, then a count
    named = f"skipped malformed record {tmp_path}"
    assert warnings[0].startswith(f"{named}/02-bad.json: not valid JSON")
    assert warnings[1] == f"{named}/03-noid.json: missing id"
    assert warnings[2] == f"{named}/04-nomod.json: NOMOD-1: missing modified"
    assert warnings[3] == f"{named}/05-types.json: TYPES-1: aliases is a string, expected a list"
    assert warnings[4] == (
        f"{named}/06-bomb.yaml: YAML anchors and aliases are not accepted in a record"
    )
    assert warnings[5] == "skipped 2 more malformed records"
    assert all("\n" not in w for w in warnings)


def test_huge_record_named(tmp_path: Path) -> None:
    write_json(tmp_path / "big.json", record("BIG-1", details="x" * 5000))
    ids, stats = read(tmp_path, Limits(max_record_bytes=4096))
    assert ids == []
    assert stats.malformed_named == [f"{tmp_path}/big.json: larger than 4096 bytes"]


def test_yaml_anchor_free_text_is_not_mistaken(tmp_path: Path) -> None:
    (tmp_path / "PYSEC-3.yaml").write_text(
        "id: PYSEC-3\nmodified: 2024-01-01T00:00:00Z\n"
        "details: '**Resolved** a & b, *emphasis* and &amp;'\n"
        "summary: \"*not* an alias\"\n"
    )
    ids, stats = read(tmp_path)
    assert (ids, stats.malformed) == (["PYSEC-3"], 0)


def test_zip_streams_members(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "all.zip",
        {"GO-1.json": record("GO-1"), "GO-2.json": record("GO-2"), "notes.txt": b"ignored"},
    )
    ids, stats = read(archive)
    assert ids == ["GO-1", "GO-2"]
    assert (stats.kind, stats.malformed) == ("zip", 0)


def test_zip_bomb_members_are_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as writer:
        writer.writestr("A-1.json", json.dumps(record("A-1")))
        writer.writestr("bomb.json", b"{" + b" " * (64 * 1024**2) + b"}")  # 64 MiB of spaces
        writer.writestr("liar.json", b" " * (32 * 1024**2))
        writer.writestr("A-2.json", json.dumps(record("A-2")))
    lie_about_size(archive, "liar.json", 100)  # declares 100 bytes, holds 32 MiB
    assert archive.stat().st_size < 1024**2
    ids, stats = read(archive)
    assert ids == ["A-1", "A-2"]
    assert stats.malformed == 2
    assert stats.malformed_named[0] == f"{archive}!/bomb.json: larger than {16 * 1024**2} bytes"
    assert stats.malformed_named[1].startswith(f"{archive}!/liar.json: damaged zip member")


def test_zip_member_count_and_total_size_capped(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "all.zip", {f"R-{i}.json": record(f"R-{i}") for i in range(20)})
    with pytest.raises(BadInput, match=r"20 members, more than the limit of 10"):
        read(archive, Limits(max_zip_members=10))
    with pytest.raises(BadInput, match=r"expands beyond 2000 bytes"):
        read(archive, Limits(max_zip_bytes=2000))


def test_not_a_zip(tmp_path: Path) -> None:
    broken = tmp_path / "all.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(BadInput, match=r"all.zip: not a readable zip"):
        read(broken)


def test_single_file_and_unknown_paths(tmp_path: Path) -> None:
    one = write_json(tmp_path / "GHSA-9.json", record("GHSA-9"))
    assert read(one)[0] == ["GHSA-9"]
    with pytest.raises(BadInput, match=r"--source .*nowhere: no such file or directory"):
        Source.resolve(str(tmp_path / "nowhere"))
    text = tmp_path / "notes.txt"
    text.write_text("x")
    with pytest.raises(BadInput, match=r"not an OSV record \(.json, .yaml, .yml\), zip or dir"):
        Source.resolve(str(text))


def test_default_sources_are_osv_all_zips() -> None:
    urls = default_sources()
    assert len(urls) == 13
    assert urls[0] == "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip"
    assert "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip" in urls
    assert urls[-1].endswith("/Maven/all.zip")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_url_downloaded_then_read_as_zip(tmp_path: Path, served: str) -> None:
    write_zip(tmp_path / "www" / "all.zip", {"GO-7.json": record("GO-7")})
    source = Source.resolve(f"{served}/all.zip")
    stats = SourceStats(source.location, source.kind)
    progress: list[int] = []
    work = tmp_path / "cache"
    advisories = list(
        iter_source(source, stats, work_dir=work, on_download=lambda _, n, __: progress.append(n))
    )
    assert [a.id for a in advisories] == ["GO-7"]
    assert advisories[0].source == f"{served}/all.zip!/GO-7.json"
    assert progress and progress[-1] == (tmp_path / "www" / "all.zip").stat().st_size
    assert list(work.iterdir()) == []  # the download is removed


def test_url_failures_name_the_url(served: str) -> None:
    missing = f"{served}/nothing.zip"
    with pytest.raises(EnvironmentProblem) as caught:
        read(missing)
    assert str(caught.value) == (
        f"cannot download {missing}: HTTP 404; without network, import local OSV files "
        "with --source DIR|ZIP"
    )
    with pytest.raises(EnvironmentProblem, match=r"^cannot download http://127.0.0.1:9/all.zip: "):
        read("http://127.0.0.1:9/all.zip")  # nothing listens on the discard port


def test_distribution_feeds_are_read_by_their_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tenlayer.vulndb.feeds as feeds
    from tenlayer.vulndb.osv import parse_record
    from tenlayer.vulndb.records import MalformedRecord

    feed = tmp_path / "secdb.json"
    feed.write_text("{}")

    def iter_demo(path: Path) -> Iterator[object]:
        yield parse_record(record("ALPINE-1", ecosystem="Alpine:v3.20", name="musl"))
        yield MalformedRecord(f"{path}: packages[3]: no name")
        yield MalformedRecord("release v3.20 has no packages")
        yield parse_record(record("ALPINE-2", ecosystem="Alpine:v3.20", name="busybox"))

    monkeypatch.setattr(feeds, "detect", lambda path: iter_demo if path == feed else None)
    source = Source.resolve(str(feed))
    assert (source.kind, source.location) == ("feed:demo", str(feed))
    ids, stats = read(feed)
    assert ids == ["ALPINE-1", "ALPINE-2"]
    assert (stats.records, stats.malformed) == (2, 2)
    assert stats.malformed_named == [
        f"{feed}: packages[3]: no name", f"{feed}: release v3.20 has no packages",
    ]  # fmt: skip


def test_deeply_nested_documents_are_refused(tmp_path: Path) -> None:
    depth = 200_000
    (tmp_path / "deep.yaml").write_bytes(b"id: X\nmodified: 2024-01-01\nx: " + b"[" * depth)
    (tmp_path / "deep.json").write_bytes(b'{"id": "Y", "x": ' + b"[" * depth + b"]" * depth + b"}")
    ids, stats = read(tmp_path)
    assert ids == []
    assert stats.malformed_named[0].startswith(
        f"{tmp_path}/deep.json: not valid JSON (depth limit exceeded: "
    )
    assert stats.malformed_named[1] == (
        f"{tmp_path}/deep.yaml: not valid YAML (exceeded maximum nesting depth at line 3)"
    )
