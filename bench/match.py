"""Matching speed and whole-scan time with a warm vulnerability database.

    .venv/bin/python bench/match.py [--runs 5]

1. `match_inventory` on a generated 20,000-package inventory (a third each PyPI, Go and
   Debian), against a database of the shared OSV records plus a generated Debian 12 feed of
   150,000 advisories over 25,000 source packages (the size of Debian's own): package
   lookups per second, median (target: >= 50,000). Three mixes:
   - "typical": a third of the PyPI and Go packages are named by advisories (most
     projects have none), every Debian source package is, and one package in ten is at a
     version the advisories affect (most advisories are fixed below a maintained version);
   - "every name": every package named by advisories, one in ten affected;
   - "worst case": every package named by advisories and every one affected.
2. `tenlayer image scan` of the Debian fixture and of the application fixture with that
   database, whole process, median (target for Debian: <= 1.0 s).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import tempfile
import time
from pathlib import Path

from measure import FIXTURES, ROOT, Contender, compare, tool

from tenlayer.model import Ecosystem, Image, Inventory, OSInfo, Package
from tenlayer.vulndb.match import match_inventory
from tenlayer.vulndb.records import Advisory, Affected, AffectedRange, Event, EventKind, RangeType
from tenlayer.vulndb.sources import Source, SourceStats, iter_source
from tenlayer.vulndb.store import VulnDatabase, build_database

SHARED_OSV = ROOT.parent / "shared" / "data" / "osv"


def debian_feed(count: int, sources: int, rng: random.Random) -> list[Advisory]:
    names = [f"src{n}" for n in range(sources)]
    advisories = []
    for n in range(count):
        name = names[n % sources]
        upstream = f"{rng.randint(1, 9)}.{rng.randint(0, 20)}"
        fixed = f"{upstream}-{rng.randint(1, 9)}+deb12u{rng.randint(1, 9)}"
        events = (Event(EventKind.INTRODUCED, "0"), Event(EventKind.FIXED, fixed))
        advisories.append(Advisory(
            id=f"DEBIAN-CVE-2026-{n:06d}", modified="2026-11-01T00:00:00Z",
            published="2026-01-01T00:00:00Z", aliases=(f"CVE-2026-{n:06d}",),
            affected=(Affected("Debian:12", name, (AffectedRange(RangeType.ECOSYSTEM, events),)),),
        ))
    return advisories


def build(path: Path) -> None:
    stats: list[SourceStats] = []
    records = []
    if SHARED_OSV.is_dir():
        source = Source.resolve(str(SHARED_OSV))
        stat = SourceStats(source.location, source.kind)
        stats.append(stat)
        records.extend(iter_source(source, stat))
    records.extend(debian_feed(150_000, 25_000, random.Random(1)))
    build_database(records, path)


def inventory(
    db: VulnDatabase, size: int, rng: random.Random, affected_share: float,
    named_share: float = 1.0,
) -> Inventory:
    packages = []
    pypi = sorted(n for n, _ in _names(db, "PyPI"))
    go = sorted(n for n, _ in _names(db, "Go"))
    for n in range(size):
        old = rng.random() < affected_share  # old: below the fixes; else past all of them
        named = rng.random() < named_share
        kind = n % 3
        if kind == 0:
            version = f"{rng.randint(0, 1)}.{rng.randint(0, 9)}.0" if old else "999.0"
            name = pypi[n % len(pypi)] if named else f"clean-project-{n}"
            packages.append(Package(name, version, Ecosystem.PYPI, "", f"p/{n}"))
        elif kind == 1:
            version = f"v0.{rng.randint(0, 9)}.0" if old else "v999.0.0"
            name = go[n % len(go)] if named else f"example.com/clean/{n}"
            packages.append(Package(name, version, Ecosystem.GO, "", f"g/{n}"))
        else:
            packages.append(Package(
                f"bin{n}", "1.0-1", Ecosystem.DEB, "", "var/lib/dpkg/status",
                source_name=f"src{n % 25_000}", source_version="0.5-1" if old else "99.0-1",
            ))
    image = Image("bench", "generated", None, None, "linux", "amd64")
    return Inventory(image, OSInfo("debian", "12"), tuple(packages))


def _names(db: VulnDatabase, ecosystem: str) -> list[tuple[str, int]]:
    rows = db._connection.execute(  # the bench may look inside; the matcher never does
        "SELECT DISTINCT f.name, 0 FROM affected f JOIN ecosystem e ON e.id = f.ecosystem "
        "WHERE e.name = ?", (ecosystem,))
    return [(str(name), 0) for name, _ in rows]


def profile(path: Path) -> None:
    import cProfile
    import pstats

    with VulnDatabase(path) as db:
        packages = inventory(db, 20_000, random.Random(2), 0.1)
    with VulnDatabase(path) as db:
        cProfile.runctx("match_inventory(packages, db)", globals(), locals(), "/tmp/match.prof")
    pstats.Stats("/tmp/match.prof").sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenlayer-bench-") as scratch:
        path = Path(scratch) / "vulndb.sqlite"
        started = time.perf_counter()
        builder = multiprocessing.get_context("spawn").Process(target=build, args=(path,))
        builder.start()  # in its own process, so that this one stays small (see below)
        builder.join()
        print(f"database: shared OSV + 150,000 generated Debian advisories, built in "
              f"{time.perf_counter() - started:.1f} s")
        # Scans first, while this process is small: a child's peak memory counts the parent
        # it was forked from.
        print("\nimage scan, warm database, whole process (median of runs):")
        for name in ("debian/debian.docker.tar", "app/app.docker.tar"):
            image = FIXTURES / name
            if not image.exists():
                print(f"  {name}: missing (make fixtures)")
                continue
            [result] = compare([Contender("tenlayer", [tool("tenlayer"), "image", "scan",
                               str(image), "--db", str(path), "-f", "json"])], runs=args.runs)
            print(f"  {name:<28} {result.median:.2f} s, peak {result.peak_mib:.0f} MiB")
        print("\nmatching a 20,000-package inventory (median of runs):")
        for label, share, named in (
            ("typical", 0.1, 1 / 3), ("every name", 0.1, 1.0), ("worst case", 1.0, 1.0)
        ):
            with VulnDatabase(path) as db:
                packages = inventory(db, 20_000, random.Random(2), share, named)
            rates = []
            for _ in range(args.runs):
                with VulnDatabase(path) as fresh:  # a cold decode cache each run
                    started = time.perf_counter()
                    report = match_inventory(packages, fresh)
                    rates.append(report.lookups / (time.perf_counter() - started))
            print(f"  {label:<11} {statistics.median(rates):>9,.0f} lookups/s "
                  f"({len(report.matches):,} matches)")


if __name__ == "__main__":
    main()
