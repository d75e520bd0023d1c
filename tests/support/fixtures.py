"""Paths and expected contents of the real images built by ``make fixtures``.

    from tests.support.fixtures import fixture

    def test_something() -> None:
        app = fixture("app")                # pytest.skip(...) with the reason if not built
        app.docker_archive                  # Path to app.docker.tar
        app.oci_layout, app.oci_tag         # OCI layout dir and its tag
        app.oci_archive, app.rootfs         # oci-archive tar, merged rootfs dir
        app.expected("pypi")                # {("requests", "2.32.3"), ...} visible packages
        app.deleted("pypi")                 # {("six", "1.16.0")} hidden by a whiteout layer
        app.form("docker-archive").manifest_digest

Fixture names: ``debian``, ``app``, ``zstd`` (forms ``oci-zstd``, ``oci-uncompressed``) and
``big`` (opt-in). The builder is scripts/fixtures/build.py; fixtures.json is its manifest.
Set TENLAYER_BUILD_FIXTURES=1 to let ``fixture()`` build a missing fixture (root only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES_DIR = Path(os.environ.get("TENLAYER_FIXTURES_DIR", REPO / ".cache" / "fixtures"))
MANIFEST = FIXTURES_DIR / "fixtures.json"
BUILD_SCRIPT = REPO / "scripts" / "fixtures" / "build.py"
BUILD_HINT = "run `make fixtures` as root"
APT_HINT = "apt-get install -y debootstrap umoci skopeo rpm db5.3-util"
NAMES = ("debian", "app", "zstd", "big")
UPSTREAM = {"app": "debian", "zstd": "debian", "big": "debian"}
_attempted_builds: set[str] = set()


@dataclass(frozen=True)
class ImageForm:
    """One on-disk form of a fixture image, with the digests skopeo reported at build time."""

    name: str
    transport: str  # "oci", "docker-archive", "oci-archive"
    path: Path
    tag: str
    manifest_digest: str
    config_digest: str
    layer_digests: tuple[str, ...]
    media_types: tuple[str, ...]
    diff_ids: tuple[str, ...]

    @property
    def ref(self) -> str:
        """The skopeo/syft reference, e.g. ``oci:/…/app.oci:app``."""
        suffix = f":{self.tag}" if self.transport == "oci" else ""
        return f"{self.transport}:{self.path}{suffix}"


@dataclass(frozen=True)
class Fixture:
    name: str
    meta: dict[str, Any]

    @property
    def dir(self) -> Path:
        return FIXTURES_DIR / self.name

    def form(self, form: str) -> ImageForm:
        rec = self.meta["forms"][form]
        return ImageForm(
            name=form,
            transport=rec["transport"],
            path=FIXTURES_DIR / rec["path"],
            tag=rec.get("tag", ""),
            manifest_digest=rec["manifest_digest"],
            config_digest=rec["config_digest"],
            layer_digests=tuple(layer["digest"] for layer in rec["layers"]),
            media_types=tuple(layer["media_type"] for layer in rec["layers"]),
            diff_ids=tuple(rec["diff_ids"]),
        )

    @property
    def forms(self) -> dict[str, ImageForm]:
        return {name: self.form(name) for name in self.meta["forms"]}

    @property
    def oci_layout(self) -> Path:
        return self.form("oci").path

    @property
    def oci_tag(self) -> str:
        return self.form("oci").tag

    @property
    def docker_archive(self) -> Path:
        return self.form("docker-archive").path

    @property
    def oci_archive(self) -> Path:
        return self.form("oci-archive").path

    @property
    def rootfs(self) -> Path:
        rootfs = self.meta.get("rootfs")
        if not rootfs:
            raise KeyError(f"fixture {self.name!r} has no rootfs form")
        return FIXTURES_DIR / str(rootfs["path"])

    @property
    def packages(self) -> list[dict[str, Any]]:
        """Packages visible in the merged image, as installed by the builder's tools."""
        return list(self.meta["packages"])

    @property
    def deleted_packages(self) -> list[dict[str, Any]]:
        """Packages a lower layer installed and an upper layer hid (whiteout or opaque)."""
        return list(self.meta["deleted_packages"])

    def expected(self, type_: str) -> set[tuple[str, str]]:
        """(name, version) of visible packages of one type: deb, pypi, npm, golang, rpm,
        maven (name is the artifactId; group is in ``packages``); rpm versions are the evr."""
        return {_key(p) for p in self.packages if p["type"] == type_}

    def deleted(self, type_: str) -> set[tuple[str, str]]:
        return {_key(p) for p in self.deleted_packages if p["type"] == type_}

    @property
    def layer_notes(self) -> list[str]:
        return list(self.meta["layer_notes"])


