"""Pulling from a real distribution registry: metadata, layers, platforms, damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenlayer.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, BadInput, EnvironmentProblem
from tenlayer.image.open import OpenOptions, open_image
from tenlayer.image.platform import Platform
from tenlayer.model import ImageLayer
from tests.image.registry.conftest import Pull
from tests.support import registry as support

pytestmark = pytest.mark.integration

GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
SMALL_FILES = {
    "etc/hello.txt": b"hello\n",
    "usr/bin/tool": b"#!/bin/sh\n",
    "srv/data.bin": bytes(range(256)) * 64,
}


def expected_layers(built: support.LayoutImage, media_type: str) -> tuple[ImageLayer, ...]:
    return tuple(
        ImageLayer(
            index=number,
            digest=layer["digest"],
            diff_id=built.diff_ids[number],
            media_type=media_type,
            size=layer["size"],
            created_by="umoci insert",
        )
        for number, layer in enumerate(built.manifest["layers"])
    )


def test_anonymous_pull_by_tag(plain_registry: support.Registry, layout: Path, pull: Pull) -> None:
    built = support.describe_layout_image(layout, "small")
    reference = f"{plain_registry.address}/test/small:v1"
    image, files = pull(reference)
    assert image.reference == reference
    assert image.source_kind == "registry"
    assert image.manifest_digest == built.manifest_digest
    assert image.config_digest == built.config_digest
    assert image.layers == expected_layers(built, GZIP)
    assert [layer.digest for layer in image.layers] == built.layer_digests
    assert image.platform == "linux/amd64"
    assert image.repo_tags == (reference,)
    assert image.config["config"] == {"Cmd": ["/bin/sh"]}
    assert files == SMALL_FILES  # etc/motd was deleted by the whiteout layer


def test_pull_by_digest_and_transport_prefixes(
    plain_registry: support.Registry, layout: Path, pull: Pull
) -> None:
    built = support.describe_layout_image(layout, "small")
    by_digest = f"{plain_registry.address}/test/small@{built.manifest_digest}"
    image, files = pull(by_digest)
    assert (image.reference, image.manifest_digest, image.repo_tags) == (
        by_digest, built.manifest_digest, (),
    )
    assert files == SMALL_FILES
    for spec in (f"docker://{plain_registry.address}/test/small:v1",
                 f"registry:{plain_registry.address}/test/small:v1"):
        assert pull(spec)[0].manifest_digest == built.manifest_digest


def test_docker_schema2_image(plain_registry: support.Registry, layout: Path, pull: Pull) -> None:
    built = support.describe_layout_image(layout, "small")
    reference = f"{plain_registry.address}/test/docker:v1"
    raw = support.skopeo_inspect_raw(f"docker://{reference}")
    assert json.loads(raw)["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    image, files = pull(reference)
    assert files == SMALL_FILES
    assert image.manifest_digest == support.sha256(raw)
    assert image.config_digest == built.config_digest  # the config bytes are kept
    assert [layer.digest for layer in image.layers] == built.layer_digests
    assert {layer.media_type for layer in image.layers} == {DOCKER_GZIP}
    assert [layer.diff_id for layer in image.layers] == built.diff_ids


def test_multi_arch_index_default_and_chosen_platform(
    plain_registry: support.Registry, layout: Path, pull: Pull
) -> None:
    reference = f"{plain_registry.address}/test/multi:latest"
    amd64 = support.describe_layout_image(layout, "amd64")
    arm64 = support.describe_layout_image(layout, "arm64")
    image, files = pull(reference)
    assert (image.manifest_digest, image.config_digest, image.platform) == (
        amd64.manifest_digest, amd64.config_digest, "linux/amd64",
    )
    assert files == {"etc/arch": b"amd64\n"}
    image, files = pull(reference, platform=Platform.parse("linux/arm64"))
    assert (image.manifest_digest, image.config_digest, image.platform) == (
        arm64.manifest_digest, arm64.config_digest, "linux/arm64/v8",
    )
    assert [layer.digest for layer in image.layers] == arm64.layer_digests
    assert files == {"etc/arch": b"arm64\n"}


def test_missing_platform_lists_the_available_ones(plain_registry: support.Registry) -> None:
    reference = f"{plain_registry.address}/test/multi:latest"
    options = OpenOptions(platform=Platform.parse("linux/s390x"), insecure=True)
    with pytest.raises(BadInput) as caught:
        open_image(reference, options)
    assert str(caught.value) == (
        f"{reference}: no image for platform linux/s390x "
        "(available: linux/amd64, linux/arm64/v8)"
    )


def test_unknown_tag_and_repository(plain_registry: support.Registry) -> None:
    address = plain_registry.address
    with pytest.raises(BadInput) as caught:
        open_image(f"{address}/test/small:nope", OpenOptions(insecure=True))
    assert str(caught.value) == (
        f"{address}/test/small:nope: image not found (registry {address} has no manifest "
        "nope in repository test/small)"
    )
    assert caught.value.exit_code == EXIT_BAD_INPUT
    digest = "sha256:" + "0" * 64
    with pytest.raises(BadInput) as caught:
        open_image(f"{address}/test/ghost@{digest}", OpenOptions(insecure=True))
    assert str(caught.value) == (
        f"{address}/test/ghost@{digest}: image not found (registry {address} has no "
        f"manifest {digest} in repository test/ghost)"
    )


def test_plain_http_needs_insecure(plain_registry: support.Registry) -> None:
    reference = f"{plain_registry.address}/test/small:v1"
    with pytest.raises(EnvironmentProblem) as caught:
        open_image(reference, OpenOptions(timeout=5.0))
    message = str(caught.value)
    assert message.startswith(f"{reference}: cannot connect to registry {plain_registry.address} (")
    assert message.endswith(
        f"; if {plain_registry.address} serves plain HTTP, pass --insecure"
    )
    assert caught.value.exit_code == EXIT_ENVIRONMENT


def test_uncompressed_layers_pushed_through_the_api(
    plain_registry: support.Registry, pull: Pull
) -> None:
    pushed = support.push_plain_image(
        plain_registry.url, "test/plain", "v1",
        [{"etc/one": b"1\n"}, {"etc/two": b"2\n", "etc/.wh.one": b""}],
    )
    image, files = pull(f"{plain_registry.address}/test/plain:v1")
    assert image.manifest_digest == pushed.manifest_digest
    assert image.config_digest == pushed.config_digest
    assert [layer.digest for layer in image.layers] == pushed.layer_digests
    assert [layer.created_by for layer in image.layers] == ["layer 0", "layer 1"]
    assert files == {"etc/two": b"2\n"}


def test_tampered_layer_blob_is_refused(plain_registry: support.Registry, pull: Pull) -> None:
    pushed = support.push_plain_image(
        plain_registry.url, "test/tampered", "v1", [{"etc/secret": b"the genuine content\n"}]
    )
    blob = plain_registry.blob_path(pushed.layer_digests[0])
    data = blob.read_bytes()
    blob.write_bytes(data.replace(b"genuine", b"altered"))  # same size, other bytes
    reference = f"{plain_registry.address}/test/tampered:v1"
    with pytest.raises(BadInput) as caught:
        pull(reference)
    digest = pushed.layer_digests[0]
    altered = support.sha256(data.replace(b"genuine", b"altered"))
    assert str(caught.value) == (
        f"{reference} layer 0 ({digest}): blob content does not match its digest {digest} "
        f"(found {altered})"
    )


def test_tampered_manifest_is_refused(plain_registry: support.Registry) -> None:
    pushed = support.push_plain_image(
        plain_registry.url, "test/forged", "v1", [{"etc/x": b"forged manifest test\n"}]
    )
    blob = plain_registry.blob_path(pushed.manifest_digest)
    forged = json.loads(blob.read_bytes())
    forged["annotations"] = {"x": "y" * 3}
    blob.write_bytes(json.dumps(forged).encode())
    reference = f"{plain_registry.address}/test/forged:v1"
    with pytest.raises(BadInput) as caught:
        open_image(reference, OpenOptions(insecure=True))
    found = support.sha256(json.dumps(forged).encode())
    assert str(caught.value) == (
        f"{reference}: manifest from {plain_registry.address} does not match the registry's "
        f"Docker-Content-Digest {pushed.manifest_digest} (found {found})"
    )
    by_digest = f"{plain_registry.address}/test/forged@{pushed.manifest_digest}"
    with pytest.raises(BadInput) as caught:
        open_image(by_digest, OpenOptions(insecure=True))
    assert str(caught.value) == (
        f"{by_digest}: manifest from {plain_registry.address} does not match the "
        f"reference's digest {pushed.manifest_digest} (found {found})"
    )


@pytest.mark.usefixtures("token_tools")
def test_tls_registry_verified_unverified_and_untrusted(
    layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pull: Pull
) -> None:
    keys = support.make_certificate("127.0.0.1", san_ip="127.0.0.1")
    registry = support.start_registry(tmp_path / "tls-registry", tls=keys)
    try:
        support.skopeo_copy(f"oci:{layout}:small", f"docker://{registry.address}/test/small:v1")
        reference = f"{registry.address}/test/small:v1"
        built = support.describe_layout_image(layout, "small")
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "tls-registry/tls.crt"))
        image, files = pull(reference, insecure=False)
        assert (image.manifest_digest, files) == (built.manifest_digest, SMALL_FILES)
        monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        with pytest.raises(EnvironmentProblem) as caught:
            open_image(reference, OpenOptions(timeout=5.0))
        assert str(caught.value) == (
            f"{reference}: TLS certificate of registry {registry.address} is not trusted "
            "(self-signed certificate); add its CA to SSL_CERT_FILE, or pass --insecure"
        )
        assert pull(reference, insecure=True)[0].manifest_digest == built.manifest_digest
    finally:
        registry.stop()
