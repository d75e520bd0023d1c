"""What the real registry will not do on demand: 5xx, silence, odd manifests, redirects.

Each case runs against a small local HTTP server scripted by the test, and checks the exact
one-line message and its exit code (2 for the user's input, 3 for the environment).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tenlayer.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, BadInput, TenlayerError
from tenlayer.image.open import OpenOptions, open_image
from tenlayer.image.walker import walk
from tests.image.registry.conftest import Pull
from tests.support import registry as support

OCI_MANIFEST = support.OCI_MANIFEST
Answer = tuple[int, dict[str, str], bytes]
OK_V2: Answer = (200, {"Docker-Distribution-Api-Version": "registry/2.0"}, b"{}")


class Blobs:
    """A valid one-layer OCI image, as the bytes a registry would serve."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.layer = support.tar_layer(files or {"etc/x": b"x\n"})
        self.config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [support.sha256(self.layer)]},
        }).encode()
        self.manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": support.OCI_CONFIG, "digest": support.sha256(self.config),
                       "size": len(self.config)},
            "layers": [{"mediaType": support.OCI_LAYER_TAR,
                        "digest": support.sha256(self.layer), "size": len(self.layer)}],
        }).encode()

    def serve(self, path: str) -> Answer | None:
        if path.endswith("/manifests/v1"):
            return 200, {"Content-Type": OCI_MANIFEST}, self.manifest
        for blob in (self.config, self.layer):
            if path.endswith(f"/blobs/{support.sha256(blob)}"):
                return 200, {"Content-Type": "application/octet-stream"}, blob
        return None


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[str], Answer]], support.ScriptedServer]]:
    started: list[support.ScriptedServer] = []

    def start(answer: Callable[[str], Answer]) -> support.ScriptedServer:
        def route(request: BaseHTTPRequestHandler) -> Answer:
            return answer(request.path)

        server = support.ScriptedServer(route)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


Serve = Callable[[Callable[[str], Answer]], support.ScriptedServer]


def fails(reference: str, *, timeout: float = 5.0, insecure: bool = True) -> TenlayerError:
    with pytest.raises(TenlayerError) as caught:
        opened = open_image(reference, OpenOptions(insecure=insecure, timeout=timeout))
        try:
            walk(opened, [])
        finally:
            opened.close()
    assert "\n" not in str(caught.value)
    return caught.value


def test_server_error_on_the_api_check(serve: Serve) -> None:
    server = serve(lambda path: (500, {}, b"boom"))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: registry {server.address} answered HTTP 500 "
        "Internal Server Error for the API version check (GET /v2/)"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


def test_server_error_on_the_manifest_names_the_registry_error(serve: Serve) -> None:
    body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "try later"}]}).encode()
    server = serve(lambda path: OK_V2 if path == "/v2/" else (503, {}, body))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: registry {server.address} answered HTTP 503 "
        "Service Unavailable for manifest v1: UNAVAILABLE: try later"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


def test_rate_limited(serve: Serve) -> None:
    server = serve(lambda path: OK_V2 if path == "/v2/" else (429, {}, b""))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: registry {server.address} is rate-limiting pulls "
        "(HTTP 429 while fetching manifest v1); try again later"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


