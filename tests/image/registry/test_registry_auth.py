"""Basic and bearer-token authentication against real registries, credentials from files."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from tenlayer.errors import EXIT_BAD_INPUT, BadInput, EnvironmentProblem
from tenlayer.image.open import OpenOptions, open_image
from tests.image.registry.conftest import PASSWORD, USER, Pull, TokenRegistry
from tests.support import registry as support
from tests.support.registry import TokenRequest

pytestmark = pytest.mark.integration


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def docker_config(home: Path, address: str, user: str, password: str) -> Path:
    path = home / ".docker/config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {address: {"auth": b64(f"{user}:{password}")}}}))
    return path


def auth_json(path: Path, address: str, user: str, password: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {f"{address}/test": {"auth": b64(f"{user}:{password}")}}}))
    return path


def refused(reference: str) -> BadInput:
    with pytest.raises(BadInput) as caught:
        open_image(reference, OpenOptions(insecure=True, timeout=10.0))
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert PASSWORD not in str(caught.value)
    return caught.value


# -- htpasswd (HTTP basic) -------------------------------------------------------------


def test_basic_auth_without_credentials(basic_registry: support.Registry) -> None:
    reference = f"{basic_registry.address}/test/small:v1"
    assert str(refused(reference)) == (
        f"{reference}: registry {basic_registry.address} requires a login (no credentials "
        "found (no docker config.json or containers auth.json); run docker login or "
        "podman login)"
    )


def test_basic_auth_from_docker_config(
    basic_registry: support.Registry, layout: Path, isolated_credentials: Path, pull: Pull
) -> None:
    docker_config(isolated_credentials, basic_registry.address, USER, PASSWORD)
    image, files = pull(f"{basic_registry.address}/test/small:v1")
    assert image.manifest_digest == support.describe_layout_image(layout, "small").manifest_digest
    assert files["etc/hello.txt"] == b"hello\n"


def test_basic_auth_from_auth_json(
    basic_registry: support.Registry, layout: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, pull: Pull,
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    auth_json(tmp_path / "run/containers/auth.json", basic_registry.address, USER, PASSWORD)
    image, _ = pull(f"{basic_registry.address}/test/small:v1")
    assert image.manifest_digest == support.describe_layout_image(layout, "small").manifest_digest


def test_basic_auth_wrong_password(
    basic_registry: support.Registry, isolated_credentials: Path
) -> None:
    config = docker_config(isolated_credentials, basic_registry.address, USER, "wrong")
    reference = f"{basic_registry.address}/test/small:v1"
    assert str(refused(reference)) == (
        f"{reference}: not authorized to pull test/small from {basic_registry.address} "
        f"(credentials from {config} ({basic_registry.address}) were refused; HTTP 401: "
        "UNAUTHORIZED: authentication required)"
    )


# -- token server (bearer) -------------------------------------------------------------


def test_token_auth_anonymous_gets_no_access(token_registry: TokenRegistry) -> None:
    reference = f"{token_registry.address}/test/small:v1"
    assert str(refused(reference)) == (
        f"{reference}: not authorized to pull test/small from {token_registry.address} "
        "(the repository may not exist, or needs a login: no credentials found (no docker "
        "config.json or containers auth.json); HTTP 401: UNAUTHORIZED: authentication "
        "required)"
    )
    assert token_registry.tokens.requests[-1] == TokenRequest(
        "GET", None, ["repository:test/small:pull"]
    )


def test_token_auth_with_docker_config(
    token_registry: TokenRegistry, layout: Path, isolated_credentials: Path, pull: Pull
) -> None:
    docker_config(isolated_credentials, token_registry.address, USER, PASSWORD)
    token_registry.tokens.requests.clear()
    image, files = pull(f"{token_registry.address}/test/small:v1")
    assert image.manifest_digest == support.describe_layout_image(layout, "small").manifest_digest
    assert files["srv/data.bin"] == bytes(range(256)) * 64
    # One token, asked for once (at the API check), for exactly the pull scope.
    assert token_registry.tokens.requests == [
        TokenRequest("GET", USER, ["repository:test/small:pull"])
    ]


def test_token_auth_with_auth_json(
    token_registry: TokenRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pull: Pull
) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "auth.json"))
    auth_json(tmp_path / "auth.json", token_registry.address, USER, PASSWORD)
    image, _ = pull(f"{token_registry.address}/test/small:v1")
    assert image.source_kind == "registry"


def test_token_auth_wrong_password(
    token_registry: TokenRegistry, isolated_credentials: Path
) -> None:
    config = docker_config(isolated_credentials, token_registry.address, USER, "wrong")
    reference = f"{token_registry.address}/test/small:v1"
    assert str(refused(reference)) == (
        f"{reference}: not authorized: token server 127.0.0.1:{token_registry.tokens.port} "
        "refused credentials from "
        f"{config} ({token_registry.address}) (HTTP 401)"
    )


@pytest.mark.usefixtures("token_tools")
def test_token_auth_user_without_pull_rights(
    layout: Path, tmp_path: Path, isolated_credentials: Path
) -> None:
    def only_alice(account: str | None, kind: str, name: str, actions: list[str]) -> list[str]:
        return actions if account == USER else []

    tokens = support.TokenServer(
        tmp_path / "tokens", users={USER: PASSWORD, "mallory": "m-pw"}, grant=only_alice
    )
    registry = support.start_registry(tmp_path / "registry", auth=tokens.registry_auth())
    try:
        support.skopeo_copy(
            f"oci:{layout}:small", f"docker://{registry.address}/test/small:v1",
            "--dest-creds", f"{USER}:{PASSWORD}",
        )
        config = docker_config(isolated_credentials, registry.address, "mallory", "m-pw")
        reference = f"{registry.address}/test/small:v1"
        assert str(refused(reference)) == (
            f"{reference}: not authorized to pull test/small from {registry.address} "
            f"(credentials from {config} ({registry.address}) were refused; HTTP 401: "
            "UNAUTHORIZED: authentication required)"
        )
    finally:
        registry.stop()
        tokens.stop()


def test_identity_token_uses_the_oauth2_refresh_grant(
    token_registry: TokenRegistry, isolated_credentials: Path, pull: Pull
) -> None:
    path = isolated_credentials / ".docker/config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"auths": {token_registry.address: {
        "auth": b64(f"{USER}:"), "identitytoken": "refresh-alice",
    }}}))
    token_registry.tokens.requests.clear()
    image, _ = pull(f"{token_registry.address}/test/small:v1")
    assert image.source_kind == "registry"
    assert token_registry.tokens.requests == [
        TokenRequest("POST", USER, ["repository:test/small:pull"], "refresh_token")
    ]


def test_credential_helper_for_token_auth(
    token_registry: TokenRegistry, isolated_credentials: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, pull: Pull,
) -> None:
    helper = tmp_path / "bin/docker-credential-tltest"
    helper.parent.mkdir()
    helper.write_text(
        "#!/bin/sh\nserver=$(cat)\n"
        f'[ "$server" = "{token_registry.address}" ] || exit 1\n'
        f"echo '{{\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n"
    )
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{helper.parent}:{os.environ['PATH']}")
    config = isolated_credentials / ".docker/config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"credHelpers": {token_registry.address: "tltest"}}))
    token_registry.tokens.requests.clear()
    pull(f"{token_registry.address}/test/small:v1")
    assert token_registry.tokens.requests == [
        TokenRequest("GET", USER, ["repository:test/small:pull"])
    ]


@pytest.mark.usefixtures("token_tools")
def test_expired_token_is_renewed(
    layout: Path, tmp_path: Path, isolated_credentials: Path, pull: Pull
) -> None:
    """A token that has expired by the next request gets a 401; the client asks again."""
    tokens = support.TokenServer(tmp_path / "tokens", users={USER: PASSWORD})
    registry = support.start_registry(tmp_path / "registry", auth=tokens.registry_auth())
    try:
        support.skopeo_copy(
            f"oci:{layout}:small", f"docker://{registry.address}/test/small:v1",
            "--dest-creds", f"{USER}:{PASSWORD}",
        )
        docker_config(isolated_credentials, registry.address, USER, PASSWORD)
        tokens.requests.clear()
        tokens.stale_tokens = 1
        image, _ = pull(f"{registry.address}/test/small:v1")
        assert image.manifest_digest == (
            support.describe_layout_image(layout, "small").manifest_digest
        )
        assert [r.account for r in tokens.requests] == [USER, USER]
        # Twice stale in a row is a refusal, not a loop.
        tokens.stale_tokens = 2
        reference = f"{registry.address}/test/small:v1"
        assert str(refused(reference)).startswith(
            f"{reference}: not authorized to pull test/small from {registry.address} "
        )
    finally:
        registry.stop()
        tokens.stop()


@pytest.mark.usefixtures("token_tools")
def test_plain_http_token_server_needs_insecure(
    layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_credentials: Path,
    pull: Pull,
) -> None:
    """A TLS registry whose token realm is plain HTTP: credentials would travel in clear."""
    tokens = support.TokenServer(tmp_path / "tokens", users={USER: PASSWORD})
    keys = support.make_certificate("127.0.0.1", san_ip="127.0.0.1")
    registry = support.start_registry(
        tmp_path / "registry", auth=tokens.registry_auth(), tls=keys
    )
    try:
        support.skopeo_copy(
            f"oci:{layout}:small", f"docker://{registry.address}/test/small:v1",
            "--dest-creds", f"{USER}:{PASSWORD}",
        )
        docker_config(isolated_credentials, registry.address, USER, PASSWORD)
        tokens.requests.clear()
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "registry/tls.crt"))
        reference = f"{registry.address}/test/small:v1"
        with pytest.raises(EnvironmentProblem) as caught:
            open_image(reference, OpenOptions(timeout=5.0))
        assert str(caught.value) == (
            f"{reference}: registry {registry.address} names a plain-HTTP token server "
            f"(127.0.0.1:{tokens.port}); pass --insecure to allow it"
        )
        assert tokens.requests == []
        assert pull(reference, insecure=True)[0].source_kind == "registry"
    finally:
        registry.stop()
        tokens.stop()
