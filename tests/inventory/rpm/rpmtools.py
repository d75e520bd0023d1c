"""Real RPMs and real rpm databases, made with the real tools for tests and fixtures.

`rpmbuild` builds the packages, `rpm --justdb` installs them into an SQLite rpmdb (rpm's
default backend), `rpm --import` adds a `gpg-pubkey`, and `db5.3_load` (Berkeley DB's own
loader) writes the hash `Packages` file older rpm used, from the same header blobs. For
other fixture builders:

    from tests.inventory.rpm.rpmtools import RpmSpec, build_rpm, install_rpms

    rpms = build_rpm(RpmSpec("app-data", "1.0", files={"usr/share/app/x": "x\\n"}), out)
    install_rpms(rpms, rootfs / "var/lib/rpm")

Debian's rpm 4.18 has no NDB backend, so `write_ndb` lays the blobs out itself as rpm's
lib/backend/ndb/rpmpkg.c does (a file from rpm's own ndb backend is kept in data/ndb/ to
check the reader against); every other file here comes from the real tools. Needs
Debian's `rpm` and `db5.3-util` packages.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_DATE_EPOCH = "1700000000"
_QUIET_ENV = {"LC_ALL": "C.UTF-8", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}


@dataclass(frozen=True)
class RpmSubpackage:
    """A `%package -n NAME` of the same spec: same version, its own license and files."""

    name: str
    license: str = "MIT"
    files: Mapping[str, str] = field(default_factory=dict)
    directories: tuple[str, ...] = ()
    symlinks: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RpmSpec:
    """One spec file. Paths have no leading `/`; `files` maps a path to its content,
    `directories` are owned with `%dir`, `symlinks` map a path to its target."""

    name: str
    version: str
    release: str = "1"
    epoch: int | None = None
    license: str = "MIT"
    arch: str = "noarch"
    files: Mapping[str, str] = field(default_factory=dict)
    directories: tuple[str, ...] = ()
    symlinks: Mapping[str, str] = field(default_factory=dict)
    subpackages: tuple[RpmSubpackage, ...] = ()


def build_rpm(spec: RpmSpec, out_dir: Path) -> list[Path]:
    """Build the spec with rpmbuild; return the binary RPMs (the package, then subpackages)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rpmbuild-") as scratch:
        top = Path(scratch)
        stage = top / "SOURCES" / "stage"
        for package in (spec, *spec.subpackages):
            _stage(stage, package.files, package.directories, package.symlinks)
        stage.mkdir(parents=True, exist_ok=True)
        spec_file = top / "SPECS" / f"{spec.name}.spec"
        spec_file.parent.mkdir(parents=True)
        spec_file.write_text(_spec_text(spec), encoding="utf-8")
        _run(
            [
                "rpmbuild",
                "-bb",
                "--quiet",
                "--target",
                spec.arch,
                "--define",
                f"_topdir {top}",
                "--define",
                f"_rpmdir {out_dir}",
                "--define",
                "_build_id_links none",
                "--define",
                "debug_package %{nil}",
                "--define",
                "__os_install_post %{nil}",
                "--define",
                "_buildhost tenlayer.test",
                "--define",
                "use_source_date_epoch_as_buildtime 1",
                str(spec_file),
            ]
        )
    names = [spec.name, *(sub.name for sub in spec.subpackages)]
    release = f"{spec.version}-{spec.release}.{spec.arch}.rpm"
    built = [out_dir / spec.arch / f"{name}-{release}" for name in names]
    missing = [str(p) for p in built if not p.is_file()]
    if missing:
        raise RuntimeError(f"rpmbuild did not produce {', '.join(missing)}")
    return built


def install_rpms(
    rpms: Sequence[Path],
    dbpath: Path,
    *,
    backend: str = "sqlite",
    root: Path | None = None,
) -> None:
    """Record the packages in the rpmdb at `dbpath`.

    Without `root` only the database is written (`--justdb`). With `root`, the files are
    unpacked under it as well and `dbpath` is the database directory inside it, such as
    `Path("var/lib/rpm")`: a root filesystem ready to be packed into an image layer.
    Scriptlets never run. Leaves only the database file, as an image would ship it: rpm's
    lock and the empty WAL side files are removed (rpm checkpoints the WAL on close).
    """
    if root is None:
        location = _db_args(dbpath, backend)
        mode = ["--justdb"]
        db_dir = dbpath
    else:
        inside = "/" + str(dbpath).strip("/")
        location = ["--root", str(root.resolve()), "--dbpath", inside]
        location += ["--define", f"_db_backend {backend}"]
        mode = []
        db_dir = root / inside.lstrip("/")
    db_dir.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "rpm",
            *location,
            *mode,
            "--nodeps",
            "--noscripts",
            "--ignorearch",
            "--ignoreos",
            "-i",
            *map(str, rpms),
        ]
    )
    _tidy(db_dir)