@pytest.mark.parametrize("insecure", [True, False])
def test_silent_registry_times_out(insecure: bool) -> None:
    server = support.SilentServer()
    try:
        error = fails(f"{server.address}/team/app:v1", timeout=0.5, insecure=insecure)
    finally:
        server.stop()
    assert str(error) == (
        f"{server.address}/team/app:v1: registry {server.address} did not answer within 0.5 s"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


@pytest.mark.parametrize("insecure", [True, False])
def test_connection_refused(insecure: bool) -> None:
    address = support.refused_address()
    error = fails(f"{address}/team/app:v1", insecure=insecure)
    assert str(error) == (
        f"{address}/team/app:v1: cannot connect to registry {address} (connection refused)"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


def test_not_a_registry(serve: Serve) -> None:
    server = serve(lambda path: (404, {}, b"<html>"))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: {server.address} does not serve the registry API v2 "
        "(GET /v2/ answered 404)"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


@pytest.mark.parametrize("announced", [True, False])
def test_oversized_manifest(serve: Serve, announced: bool) -> None:
    big = b'{"schemaVersion": 2, "pad": "' + b"x" * (8 << 20) + b'"}'
    headers = {"Content-Type": OCI_MANIFEST}
    if not announced:
        headers["Connection"] = "close"  # no Content-Length: the reader has to count
    server = serve(lambda path: OK_V2 if path == "/v2/" else (200, headers, big))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: manifest v1 is too large (over 8388608 bytes; "
        "real ones are kilobytes)"
    )
    assert error.exit_code == EXIT_BAD_INPUT


SCHEMA1 = json.dumps({"schemaVersion": 1, "name": "team/app", "tag": "v1", "fsLayers": []})


@pytest.mark.parametrize(
    "content_type",
    ["application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json"],
)
def test_schema1_manifest(serve: Serve, content_type: str) -> None:
    answer = (200, {"Content-Type": content_type}, SCHEMA1.encode())
    server = serve(lambda path: OK_V2 if path == "/v2/" else answer)
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: Docker v2 schema 1 manifests are not supported "
        "(deprecated since 2019; re-push the image with a current client)"
    )
    assert error.exit_code == EXIT_BAD_INPUT


def test_unknown_manifest_media_type(serve: Serve) -> None:
    kind = "application/vnd.example.thing.v1+json"
    body = json.dumps({"schemaVersion": 2, "mediaType": kind}).encode()
    server = serve(lambda path: OK_V2 if path == "/v2/" else (200, {"Content-Type": kind}, body))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == f"{server.address}/team/app:v1: unknown manifest media type '{kind}'"
    assert error.exit_code == EXIT_BAD_INPUT


def test_malformed_docker_content_digest(serve: Serve) -> None:
    blobs = Blobs()
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": "md5:abc"}
    server = serve(
        lambda path: OK_V2 if path == "/v2/" else (200, headers, blobs.manifest)
    )
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: Docker-Content-Digest header: invalid digest 'md5:abc'"
    )
    assert isinstance(error, BadInput)


def test_blob_size_differs_from_the_manifest(serve: Serve) -> None:
    blobs = Blobs()
    layer = support.sha256(blobs.layer)

    def answer(path: str) -> Answer:
        if path.endswith(layer):
            return 200, {}, blobs.layer + b"\0" * 512
        return blobs.serve(path) or OK_V2

    server = serve(answer)
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1 layer 0 ({layer}): registry {server.address} serves "
        f"{len(blobs.layer) + 512} bytes for blob {layer}, the manifest says {len(blobs.layer)}"
    )
    assert error.exit_code == EXIT_BAD_INPUT


def test_blob_cut_off_mid_stream(serve: Serve) -> None:
    blobs = Blobs({"etc/big": bytes(200_000)})
    layer = support.sha256(blobs.layer)

    def answer(path: str) -> Answer:
        if path.endswith(layer):
            headers = {"Content-Length": str(len(blobs.layer)), "Connection": "close"}
            return 200, headers, blobs.layer[:50_000]
        return blobs.serve(path) or OK_V2

    server = serve(answer)
    error = fails(f"{server.address}/team/app:v1")
    assert str(error).startswith(
        f"{server.address}/team/app:v1 layer 0 ({layer}): connection to registry "
        f"{server.address} broke (peer closed connection without sending complete message body"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


def test_missing_blob(serve: Serve) -> None:
    blobs = Blobs()
    config = support.sha256(blobs.config)

    def answer(path: str) -> Answer:
        if path.endswith(config):
            return 404, {}, b'{"errors": [{"code": "BLOB_UNKNOWN"}]}'
        return blobs.serve(path) or OK_V2

    server = serve(answer)
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: blob {config} not found in repository team/app "
        f"on {server.address}"
    )
    assert error.exit_code == EXIT_BAD_INPUT


