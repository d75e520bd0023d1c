"""`tenlayer db …`: build, inspect, export and import the vulnerability database."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tenlayer.errors import EXIT_ENVIRONMENT, BadInput

if TYPE_CHECKING:
    from tenlayer.vulndb.sources import Source, SourceStats
    from tenlayer.vulndb.store import DatabaseInfo

DB_HELP = (
    "Database file [default: vulndb.sqlite in $TENLAYER_CACHE_DIR, else in "
    "$XDG_CACHE_HOME/tenlayer, else in ~/.cache/tenlayer]."
)

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$", re.IGNORECASE)
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str, *, option: str = "--max-db-age") -> timedelta:
    """`7d`, `12h`, `30m`, `2w`, `90s`; a bare number is days."""
    match = _AGE.match(text)
    if not match:
        raise BadInput(f"{option} {text!r}: expected an age such as 7d, 12h or 30m")
    seconds = float(match.group(1)) * _AGE_UNITS[(match.group(2) or "d").lower()]
    if seconds <= 0 or seconds > 100 * 365 * 86400:
        raise BadInput(f"{option} {text!r}: must be more than 0 and at most 100 years")
    return timedelta(seconds=seconds)


def db_option(command: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--db", "db_path", type=click.Path(path_type=Path), default=None, help=DB_HELP
    )(command)


def _path(db_path: Path | None) -> Path:
    from tenlayer.vulndb.store import default_path

    return db_path if db_path is not None else default_path()


def _warn(message: str) -> None:
    sys.stderr.write(f"tenlayer: warning: {message}\n")


@click.group("db")
def db_group() -> None:
    """Manage the vulnerability database."""


# --- update ----------------------------------------------------------------------------


@db_group.command("update")
@click.option("--source", "sources", multiple=True, metavar="URL|DIR|ZIP|FILE",
              help="Where to read advisories (repeatable): an OSV all.zip URL or file, a "
              "directory of OSV .json/.yaml records, one record, or a distribution feed. "
              "[default: OSV's all.zip of Debian, Ubuntu, Alpine, Red Hat, Rocky Linux, "
              "AlmaLinux, Wolfi, Chainguard, PyPI, npm, Go, crates.io and Maven]")
@db_option
def update(sources: tuple[str, ...], db_path: Path | None) -> None:
    """Build the vulnerability database from OSV data and replace the current one.

    The new database is written beside the old one and swapped in only when complete:
    an interrupted update leaves the previous database as it was. Malformed records are
    skipped and named.
    """
    from tenlayer.vulndb import sources as feeds
    from tenlayer.vulndb.store import build_database

    path = _path(db_path)
    resolved = [feeds.Source.resolve(text) for text in sources] or [
        feeds.Source("url", url) for url in feeds.default_sources()
    ]
    stats = [feeds.SourceStats(source.location, source.kind) for source in resolved]
    try:
        with _update_progress() as progress:
            info = build_database(
                progress.read(resolved, stats, path.parent),
                path,
                lambda: [s.as_meta() for s in stats],
            )
    finally:
        for line in feeds.malformed_warnings(stats):
            _warn(line)
    unmatched = unmatchable_ecosystems(info)
    if unmatched:
        _warn(
            "advisories of ecosystems tenlayer cannot compare versions in are kept but will "
            "match nothing: " + ", ".join(f"{name} ({count})" for name, count in unmatched)
        )
    click.echo(update_summary(info, stats))


def unmatchable_ecosystems(info: DatabaseInfo) -> list[tuple[str, int]]:
    """Ecosystems in the database that no version scheme covers (e.g. `Hex`, `NuGet`)."""
    from tenlayer.vulndb.versions import UnknownEcosystem, scheme_for

    found = []
    for ecosystem, count in sorted(info.ecosystems.items()):
        try:
            scheme_for(ecosystem)
        except UnknownEcosystem:
            found.append((ecosystem, count))
    return found


def update_summary(info: DatabaseInfo, stats: list[SourceStats]) -> str:
    ecosystems = ", ".join(f"{name} {count:,}" for name, count in info.by_base().items())
    malformed = sum(s.malformed for s in stats)
    withdrawn = f", {info.withdrawn:,} withdrawn" if info.withdrawn else ""
    return (
        f"vulnerability database {info.path}: {info.advisories:,} advisories"
        f"{withdrawn} ({ecosystems or 'no packages'}); {malformed:,} malformed "
        f"record{'s' if malformed != 1 else ''} skipped"
    )


class _Reader:
    """Reads the sources in order, telling a progress display (if any) how far it is."""

    def __init__(self, progress: Any = None) -> None:
        self._progress = progress
        self._task: Any = None
        self._count = 0

    def read(
        self, sources: list[Source], stats: list[SourceStats], work_dir: Path
    ) -> Iterator[Any]:
        from tenlayer.vulndb.sources import iter_source

        for source, source_stats in zip(sources, stats, strict=True):
            self._start(source.location)
            for advisory in iter_source(
                source, source_stats, work_dir=work_dir, on_download=self._download
            ):
                self._count += 1
                if self._progress is not None and self._count % 512 == 0:
                    self._progress.update(self._task, completed=self._count)
                yield advisory

    def _start(self, location: str) -> None:
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(location, total=None)
        self._progress.update(self._task, description=location, completed=self._count)

    def _download(self, url: str, done: int, total: int | None) -> None:
        if self._progress is not None:
            size = f"{done / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "")
            self._progress.update(self._task, description=f"{url} ({size} MB)")


@contextmanager
def _update_progress() -> Iterator[_Reader]:
    """A spinner with the record count on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        yield _Reader()
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]importing"),
        TextColumn("{task.completed:,} records"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        yield _Reader(progress)


# --- status ----------------------------------------------------------------------------


@db_group.command("status")
@db_option
@click.option("--max-db-age", default="7d", show_default=True,
              help="Warn (and exit 3) when the database is older than this (7d, 12h, 30m).")
@click.option("--verify", is_flag=True,
              help="Also run SQLite's full integrity check (slower on a large database).")
@click.option("--format", "-f", "output_format", default="table", show_default=True,
              type=click.Choice(["table", "json"], case_sensitive=False))
def status(db_path: Path | None, max_db_age: str, verify: bool, output_format: str) -> None:
    """Show the database: when it was built, from what, and how many advisories.

    Exits 3 when there is no database, when it is damaged, or when it is older than
    --max-db-age.
    """
    from tenlayer.report.output import write_output
    from tenlayer.vulndb.store import VulnDatabase

    max_age = parse_age(max_db_age)
    with VulnDatabase(_path(db_path)) as database:
        if verify:
            database.verify()
        info = database.info
    stale = info.staleness(max_age)
    if output_format.lower() == "json":
        from tenlayer.report.json import dumps, tool

        data = dumps(
            {
                "tool": tool(),
                "database": info.as_dict(),
                "max_age_seconds": int(max_age.total_seconds()),
                "stale": stale is not None,
                "warnings": [stale] if stale else [],
            }
        )
    else:
        data = status_table(info).encode()
    write_output(data, None)
    if stale is not None:
        _warn(stale)
        sys.exit(EXIT_ENVIRONMENT)


def status_table(info: DatabaseInfo) -> str:
    from tenlayer.vulndb.store import describe_age

    sources = info.sources or ({"location": "(none recorded)"},)
    lines = [
        ("Database", str(info.path)),
        ("Built", f"{info.built:%Y-%m-%d %H:%M:%S} UTC ({describe_age(info.age())} ago)"),
        ("Built by", f"tenlayer {info.tenlayer_version}, schema {info.schema_version}"),
        ("Size", _size(info.size)),
        ("Advisories", f"{info.advisories:,} ({info.withdrawn:,} withdrawn)"),
        ("Malformed", f"{info.malformed:,} records skipped at import"),
    ]
    for index, source in enumerate(sources):
        counts = ""
        if "records" in source:
            counts = f" ({int(source['records']):,} records"
            counts += f", {int(source.get('malformed', 0)):,} malformed)"
        lines.append(("Sources" if index == 0 else "", f"{source['location']}{counts}"))
    by_base = info.by_base()
    for index, (name, count) in enumerate(by_base.items()):
        releases = sorted(
            (e for e in info.ecosystems if e.partition(":")[0] == name and ":" in e),
            key=_natural,
        )
        detail = f" ({', '.join(releases)})" if releases else ""
        lines.append(("Ecosystems" if index == 0 else "", f"{name}: {count:,}{detail}"))
    width = max(len(label) for label, _ in lines)
    return "".join(f"{label:<{width}}  {value}".rstrip() + "\n" for label, value in lines)


def _natural(text: str) -> list[Any]:
    """`Debian:9` before `Debian:10`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


# --- export / import -------------------------------------------------------------------


@db_group.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@db_option
def export(file: Path, db_path: Path | None) -> None:
    """Write the database to FILE (gzip-compressed; '-' for stdout) for an air-gapped
    machine, where `tenlayer db import FILE` installs it."""
    from tenlayer.vulndb.store import export_database

    to_stdout = str(file) == "-"
    info = export_database(_path(db_path), None if to_stdout else file)
    message = (
        f"exported vulnerability database {info.path} ({info.advisories:,} advisories, "
        f"built {info.built:%Y-%m-%d %H:%M} UTC) to {'stdout' if to_stdout else file}"
    )
    click.echo(message, err=to_stdout)


@db_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@db_option
def import_(file: Path, db_path: Path | None) -> None:
    """Install a database written by `tenlayer db export` ('-' reads stdin).

    FILE is checked completely (schema version, metadata, SQLite integrity) before it
    replaces the current database; a bad FILE changes nothing.
    """
    from tenlayer.vulndb.store import import_database

    from_stdin = str(file) == "-"
    if not from_stdin and not file.is_file():
        raise BadInput(f"{file}: no such file")
    info = import_database(None if from_stdin else file, _path(db_path))
    click.echo(
        f"imported vulnerability database into {info.path}: {info.advisories:,} advisories, "
        f"built {info.built:%Y-%m-%d %H:%M} UTC"
    )


