"""Every OSV record in ../shared/data/osv (Go, PyPI, crates.io) imports."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tenlayer.vulndb.sources import Source, SourceStats, iter_source, malformed_warnings
from tenlayer.vulndb.store import VulnDatabase, build_database
from tests.vulndb.store.osvdata import SHARED_OSV

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(
        not SHARED_OSV.is_dir(), reason=f"{SHARED_OSV} is absent (the shared OSV data set)"
    ),
]


def test_every_shared_record_imports(tmp_path: Path) -> None:
    folders = sorted(p for p in SHARED_OSV.iterdir() if p.is_dir())
    expected = {
        folder.name: sum(
            1 for p in folder.rglob("*") if p.suffix in (".json", ".yaml") and p.is_file()
        )
        for folder in folders
    }
    stats: list[SourceStats] = []

    def advisories():  # type: ignore[no-untyped-def]
        for folder in folders:
            source = Source.resolve(str(folder))
            stats.append(SourceStats(source.location, source.kind))
            yield from iter_source(source, stats[-1])

    started = time.perf_counter()
    info = build_database(advisories(), tmp_path / "vulndb.sqlite",
                          lambda: [s.as_meta() for s in stats])  # fmt: skip
    elapsed = time.perf_counter() - started
    print(f"\nimported {info.advisories} OSV records from {SHARED_OSV} in {elapsed:.2f} s")
    assert malformed_warnings(stats) == []
    assert {Path(s.location).name: s.records for s in stats} == expected
    assert info.advisories == sum(expected.values())
    assert set(info.by_base()) == {"Go", "PyPI", "crates.io"}

    with VulnDatabase(tmp_path / "vulndb.sqlite") as db:
        http2 = [a for a, _ in db.affected("Go", "stdlib") if a.id == "GO-2024-2687"]
        assert http2 and "CVE-2023-45288" in http2[0].aliases
        stored = db.advisory("GO-2024-2687")
        assert stored is not None and "net/http.Client.Do" in stored.affected[0].symbols
        rust = db.advisory("RUSTSEC-2016-0001")
        assert rust is not None and rust.affected[0].ranges[0].events[-1].version == "0.9.0"
        skywalking = db.affected("PyPI", "Apache_SkyWalking")
        assert "PYSEC-2020-342" in {a.id for a, _ in skywalking}
        assert all(entry.versions for a, entry in skywalking if a.id == "PYSEC-2020-342")


FEEDS = SHARED_OSV.parent / "distro-feeds"


@pytest.mark.skipif(not FEEDS.is_dir(), reason=f"{FEEDS} is absent (the shared feed samples)")
def test_distribution_feed_samples_import_as_sources(tmp_path: Path) -> None:
    """`--source` takes the distributions' own feeds too (read by tenlayer.vulndb.feeds)."""
    sources = [Source.resolve(str(FEEDS / name)) for name in ("debian", "alpine", "wolfi")]
    assert [s.kind.partition(":")[0] for s in sources] == ["feed", "feed", "feed"]
    stats = [SourceStats(s.location, s.kind) for s in sources]
    advisories = [a for s, st in zip(sources, stats, strict=True) for a in iter_source(s, st)]
    info = build_database(advisories, tmp_path / "vulndb.sqlite")
    assert {"Debian", "Alpine", "Wolfi"} <= set(info.by_base())