def test_redirected_blobs_do_not_carry_credentials(
    serve: Serve, isolated_credentials: Path, pull: Pull
) -> None:
    """Blobs sent to another origin (a CDN) get there without the registry's credentials."""
    blobs = Blobs({"etc/hello": b"from the cdn\n"})
    cdn = serve(lambda path: blobs.serve(path.partition("?")[0]) or (404, {}, b""))

    def registry(path: str) -> Answer:
        if path == "/v2/":
            return 401, {"WWW-Authenticate": 'Basic realm="test"'}, b""
        if "/blobs/" in path:
            return 307, {"Location": f"http://{cdn.address}/storage{path}?sig=1"}, b""
        return blobs.serve(path) or (404, {}, b"")

    server = serve(registry)
    config = isolated_credentials / ".docker/config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"auths": {server.address: {"auth": support.basic_auth(
        "bob", "pw")}}}))
    image, files = pull(f"{server.address}/team/app:v1")
    assert files == {"etc/hello": b"from the cdn\n"}
    assert image.config_digest == support.sha256(blobs.config)
    assert all(
        headers.get("Authorization") == f"Basic {support.basic_auth('bob', 'pw')}"
        for path, headers in server.requests if path != "/v2/"
    )
    assert [path.split("?")[0] for path, _ in cdn.requests] == [
        f"/storage/v2/team/app/blobs/{support.sha256(blobs.config)}",
        f"/storage/v2/team/app/blobs/{support.sha256(blobs.layer)}",
    ]
    assert not any("Authorization" in headers for _, headers in cdn.requests)


def test_redirect_loop(serve: Serve) -> None:
    def answer(path: str) -> Answer:
        if path == "/v2/":
            return OK_V2
        return 302, {"Location": path}, b""

    server = serve(answer)
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: registry {server.address} redirected more than 10 times"
    )


def test_unsupported_authentication_scheme(serve: Serve) -> None:
    server = serve(lambda path: (401, {"WWW-Authenticate": "Negotiate"}, b""))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: registry {server.address} asks for an unsupported "
        "authentication scheme (negotiate)"
    )
    assert error.exit_code == EXIT_ENVIRONMENT


def test_token_server_failure(serve: Serve) -> None:
    tokens = serve(lambda path: (500, {}, b"down"))
    challenge = f'Bearer realm="http://{tokens.address}/token",service="reg"'
    server = serve(lambda path: (401, {"WWW-Authenticate": challenge}, b""))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: token server {tokens.address} answered HTTP 500"
    )
    assert error.exit_code == EXIT_ENVIRONMENT
    assert tokens.requests[0][0] == "/token?service=reg&scope=repository%3Ateam%2Fapp%3Apull"


def test_token_server_sends_no_token(serve: Serve) -> None:
    tokens = serve(lambda path: (200, {"Content-Type": "application/json"}, b'{"x": 1}'))
    challenge = f'Bearer realm="http://{tokens.address}/token",service="reg"'
    server = serve(lambda path: (401, {"WWW-Authenticate": challenge}, b""))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: token server {tokens.address} sent no token"
    )


def test_config_blob_that_does_not_match_its_digest(serve: Serve) -> None:
    blobs = Blobs()
    config = support.sha256(blobs.config)
    forged = blobs.config.replace(b'"amd64"', b'"arm64"')

    def answer(path: str) -> Answer:
        if path.endswith(config):
            return 200, {}, forged
        return blobs.serve(path) or OK_V2

    server = serve(answer)
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: blob content does not match its digest {config} "
        f"(found {support.sha256(forged)})"
    )
    assert error.exit_code == EXIT_BAD_INPUT


def test_artifact_that_is_not_a_container_image(serve: Serve) -> None:
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                   "digest": support.sha256(b"{}"), "size": 2},
        "layers": [],
    }).encode()
    server = serve(
        lambda path: OK_V2 if path == "/v2/" else (200, {"Content-Type": OCI_MANIFEST}, manifest)
    )
    error = fails(f"{server.address}/charts/app:v1")
    assert str(error) == (
        f"{server.address}/charts/app:v1: not a container image (config media type "
        "'application/vnd.cncf.helm.config.v1+json')"
    )
    assert error.exit_code == EXIT_BAD_INPUT


def test_token_server_unreachable_or_invalid(serve: Serve) -> None:
    nowhere = support.refused_address()
    server = serve(lambda path: (401, {"WWW-Authenticate": (
        f'Bearer realm="http://{nowhere}/token",service="reg",'
        'scope="repository:team/app:pull"')}, b""))
    error = fails(f"{server.address}/team/app:v1")
    assert str(error) == (
        f"{server.address}/team/app:v1: cannot connect to token server {nowhere} "
        "(connection refused)"
    )
    assert error.exit_code == EXIT_ENVIRONMENT
    odd = serve(lambda path: (401, {"WWW-Authenticate": 'Bearer realm="ftp://x/token"'}, b""))
    error = fails(f"{odd.address}/team/app:v1")
    assert str(error) == (
        f"{odd.address}/team/app:v1: registry {odd.address} names an invalid token realm "
        "'ftp://x/token'"
    )