def import_key(key_file: Path, dbpath: Path, *, backend: str = "sqlite") -> None:
    """`rpm --import`: adds the key as a `gpg-pubkey` pseudo-package."""
    _run(["rpm", *_db_args(dbpath, backend), "--import", str(key_file)])
    _tidy(dbpath)


@dataclass(frozen=True)
class QueriedPackage:
    """One package as `rpm -qa` prints it (rpm's `(none)` becomes None)."""

    name: str
    epoch: int | None
    version: str
    release: str
    arch: str | None
    source_rpm: str | None
    license: str | None
    files: tuple[str, ...]


_FIELDS = ("NAME", "EPOCH", "VERSION", "RELEASE", "ARCH", "SOURCERPM", "LICENSE")
_QUERY_FORMAT = "@@\t" + "\t".join(f"%{{{f}}}" for f in _FIELDS) + "\n[%{FILENAMES}\n]"


def query(dbpath: Path, *, backend: str = "sqlite") -> list[QueriedPackage]:
    """The oracle: what rpm itself reads from the database (`bdb_ro` reads Berkeley DB)."""
    out = _run(["rpm", *_db_args(dbpath, backend), "-qa", "--qf", _QUERY_FORMAT])
    _tidy(dbpath)
    packages: list[QueriedPackage] = []
    fields: list[str] = []
    files: list[str] = []
    for line in out.splitlines():
        if line.startswith("@@\t"):
            if fields:
                packages.append(_queried(fields, files))
            fields, files = line.split("\t")[1:], []
        elif line:
            files.append(line)
    if fields:
        packages.append(_queried(fields, files))
    return sorted(packages, key=lambda p: (p.name, p.version, p.release))


def export_blobs(sqlite_db: Path) -> list[tuple[int, bytes]]:
    """The header blobs of an SQLite rpmdb, by header number (read from our own file)."""
    connection = sqlite3.connect(f"file:{sqlite_db}?mode=ro&immutable=1", uri=True)
    try:
        return connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    finally:
        connection.close()


def write_bdb(
    blobs: Iterable[tuple[int, bytes]],
    path: Path,
    *,
    page_size: int = 4096,
    big_endian: bool = False,
    checksums: bool = False,
) -> None:
    """A Berkeley DB hash `Packages` written by libdb itself (`db5.3_load -t hash`).

    Keys are 4-byte header numbers in the file's byte order, as rpm wrote them on its
    host; key 0 holds rpm's next-instance counter, as in a real rpmdb.
    """
    order = ">" if big_endian else "<"
    records = list(blobs)
    lines = ["VERSION=3", "format=bytevalue", "type=hash", "HEADER=END"]
    counter = max((n for n, _ in records), default=0) + 1
    for number, blob in [(0, struct.pack(order + "I", counter)), *records]:
        lines.append(" " + struct.pack(order + "I", number).hex())
        lines.append(" " + blob.hex())
    lines.append("DATA=END")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    options = [f"db_pagesize={page_size}", f"db_lorder={4321 if big_endian else 1234}"]
    if checksums:
        options.append("chksum=1")
    _run(
        ["db5.3_load", "-t", "hash", *(a for o in options for a in ("-c", o)), str(path)],
        stdin="\n".join(lines) + "\n",
    )


def dump_bdb(path: Path) -> list[tuple[int, bytes]]:
    """The records of a Berkeley DB file as libdb reads them (`db5.3_dump`), key 0 left out.

    Keys are decoded in the file's byte order (the magic at offset 12 tells it).
    """
    order = "<" if path.read_bytes()[12:16] == bytes.fromhex("61150600") else ">"
    lines = _run(["db5.3_dump", str(path)]).splitlines()
    body = lines[lines.index("HEADER=END") + 1 : lines.index("DATA=END")]
    pairs = [bytes.fromhex(line.strip()) for line in body]
    keys, values = pairs[::2], pairs[1::2]
    records = [(struct.unpack(order + "I", k)[0], v) for k, v in zip(keys, values, strict=True)]
    return sorted((n, blob) for n, blob in records if n)


