"""The vulnerability database: import time and lookup speed, medians of several runs.

    .venv/bin/python bench/db_import.py [--runs 5]

1. `tenlayer db update --source …` over every OSV record in ../shared/data/osv (Go JSON,
   PyPI YAML, crates.io JSON), a whole process each run, caches warm (target: <= 5 s).
2. Lookups on a generated 20,000-package inventory (target: >= 50,000 per second), one
   `affected()` per package and `affected_many()` per ecosystem, against that database and
   against a generated one the size of a real distribution feed (150,000 advisories over
   25,000 Debian source packages), each lookup returning decoded advisories.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from measure import ROOT, Contender, compare, tool

from tenlayer.vulndb.records import (
    Advisory,
    Affected,
    AffectedRange,
    Event,
    EventKind,
    RangeType,
)
from tenlayer.vulndb.store import VulnDatabase, build_database

SHARED_OSV = ROOT.parent / "shared" / "data" / "osv"
PACKAGES = 20_000


def bench_import(runs: int, work: Path) -> Path:
    folders = sorted(str(p) for p in SHARED_OSV.iterdir() if p.is_dir())
    database = work / "osv.sqlite"
    argv = [tool("tenlayer"), "db", "update", "--db", str(database)]
    for folder in folders:
        argv += ["--source", folder]
    (result,) = compare([Contender("import", argv)], runs=runs)
    with VulnDatabase(database) as db:
        count = db.info.advisories
    print(f"import of {count} OSV records ({', '.join(Path(f).name for f in folders)}): "
          f"median {result.median:.2f} s, min {min(result.seconds):.2f} s over {runs} runs, "
          f"peak {result.peak_mib:.0f} MiB (whole `tenlayer db update` process)")  # fmt: skip
    return database


def synthetic_debian(path: Path, advisories: int = 150_000, packages: int = 25_000) -> Path:
    """A database shaped like Debian's OSV feed: many CVEs per source package, 2 releases."""
    rng = random.Random(7)

    def generate() -> Iterator[Advisory]:
        for n in range(advisories):
            # a long tail as in Debian: a few packages (the kernel, browsers) have hundreds
            package = f"src{int(packages * rng.random() ** 2)}"
            events = (
                Event(EventKind.INTRODUCED, "0"),
                Event(EventKind.FIXED, f"1.{n % 50}-{n % 7}+deb12u1"),
            )
            ranges = (AffectedRange(RangeType.ECOSYSTEM, events),)
            entries = tuple(
                Affected(release, package, ranges=ranges)
                for release in ("Debian:11", "Debian:12")
            )
            yield Advisory(
                id=f"DEBIAN-CVE-2024-{n}",
                modified="2024-06-01T00:00:00Z",
                aliases=(f"CVE-2024-{n}",),
                summary="generated",
                affected=entries,
            )

    started = time.perf_counter()
    build_database(generate(), path)
    print(f"generated Debian-shaped database: {advisories} advisories in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return path


def inventory(database: Path, ecosystems: list[str] | None = None) -> list[tuple[str, str]]:
    """20,000 packages: a quarter named in the database (as the matcher would ask for them),
    the rest not (most installed packages have no advisory)."""
    rng = random.Random(1)
    with sqlite3.connect(database) as connection:
        known: dict[str, list[str]] = {}
        for ident, name in connection.execute("SELECT id, name FROM ecosystem"):
            if ecosystems is None or name in ecosystems:
                rows = connection.execute(
                    "SELECT DISTINCT name FROM affected WHERE ecosystem = ?", (ident,)
                )
                known[name] = [n for (n,) in rows]
    names = sorted(known)
    packages = []
    for index in range(PACKAGES):
        ecosystem = rng.choice(names)
        if rng.random() < 0.25:
            packages.append((ecosystem, rng.choice(known[ecosystem])))
        else:
            packages.append((ecosystem, f"not-vulnerable-{index}"))
    return packages


def median_rate(runs: int, work: Callable[[], int]) -> tuple[float, int]:
    rates, hits = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        hits = work()
        rates.append(PACKAGES / (time.perf_counter() - started))
    return statistics.median(rates), hits


def bench_lookups(database: Path, runs: int, label: str, ecosystems: list[str] | None) -> None:
    packages = inventory(database, ecosystems)
    by_ecosystem: dict[str, list[str]] = {}
    for ecosystem, name in packages:
        by_ecosystem.setdefault(ecosystem, []).append(name)

    def single() -> int:
        with VulnDatabase(database) as db:  # a fresh one each run: nothing cached
            return sum(len(db.affected(ecosystem, name)) for ecosystem, name in packages)

    def batched() -> int:
        with VulnDatabase(database) as db:
            return sum(
                len(found)
                for ecosystem, names in by_ecosystem.items()
                for found in db.affected_many(ecosystem, names).values()
            )

    one, hits = median_rate(runs, single)
    many, hits_many = median_rate(runs, batched)
    assert hits == hits_many
    print(
        f"lookups, {label}: {PACKAGES} packages, {hits} (advisory, package) pairs returned: "
        f"affected() {one:,.0f}/s, affected_many() {many:,.0f}/s (medians of {runs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    if not SHARED_OSV.is_dir():
        raise SystemExit(f"{SHARED_OSV} is absent: the benchmark reads the shared OSV data")
    with tempfile.TemporaryDirectory(prefix="tenlayer-bench-db-") as temporary:
        work = Path(temporary)
        osv = bench_import(options.runs, work)
        bench_lookups(osv, options.runs, "shared OSV data (Go, PyPI, crates.io)", None)
        debian = synthetic_debian(work / "debian.sqlite")
        bench_lookups(debian, options.runs, "Debian-shaped, Debian:12", ["Debian:12"])


if __name__ == "__main__":
    main()