def _key(pkg: dict[str, Any]) -> tuple[str, str]:
    return (pkg["name"], pkg["evr"] if pkg["type"] == "rpm" else pkg["version"])


@cache
def _load(mtime_ns: int) -> dict[str, Any]:
    data = json.loads(MANIFEST.read_text())
    return data if isinstance(data, dict) else {}


def load_manifest() -> dict[str, Any] | None:
    """fixtures.json, or None when nothing was built."""
    try:
        return _load(MANIFEST.stat().st_mtime_ns)
    except (OSError, ValueError):
        return None


def _build_hint(name: str) -> str:
    if name == "big":
        hint = f"run `{sys.executable} {BUILD_SCRIPT.relative_to(REPO)} --only big` as root"
    else:
        hint = BUILD_HINT
    problems = []
    if os.geteuid() != 0:
        problems.append(f"building needs root, this is uid {os.geteuid()}")
    missing = [t for t in ("debootstrap", "umoci", "skopeo", "rpmbuild") if not shutil.which(t)]
    if missing:
        problems.append(f"missing {', '.join(missing)}: {APT_HINT}")
    return hint + (f" ({'; '.join(problems)})" if problems else "")


def unavailable_reason(name: str) -> str | None:
    """Why fixture ``name`` can't be used right now, or None when it is ready."""
    if name not in NAMES:
        raise KeyError(f"unknown fixture {name!r}; known: {', '.join(NAMES)}")
    manifest = load_manifest()
    if manifest is None:
        return f"fixture {name!r} is not built: no {MANIFEST}; {_build_hint(name)}"
    error = manifest.get("errors", {}).get(name)
    meta = manifest.get("fixtures", {}).get(name)
    if meta is None:
        if error:
            return f"fixture {name!r} failed to build: {error}"
        return f"fixture {name!r} is not built; {_build_hint(name)}"
    for form in meta["forms"].values():
        if not (FIXTURES_DIR / form["path"]).exists():
            return f"fixture {name!r}: {form['path']} is missing; {_build_hint(name)}"
    if meta.get("rootfs") and not (FIXTURES_DIR / meta["rootfs"]["path"]).is_dir():
        return f"fixture {name!r}: {meta['rootfs']['path']} is missing; {_build_hint(name)}"
    upstream = UPSTREAM.get(name)
    if upstream:
        up = manifest.get("fixtures", {}).get(upstream)
        if up is None or up["forms"]["oci"]["manifest_digest"] != meta["base"]["manifest_digest"]:
            return (
                f"fixture {name!r} is stale (its {upstream} base was rebuilt); {_build_hint(name)}"
            )
    return None


def _try_build(name: str) -> None:
    if os.environ.get("TENLAYER_BUILD_FIXTURES") != "1" or name in _attempted_builds:
        return
    _attempted_builds.add(name)
    if os.geteuid() != 0:
        return
    subprocess.run([sys.executable, str(BUILD_SCRIPT), "--only", name], check=False)
    _load.cache_clear()


def fixture(name: str) -> Fixture:
    """The built fixture ``name``; skips the calling test with the reason when it isn't."""
    reason = unavailable_reason(name)
    if reason is not None:
        _try_build(name)
        reason = unavailable_reason(name)
    if reason is not None:
        pytest.skip(reason)
    manifest = load_manifest()
    assert manifest is not None
    return Fixture(name=name, meta=manifest["fixtures"][name])
