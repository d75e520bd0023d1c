"""The token service with the real distribution registry and skopeo: Harbor's roles, end to end.

One `docker-registry` (token auth) and one `tenlayer registry serve` subprocess for the
module, on 127.0.0.1. Every case is a real `skopeo copy`/`skopeo delete` with `--creds`
(or none, anonymous); the registry enforces the tokens tenlayer issued. The registry also
refuses forged tokens (alg none, HS256 keyed with the public certificate, wrong audience).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from tenlayer.registry.access import Role
from tenlayer.registry.keys import load_key, write_key
from tenlayer.registry.store import Store
from tests.support import registry as support

pytestmark = pytest.mark.integration

SERVICE, ISSUER = "tenlayer-e2e", "tenlayer-e2e-issuer"
PASSWORD = "correct horse"
USERS = {
    "admin": None, "padmin": Role.PROJECT_ADMIN, "maint": Role.MAINTAINER,
    "dev": Role.DEVELOPER, "guest": Role.GUEST, "lguest": Role.LIMITED_GUEST,
    "outsider": None, "grouped": None, "leaver": Role.DEVELOPER,
}


def need(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def tenlayer(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenlayer", "registry", *args], capture_output=True, text=True,
        timeout=60, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )


@dataclass
class World:
    registry: support.Registry
    token_url: str
    config: Path
    store: Store
    layout: Path
    work: Path
    key_pem: bytes
    cert_der: bytes
    cert_pem: bytes
    robot_secret: str
    expired_secret: str


def _policy(work: Path) -> Path:
    path = work / "policy.json"
    path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    missing = support.missing_tools()
    need(not missing, f"needs {', '.join(missing)} (apt-get install docker-registry skopeo umoci)")
    work = tmp_path_factory.mktemp("registry-roles")
    layout = work / "oci"
    support.build_layout(layout, "v1", [{"/etc/hello.txt": b"hello\n"}])
    key_path, cert_path = write_key(work / "keys", ISSUER)
    port = support.free_port()
    config = work / "tenlayer-registry.yml"
    config.write_text(json.dumps({
        "listen": f"127.0.0.1:{port}", "issuer": ISSUER, "service": SERVICE,
        "keys": [{"certificate": "keys/token.crt", "key": "keys/token.key"}],
        "throttle": {"free": 1000, "base": 1, "cap": 1},
    }))
    # the first administrator through the CLI, the rest through the store on the same database
    done = tenlayer("user", "add", "admin", "--admin", "--config", str(config),
                    env={"TENLAYER_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    store = Store(f"sqlite:///{work / 'tenlayer-registry.db'}")
    store.add_project("team")
    store.add_project("pub", public=True)
    for name, role in USERS.items():
        if name != "admin":
            store.add_user(name, PASSWORD)
        if role is not None:
            store.add_member("team", "user", name, role)
    store.add_group("builders", ["grouped"])
    store.add_member("team", "group", "builders", Role.DEVELOPER)
    robot = store.add_robot("puller", {"team": ["pull"]}, expires_at=None)
    expired = store.add_robot(
        "stale", {"team": ["pull", "push"]},
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1),
    )
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "tenlayer", "registry", "serve", "--config", str(config)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    token_url = f"http://127.0.0.1:{port}"
    registry = None
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, (work / "serve.log").read_text()
            try:
                if httpx.get(f"{token_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "tenlayer registry serve did not start"
            time.sleep(0.05)
        registry = support.start_registry(work / "registry", auth={"token": {
            "realm": f"{token_url}/token", "service": SERVICE, "issuer": ISSUER,
            "rootcertbundle": str(cert_path),
        }})
        key = load_key(cert_path, key_path)
        yield World(registry, token_url, config, store, layout, work, key_path.read_bytes(),
                    key.certificate_der, key.certificate_pem, robot.secret, expired.secret)
    finally:
        if registry is not None:
            registry.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        store.close()


def skopeo(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["skopeo", "--policy", str(_policy(world.work)), *args],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


def outcome(done: subprocess.CompletedProcess[str]) -> bool:
    """True when skopeo succeeded; False when the registry or token service refused it.

    Any other failure (a broken fixture, a network error) fails the test instead."""
    if done.returncode == 0:
        return True
    refused = ("requested access to the resource is denied", "401 Unauthorized",
               "invalid username or password", "the robot's secret expired at")
    assert any(reason in done.stderr for reason in refused), done.stderr
    return False


def push(world: World, user: str | None, reference: str, secret: str = PASSWORD) -> bool:
    login = [] if user is None else ["--dest-creds", f"{user}:{secret}"]
    done = skopeo(world, "copy", "--quiet", "--dest-tls-verify=false", *login,
                  f"oci:{world.layout}:v1", f"docker://{world.registry.address}/{reference}")
    return outcome(done)


def pull(world: World, user: str | None, reference: str, secret: str = PASSWORD) -> bool:
    login = [] if user is None else ["--src-creds", f"{user}:{secret}"]
    target = world.work / "pulled" / uuid.uuid4().hex
    target.parent.mkdir(exist_ok=True)
    done = skopeo(world, "copy", "--quiet", "--src-tls-verify=false", *login,
                  f"docker://{world.registry.address}/{reference}", f"oci:{target}:x")
    return outcome(done)


def delete(world: World, user: str | None, reference: str) -> bool:
    login = [] if user is None else ["--creds", f"{user}:{PASSWORD}"]
    done = skopeo(world, "delete", "--tls-verify=false", *login,
                  f"docker://{world.registry.address}/{reference}")
    return outcome(done)


def test_push_by_role(world: World) -> None:
    allowed = {name: push(world, name, f"team/app:{name}") for name in USERS}
    allowed["(anonymous)"] = push(world, None, "team/app:anonymous")
    assert allowed == {
        "admin": True, "padmin": True, "maint": True, "dev": True, "grouped": True,
        "leaver": True, "guest": False, "lguest": False, "outsider": False,
        "(anonymous)": False,
    }


def test_pull_by_role(world: World) -> None:
    assert push(world, "admin", "team/app:v1")
    allowed = {name: pull(world, name, "team/app:v1") for name in USERS}
    allowed["(anonymous)"] = pull(world, None, "team/app:v1")
    assert allowed == {
        "admin": True, "padmin": True, "maint": True, "dev": True, "grouped": True,
        "leaver": True, "guest": True, "lguest": True, "outsider": False,
        "(anonymous)": False,
    }


def test_delete_by_role(world: World) -> None:
    outcome = {}
    for name in ["dev", "guest", "lguest", "outsider", None, "maint", "padmin", "admin"]:
        tag = f"del-{name or 'anonymous'}"
        assert push(world, "admin", f"team/app:{tag}")
        outcome[name or "(anonymous)"] = delete(world, name, f"team/app:{tag}")
    assert outcome == {
        "dev": False, "guest": False, "lguest": False, "outsider": False,
        "(anonymous)": False, "maint": True, "padmin": True, "admin": True,
    }


def test_public_project(world: World) -> None:
    assert push(world, "admin", "pub/tool:v1")
    assert pull(world, None, "pub/tool:v1")  # anonymous pulls a public project
    assert pull(world, "outsider", "pub/tool:v1")  # so does any signed-in user
    assert not push(world, None, "pub/tool:anon")
    assert not push(world, "outsider", "pub/tool:outsider")
    assert not delete(world, "outsider", "pub/tool:v1")


def test_unknown_project_grants_nothing(world: World) -> None:
    assert not push(world, "admin", "nowhere/app:v1")
    assert not push(world, "admin", "toplevel:v1")  # no project component


def test_robot_with_pull_only(world: World) -> None:
    assert push(world, "admin", "team/robot:v1")
    assert pull(world, "robot$puller", "team/robot:v1", world.robot_secret)
    assert not push(world, "robot$puller", "team/robot:v2", world.robot_secret)
    assert not pull(world, "robot$puller", "team/robot:v1", "not-the-secret")
    assert not pull(world, "robot$puller", "pub/tool:missing-tag", world.robot_secret)


def test_expired_robot_secret_refused(world: World) -> None:
    assert push(world, "admin", "team/robot:v1")
    assert not pull(world, "robot$stale", "team/robot:v1", world.expired_secret)
    answer = httpx.get(f"{world.token_url}/token", params={"service": SERVICE},
                       auth=("robot$stale", world.expired_secret))
    assert answer.status_code == 401
    # the right secret learns why; a guess learns nothing more than for any account
    assert answer.json()["details"].startswith("robot$stale: the robot's secret expired at ")
    guess = httpx.get(f"{world.token_url}/token", params={"service": SERVICE},
                      auth=("robot$stale", "not-the-secret"))
    assert (guess.status_code, guess.json()["details"]) == (401, "invalid username or password")


def test_removed_member_refused(world: World) -> None:
    assert push(world, "admin", "team/leave:v1")
    assert pull(world, "leaver", "team/leave:v1")
    world.store.remove_member("team", "user", "leaver")
    assert not pull(world, "leaver", "team/leave:v1")
    assert not push(world, "leaver", "team/leave:v2")


def test_removed_from_group_refused(world: World) -> None:
    assert push(world, "grouped", "team/grp:v1")
    world.store.remove_group_user("builders", "grouped")
    assert not push(world, "grouped", "team/grp:v2")
    assert not pull(world, "grouped", "team/grp:v1")


def test_wrong_password_is_401_with_a_message(world: World) -> None:
    answer = httpx.get(f"{world.token_url}/token",
                       params={"service": SERVICE, "scope": "repository:team/app:pull"},
                       auth=("dev", "wrong password"))
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["message"] == "invalid username or password"
    done = skopeo(world, "copy", "--quiet", "--src-tls-verify=false", "--src-creds",
                  "dev:wrong password", f"docker://{world.registry.address}/team/app:v1",
                  f"oci:{world.work / 'never'}:x")
    assert done.returncode != 0


# -- tokens the registry itself must refuse --------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(audience: str = SERVICE) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": ISSUER, "sub": "admin", "aud": audience, "iat": now, "nbf": now - 5,
        "exp": now + 300, "jti": uuid.uuid4().hex,
        "access": [{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}],
    }


def _manifest(world: World, token: str) -> int:
    answer = httpx.get(
        f"{world.registry.url}/v2/team/app/manifests/v1",
        headers={"Authorization": f"Bearer {token}",
                 "Accept": support.OCI_MANIFEST},
    )
    return answer.status_code


def _real(world: World, audience: str = SERVICE) -> str:
    x5c = [base64.b64encode(world.cert_der).decode()]
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(world.key_pem, password=None)
    return jwt.encode(_claims(audience), key, algorithm="ES256",  # type: ignore[arg-type]
                      headers={"x5c": x5c})


def test_registry_accepts_issued_token_and_refuses_forgeries(world: World) -> None:
    assert push(world, "admin", "team/app:v1")
    issued = httpx.get(f"{world.token_url}/token", auth=("dev", PASSWORD), params={
        "service": SERVICE, "scope": "repository:team/app:pull"}).json()["token"]
    assert _manifest(world, issued) == 200
    assert _manifest(world, _real(world)) == 200  # control: a well-formed token of our key

    x5c = [base64.b64encode(world.cert_der).decode()]
    header = {"alg": "none", "typ": "JWT", "x5c": x5c}
    none = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}."
    assert _manifest(world, none) == 401

    for public in (world.cert_pem, base64.b64encode(world.cert_der)):
        header = {"alg": "HS256", "typ": "JWT", "x5c": x5c}
        signing_input = (f"{_b64(json.dumps(header).encode())}."
                         f"{_b64(json.dumps(_claims()).encode())}")
        mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        assert _manifest(world, f"{signing_input}.{_b64(mac)}") == 401

    assert _manifest(world, _real(world, audience="another-registry")) == 401

    # skopeo hands a token to the registry as it is
    target = world.work / "forged-pull"
    forged = skopeo(world, "copy", "--quiet", "--src-tls-verify=false",
                    "--src-registry-token", none,
                    f"docker://{world.registry.address}/team/app:v1", f"oci:{target}:x")
    assert forged.returncode != 0
    good = skopeo(world, "copy", "--quiet", "--src-tls-verify=false",
                  "--src-registry-token", issued,
                  f"docker://{world.registry.address}/team/app:v1", f"oci:{target}:x")
    assert good.returncode == 0, good.stderr


def test_catalog_only_for_system_admins(world: World) -> None:
    def catalog(user: str) -> int:
        token = httpx.get(f"{world.token_url}/token", auth=(user, PASSWORD), params={
            "service": SERVICE, "scope": "registry:catalog:*"}).json()["token"]
        return httpx.get(f"{world.registry.url}/v2/_catalog",
                         headers={"Authorization": f"Bearer {token}"}).status_code

    assert catalog("admin") == 200
    assert catalog("padmin") == 401


def test_identity_token_uses_the_oauth2_refresh_grant(world: World) -> None:
    """docker login keeps a refresh token ("identitytoken"); containers/image then asks for
    tokens with POST /token grant_type=refresh_token. skopeo pulls with it alone."""
    assert push(world, "admin", "team/app:v1")
    answer = httpx.get(f"{world.token_url}/token", auth=("dev", PASSWORD), params={
        "service": SERVICE, "account": "dev", "client_id": "docker", "offline_token": "true"})
    refresh = answer.json()["refresh_token"]
    authfile = world.work / "auth.json"
    authfile.write_text(json.dumps({"auths": {world.registry.address: {
        "auth": base64.b64encode(b"<token>:").decode(), "identitytoken": refresh}}}))
    target = world.work / "identity-pull"
    done = skopeo(world, "--debug", "copy", "--quiet", "--src-tls-verify=false", "--authfile",
                  str(authfile), f"docker://{world.registry.address}/team/app:v1",
                  f"oci:{target}:x")
    assert done.returncode == 0, done.stderr
    assert f"POST {world.token_url}/token" in done.stderr  # the OAuth2 form, not GET
    log = (world.work / "serve.log").read_text()
    assert "token issued sub=dev" in log
    authfile.write_text(json.dumps({"auths": {world.registry.address: {
        "auth": base64.b64encode(b"<token>:").decode(), "identitytoken": "forged"}}}))
    refused = skopeo(world, "copy", "--quiet", "--src-tls-verify=false", "--authfile",
                     str(authfile), f"docker://{world.registry.address}/team/app:v1",
                     f"oci:{target}:y")
    assert refused.returncode != 0