def write_ndb(blobs: Iterable[tuple[int, bytes]], path: Path) -> None:
    """An NDB `Packages.db` laid out as rpm's rpmpkg.c writes it (Debian's rpm lacks ndb)."""
    records = list(blobs)
    slots_per_page = 4096 // 16
    slot_pages = max(1, -(-(len(records) + 2) // slots_per_page))
    block = slot_pages * 4096 // 16
    slots = bytearray()
    body = bytearray()
    for index, blob in records:
        blocks = -(-(16 + len(blob) + 12) // 16)
        head = struct.pack("<4sIII", b"BlbS", index, int(SOURCE_DATE_EPOCH), len(blob))
        padding = bytes(blocks * 16 - 16 - len(blob) - 12)
        checksum = zlib.adler32(head + blob + padding)
        body += head + blob + padding + struct.pack("<II4s", checksum, len(blob), b"BlbE")
        slots += struct.pack("<4sIII", b"Slot", index, block, blocks)
        block += blocks
    next_index = max((i for i, _ in records), default=0) + 1
    header = struct.pack("<4sIIII12x", b"RpmP", 0, 1, slot_pages, next_index)
    free = b"Slot" + bytes(12)
    total_slots = slot_pages * slots_per_page - 2
    slots += free * (total_slots - len(records))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + bytes(slots) + bytes(body))


def tool_versions() -> str:
    """The versions of the tools that make the fixtures (part of the cache key)."""
    return _run(["rpm", "--version"]) + _run(["db5.3_load", "-V"])


def _queried(fields: list[str], files: list[str]) -> QueriedPackage:
    name, epoch, version, release, arch, source, license_ = (
        None if v == "(none)" else v for v in fields
    )
    assert name is not None and version is not None and release is not None
    return QueriedPackage(
        name=name,
        epoch=int(epoch) if epoch is not None else None,
        version=version,
        release=release,
        arch=arch,
        source_rpm=source,
        license=license_,
        files=tuple(files),
    )


def _db_args(dbpath: Path, backend: str) -> list[str]:
    return ["--dbpath", str(dbpath.resolve()), "--define", f"_db_backend {backend}"]


def _tidy(dbpath: Path) -> None:
    (dbpath / ".rpm.lock").unlink(missing_ok=True)
    for side in ("rpmdb.sqlite-shm", "rpmdb.sqlite-wal"):
        file = dbpath / side
        if file.exists():
            if side.endswith("-wal") and file.stat().st_size:
                raise RuntimeError(f"{file} was left with uncheckpointed pages")
            file.unlink()


def _stage(
    stage: Path, files: Mapping[str, str], directories: Iterable[str], links: Mapping[str, str]
) -> None:
    for relative, content in files.items():
        target = stage / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    for relative in directories:
        (stage / relative).mkdir(parents=True, exist_ok=True)
    for relative, points_to in links.items():
        target = stage / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(points_to)


def _spec_text(spec: RpmSpec) -> str:
    lines = [
        "%global _binaries_in_noarch_packages_terminate_build 0",
        f"Name: {spec.name}",
        f"Version: {spec.version}",
        f"Release: {spec.release}",
    ]
    if spec.epoch is not None:
        lines.append(f"Epoch: {spec.epoch}")
    lines += [
        f"Summary: {spec.name} test package",
        f"License: {spec.license}",
        f"BuildArch: {spec.arch}",
        "AutoReqProv: no",
        "",
        "%description",
        f"{spec.name}, built by tenlayer's tests.",
    ]
    for sub in spec.subpackages:
        lines += [
            "",
            f"%package -n {sub.name}",
            f"Summary: {sub.name} test subpackage",
            f"License: {sub.license}",
            "",
            f"%description -n {sub.name}",
            f"{sub.name}, built by tenlayer's tests.",
        ]
    lines += [
        "",
        "%install",
        "mkdir -p %{buildroot}",
        "cp -a %{_sourcedir}/stage/. %{buildroot}/",
        "",
        "%files",
        *_file_list(spec.files, spec.directories, spec.symlinks),
    ]
    for sub in spec.subpackages:
        lines += [
            "",
            f"%files -n {sub.name}",
            *_file_list(sub.files, sub.directories, sub.symlinks),
        ]
    return "\n".join(lines) + "\n"


def _file_list(
    files: Mapping[str, str], directories: Iterable[str], links: Mapping[str, str]
) -> list[str]:
    entries = [f'%dir "/{d}"' for d in directories]
    entries += [f'"/{p}"' for p in (*files, *links)]
    return entries


def _run(command: list[str], stdin: str | None = None) -> str:
    result = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **_QUIET_ENV},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(command)} failed ({result.returncode}): {result.stderr.strip()}"
        )
    return result.stdout
