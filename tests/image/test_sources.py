"""Every image source opens the same image the same way, and refuses damaged ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.image.open import OpenOptions, open_image
from tenlayer.image.platform import Platform
from tenlayer.inventory.scan import inventory_image
from tests.support.images import (
    DPKG_STATUS,
    OS_RELEASE,
    Layer,
    layout_to_archive,
    sha256,
    write_blob,
    write_docker_archive,
    write_oci_layout,
)


def base_layers() -> list[Layer]:
    return [
        Layer().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", DPKG_STATUS),
        Layer().file("usr/local/bin/app", "#!/bin/sh\n", mode=0o755),
    ]


def package_names(spec: str, options: OpenOptions | None = None) -> list[str]:
    return [f"{p.name}@{p.version}" for p in inventory_image(spec, options).packages]


EXPECTED = ["bash@5.2.15-2+b7", "libc6@2.36-9+deb12u7"]


@pytest.mark.parametrize("compression", ["gzip", "zstd", ""])
def test_oci_layout_with_each_layer_encoding(tmp_path: Path, compression: str) -> None:
    built = write_oci_layout(tmp_path / "oci", base_layers(), compression=compression)
    opened = open_image(str(tmp_path / "oci"))
    assert opened.image.manifest_digest == built.manifest_digest
    assert opened.image.config_digest == built.config_digest
    assert [layer.digest for layer in opened.image.layers] == built.layer_digests
    assert [layer.diff_id for layer in opened.image.layers] == built.diff_ids
    opened.close()
    assert package_names(str(tmp_path / "oci")) == EXPECTED


def test_every_source_kind_gives_the_same_packages(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    write_oci_layout(layout, base_layers())
    layout_to_archive(layout, tmp_path / "image.oci.tar")
    write_docker_archive(tmp_path / "image.docker.tar", base_layers())
    write_docker_archive(tmp_path / "gz.docker.tar", base_layers(), gzip_layers=True)
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc/os-release").write_text(OS_RELEASE)
    (rootfs / "var/lib/dpkg").mkdir(parents=True)
    (rootfs / "var/lib/dpkg/status").write_text(DPKG_STATUS)
    for spec, kind in [
        (str(layout), "oci-layout"),
        (f"oci:{layout}:latest", "oci-layout"),
        (str(tmp_path / "image.oci.tar"), "oci-archive"),
        (f"oci-archive:{tmp_path / 'image.oci.tar'}", "oci-archive"),
        (str(tmp_path / "image.docker.tar"), "docker-archive"),
        (f"docker-archive:{tmp_path / 'image.docker.tar'}:test/image:1", "docker-archive"),
        (f"docker-archive:{tmp_path / 'image.docker.tar'}:docker.io/test/image:1",
         "docker-archive"),
        (str(tmp_path / "gz.docker.tar"), "docker-archive"),
        (str(rootfs), "rootfs"),
        (f"dir:{rootfs}", "rootfs"),
    ]:
        inventory = inventory_image(spec)
        assert inventory.image.source_kind == kind, spec
        assert [f"{p.name}@{p.version}" for p in inventory.packages] == EXPECTED, spec
        assert inventory.os is not None and inventory.os.version_id == "12"


def test_blob_that_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "oci", base_layers(), compression="")
    blob = tmp_path / "oci/blobs/sha256" / built.layer_digests[1].partition(":")[2]
    data = bytearray(blob.read_bytes())
    data[600] ^= 1  # same size, different content
    blob.write_bytes(bytes(data))
    with pytest.raises(BadInput, match=r"layer 1 .*blob content does not match its digest"):
        inventory_image(str(tmp_path / "oci"))


def test_truncated_blob_is_refused(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "oci", base_layers(), compression="gzip")
    blob = tmp_path / "oci/blobs/sha256" / built.layer_digests[0].partition(":")[2]
    blob.write_bytes(blob.read_bytes()[:-100])
    with pytest.raises(BadInput, match=r"layer 0 .*has 269 bytes, its descriptor says 369"):
        inventory_image(str(tmp_path / "oci"))


def test_docker_archive_layer_checked_against_diff_id(tmp_path: Path) -> None:
    built = write_docker_archive(tmp_path / "a.tar", base_layers())
    config_name = f"{built.config_digest.partition(':')[2]}.json"
    import tarfile

    with tarfile.open(tmp_path / "a.tar") as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive}  # type: ignore[union-attr]
    files["0000000000000000000000000000000000000000000000000000000000000001/layer.tar"] = (
        base_layers()[0].tar()
    )  # the wrong layer under layer 1's name
    from tests.support.images import write_tar

    write_tar(tmp_path / "b.tar", files)
    assert config_name in files
    with pytest.raises(BadInput, match="layer 1 .*does not match its digest"):
        inventory_image(str(tmp_path / "b.tar"))


def test_missing_manifest_config_and_index(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "oci", base_layers())
    config = tmp_path / "oci/blobs/sha256" / built.config_digest.partition(":")[2]
    config.unlink()
    with pytest.raises(BadInput, match=r"layout has no blobs/sha256/"):
        open_image(str(tmp_path / "oci"))
    (tmp_path / "oci/index.json").unlink()
    with pytest.raises(BadInput, match=r"^.*oci: not an OCI image layout \(no index.json\)$"):
        open_image(f"oci:{tmp_path / 'oci'}")
    from tests.support.images import write_tar

    write_tar(tmp_path / "empty.tar", {"hello.txt": b"hi"})
    with pytest.raises(BadInput, match="not a docker-archive, OCI archive or OCI layout"):
        open_image(str(tmp_path / "empty.tar"))


def test_unknown_layer_media_type_is_refused(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "oci", base_layers())
    manifest_path = tmp_path / "oci/blobs/sha256" / built.manifest_digest.partition(":")[2]
    manifest = json.loads(manifest_path.read_bytes())
    manifest["layers"][0]["mediaType"] = "application/vnd.example.secret+tar"
    new = json.dumps(manifest).encode()
    digest = write_blob(tmp_path / "oci", new)
    (tmp_path / "oci/index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": len(new)}]})
    )
    with pytest.raises(BadInput, match="unknown layer media type 'application/vnd.example"):
        open_image(str(tmp_path / "oci"))


def test_a_digest_cannot_traverse_out_of_the_layout(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "oci", base_layers())
    (tmp_path / "oci/index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:../../../../etc/passwd", "size": 10}]})
    )
    with pytest.raises(BadInput, match=r"invalid digest 'sha256:../../../../etc/passwd'"):
        open_image(str(tmp_path / "oci"))


def test_malformed_json_is_one_clear_line(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "oci", base_layers())
    (tmp_path / "oci/index.json").write_text('{"manifests": [')
    with pytest.raises(BadInput, match=r"index.json: malformed JSON"):
        open_image(str(tmp_path / "oci"))


def test_decompression_bomb_hits_the_layer_limit(tmp_path: Path) -> None:
    bomb = Layer().file("zeros", b"\0" * (8 << 20))
    write_oci_layout(tmp_path / "oci", [bomb], compression="gzip")
    assert (tmp_path / "oci").stat()  # compressed, the layer is a few kilobytes
    options = OpenOptions(max_layer_bytes=1 << 20)
    with pytest.raises(BadInput, match="layer decompresses to more than 1048576 bytes"):
        inventory_image(str(tmp_path / "oci"), options)
    assert inventory_image(str(tmp_path / "oci")).packages == ()


def test_index_platform_selection(tmp_path: Path) -> None:
    amd = write_oci_layout(tmp_path / "oci", base_layers(), architecture="amd64")
    arm = write_oci_layout(tmp_path / "oci", [Layer().file("etc/os-release", OS_RELEASE)],
                           architecture="arm64")
    entries = []
    for built, arch in ((amd, "amd64"), (arm, "arm64")):
        size = (tmp_path / "oci/blobs/sha256" / built.manifest_digest.partition(":")[2]).stat()
        entries.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": built.manifest_digest, "size": size.st_size,
            "platform": {"os": "linux", "architecture": arch,
                         **({"variant": "v8"} if arch == "arm64" else {})},
        })
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": entries}).encode()
    digest = write_blob(tmp_path / "oci", index)
    (tmp_path / "oci/index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest,
        "size": len(index), "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}))
    opened = open_image(str(tmp_path / "oci"))
    assert opened.image.manifest_digest == amd.manifest_digest
    arm64 = open_image(str(tmp_path / "oci"), OpenOptions(platform=Platform.parse("linux/arm64")))
    assert arm64.image.manifest_digest == arm.manifest_digest
    assert arm64.image.architecture == "arm64"
    with pytest.raises(BadInput, match=r"no image for platform linux/s390x \(available: "
                                       r"linux/amd64, linux/arm64/v8\)"):
        open_image(str(tmp_path / "oci"), OpenOptions(platform=Platform.parse("linux/s390x")))


def test_layout_with_several_tags_needs_one(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "oci", base_layers(), tag="one")
    first = json.loads((tmp_path / "oci/index.json").read_text())["manifests"][0]
    second = dict(first, annotations={"org.opencontainers.image.ref.name": "two"})
    (tmp_path / "oci/index.json").write_text(json.dumps({"manifests": [first, second]}))
    with pytest.raises(BadInput, match=r"several images; name one as .*:TAG \(tags: one, two\)"):
        open_image(str(tmp_path / "oci"))
    assert open_image(f"{tmp_path / 'oci'}:two").image.repo_tags == ("two",)
    with pytest.raises(BadInput, match=r"no image tagged 'three' \(tags: one, two\)"):
        open_image(f"oci:{tmp_path / 'oci'}:three")


def test_rootfs_never_reads_through_symlinks(tmp_path: Path) -> None:
    secret = tmp_path / "host-secret"
    secret.write_text("Package: stolen\nVersion: 1\n")
    rootfs = tmp_path / "rootfs"
    (rootfs / "var/lib/dpkg").mkdir(parents=True)
    (rootfs / "var/lib/dpkg/status").symlink_to(secret)
    (rootfs / "etc").mkdir()
    (rootfs / "etc/os-release").symlink_to("/etc/os-release")
    os.mkfifo(rootfs / "etc/fifo")
    inventory = inventory_image(str(rootfs))
    assert inventory.packages == ()
    assert inventory.os is None


def test_truncated_archive_file_is_refused(tmp_path: Path) -> None:
    write_docker_archive(tmp_path / "a.tar", base_layers())
    data = (tmp_path / "a.tar").read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="cut.tar: .*(truncated|not a docker-archive)"):
        inventory_image(f"docker-archive:{tmp_path / 'cut.tar'}")


def test_config_whose_layer_count_disagrees_is_refused(tmp_path: Path) -> None:
    built = write_oci_layout(tmp_path / "oci", base_layers())
    manifest_path = tmp_path / "oci/blobs/sha256" / built.manifest_digest.partition(":")[2]
    manifest = json.loads(manifest_path.read_bytes())
    manifest["layers"] = manifest["layers"][:1]
    new = json.dumps(manifest).encode()
    digest = write_blob(tmp_path / "oci", new)
    (tmp_path / "oci/index.json").write_text(json.dumps({"manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
        "size": len(new)}]}))
    with pytest.raises(BadInput, match="config lists 2 layer diff_ids but the manifest has 1"):
        open_image(str(tmp_path / "oci"))
    assert sha256(new) == digest


def test_docker_archive_without_manifest_is_refused(tmp_path: Path) -> None:
    from tests.support.images import write_tar

    write_tar(tmp_path / "x.tar", {"repositories": b"{}", "abc/layer.tar": b""})
    with pytest.raises(BadInput, match=r"x.tar: not a docker-archive \(no manifest.json\)$"):
        open_image(f"docker-archive:{tmp_path / 'x.tar'}")


def test_uncompressed_layer_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = Layer().file("blob", os.urandom(3 << 20))
    write_oci_layout(tmp_path / "oci", [big], compression="")
    with pytest.raises(BadInput, match=r"layer 0 .*layer is \d+ bytes, more than 1048576"):
        inventory_image(str(tmp_path / "oci"), OpenOptions(max_layer_bytes=1 << 20))


def test_symlink_and_file_beneath_it_in_one_layer_touch_nothing_outside(tmp_path: Path) -> None:
    """The classic extraction escape (`dir -> /etc`, then `dir/x`) is harmless here: nothing
    is ever written, and the file stays at the path the layer names."""
    outside = tmp_path / "outside"
    outside.mkdir()
    layer = Layer().symlink("var/lib/dpkg", str(outside)).file("var/lib/dpkg/status", DPKG_STATUS)
    write_oci_layout(tmp_path / "oci", [layer])
    inventory = inventory_image(str(tmp_path / "oci"))
    assert [p.found_in for p in inventory.packages] == ["var/lib/dpkg/status"] * 2
    assert list(outside.iterdir()) == []


def test_docker_archive_tag_forms_and_missing_tag(tmp_path: Path) -> None:
    write_docker_archive(tmp_path / "a.tar", base_layers(), tag="docker.io/library/app:1")
    for tag in ("app:1", "library/app:1", "docker.io/library/app:1"):
        assert open_image(f"docker-archive:{tmp_path / 'a.tar'}:{tag}").image.repo_tags == (
            "docker.io/library/app:1",
        )
    missing = r"no image tagged 'app:2' \(tags: docker.io/library/app:1\)"
    with pytest.raises(BadInput, match=missing):
        open_image(f"docker-archive:{tmp_path / 'a.tar'}:app:2")
