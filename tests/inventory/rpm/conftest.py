"""Real rpm databases in every format, built once and cached by their builder's inputs.

A handful of tiny RPMs (an epoch of 2, an epoch of 0, none; noarch and x86_64; a
subpackage with its own license; a directory shared by two packages; a package with no
files; file names with a space and non-ASCII letters; one package big enough to span many
Berkeley DB pages) plus a `gpg-pubkey`, installed with rpm into an SQLite rpmdb. The same
header blobs then go into Berkeley DB hash files written by libdb (both byte orders,
small and large pages, page checksums) and into an NDB file. rpm's own answer for each
database (`rpm -qa`, reading Berkeley DB through its `bdb_ro` backend, which cannot read
checksummed pages) is kept beside it.

The build lands in `.cache/fixtures/rpm/<hash>/`, where the hash covers this file,
rpmtools.py, the key and the tools' versions: change any and it is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.inventory.rpm import rpmtools
from tests.inventory.rpm.rpmtools import QueriedPackage, RpmSpec, RpmSubpackage

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CACHE = ROOT / ".cache" / "fixtures" / "rpm"
KEY = HERE / "data" / "RPM-GPG-KEY-tenlayer-test"

SPECS = (
    RpmSpec(
        name="alpha",
        version="1.2",
        release="3.el9",
        epoch=2,
        license="MIT AND GPL-2.0-or-later",
        files={
            "etc/alpha.conf": "answer = 42\n",
            "usr/share/alpha/a.txt": "a\n",
            "usr/share/alpha/with space.txt": "space\n",
            "usr/share/alpha/ünïcödé.txt": "utf-8\n",
            "usr/lib/python3.9/site-packages/alpha-1.2.dist-info/METADATA": (
                "Metadata-Version: 2.1\nName: alpha\nVersion: 1.2\n"
            ),
        },
        directories=("usr/share/alpha", "usr/lib/python3.9/site-packages/alpha-1.2.dist-info"),
    ),
    RpmSpec(
        name="zero",
        version="0.9",
        release="1.fc40",
        epoch=0,
        license="BSD-3-Clause",
        files={"usr/share/zero/z.txt": "z\n"},
    ),
    RpmSpec(
        name="plain",
        version="5.1.8",
        release="6.el9",
        arch="x86_64",
        license="GPL-3.0-or-later",
        files={"usr/bin/plain": "#!/bin/sh\necho plain\n"},
        directories=("usr/share/doc/plain",),
        subpackages=(
            RpmSubpackage(
                name="plain-libs",
                license="LGPL-2.1-or-later",
                files={"usr/lib64/libplain.so.5": "not really a library\n"},
                directories=("usr/share/doc/plain",),
                symlinks={"usr/lib64/libplain.so": "libplain.so.5"},
            ),
        ),
    ),
    RpmSpec(name="meta", version="1", release="0", license="Public Domain"),
    RpmSpec(
        name="big",
        version="2024.1",
        release="7",
        license="Apache-2.0",
        files={f"usr/share/big/d{n % 7}/file-{n:04d}.dat": f"{n}\n" for n in range(400)},
    ),
)

BDB_VARIANTS: dict[str, dict[str, Any]] = {
    "bdb-le": {},
    "bdb-be": {"big_endian": True},
    "bdb-512": {"page_size": 512},
    "bdb-64k": {"page_size": 65536},
    "bdb-chksum": {"checksums": True, "big_endian": True},
}


@dataclass(frozen=True)
class RpmDbs:
    """Where each built database is, and what rpm says each holds."""

    root: Path
    rpms: tuple[Path, ...]

    @property
    def sqlite(self) -> Path:
        return self.root / "sqlite" / "rpmdb.sqlite"

    @property
    def ndb(self) -> Path:
        return self.root / "ndb" / "Packages.db"

    def bdb(self, variant: str) -> Path:
        return self.root / variant / "Packages"

    def oracle(self, name: str = "sqlite") -> list[QueriedPackage]:
        """`rpm -qa` on the `sqlite` database or on a Berkeley DB variant."""
        raw = json.loads((self.root / f"oracle-{name}.json").read_text(encoding="utf-8"))
        return [QueriedPackage(**{**entry, "files": tuple(entry["files"])}) for entry in raw]


def cache_key() -> str:
    digest = hashlib.sha256()
    for path in (Path(__file__), Path(rpmtools.__file__), KEY):
        digest.update(path.read_bytes())
    digest.update(repr(SPECS).encode())
    digest.update(rpmtools.tool_versions().encode())
    return digest.hexdigest()[:16]


def build(target: Path) -> None:
    """Build every database into `target` (a fresh directory)."""
    rpm_dir = target / "rpms"
    rpms = [rpm for spec in SPECS for rpm in rpmtools.build_rpm(spec, rpm_dir)]
    sqlite_dir = target / "sqlite"
    rpmtools.install_rpms(rpms, sqlite_dir)
    rpmtools.import_key(KEY, sqlite_dir)
    _save(target / "oracle-sqlite.json", rpmtools.query(sqlite_dir))
    blobs = rpmtools.export_blobs(sqlite_dir / "rpmdb.sqlite")
    for variant, options in BDB_VARIANTS.items():
        rpmtools.write_bdb(blobs, target / variant / "Packages", **options)
        if not options.get("checksums"):  # rpm's bdb_ro cannot read checksummed pages
            oracle = rpmtools.query(target / variant, backend="bdb_ro")
            _save(target / f"oracle-{variant}.json", oracle)
    rpmtools.write_ndb(blobs, target / "ndb" / "Packages.db")


def _save(path: Path, packages: list[QueriedPackage]) -> None:
    path.write_text(json.dumps([asdict(p) for p in packages], indent=1), encoding="utf-8")


@pytest.fixture(scope="session")
def rpmdbs() -> RpmDbs:
    for tool in ("rpm", "rpmbuild", "db5.3_load"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} is missing: install Debian's rpm and db5.3-util (make system-deps)"
            )
    target = CACHE / cache_key()
    if not (target / "done").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE))
        try:
            build(scratch)
            (scratch / "done").touch()
            shutil.rmtree(target, ignore_errors=True)
            scratch.rename(target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for stale in CACHE.iterdir():  # builds for older inputs
            if stale != target and not stale.name.startswith("build-"):
                shutil.rmtree(stale, ignore_errors=True)
    rpms = tuple(sorted((target / "rpms").rglob("*.rpm")))
    return RpmDbs(root=target, rpms=rpms)
