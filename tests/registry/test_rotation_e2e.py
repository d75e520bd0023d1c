"""Signing-key rotation without downtime, with the real registry and `tenlayer registry serve`.

1. the new key is added as pending: the registry's bundle has both certificates, the old
   key still signs; 2. `pending` dropped and SIGHUP: the new key signs, and the registry
   accepts tokens of both; 3. the old key retired and SIGHUP: tenlayer's own verifier (the
   admin API's bearer check) refuses the old key's tokens, and once the registry has the
   bundle without it, so does the registry.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest

from tenlayer.registry.keys import load_key, write_key
from tenlayer.registry.store import Store
from tests.support import registry as support

pytestmark = pytest.mark.integration

SERVICE, ISSUER, PASSWORD = "rotation-e2e", "rotation-issuer", "rotation password"


def need(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_rotation_without_downtime(tmp_path: Path) -> None:
    need(not support.missing_tools(), "needs docker-registry, skopeo and umoci")
    _, old_cert = write_key(tmp_path / "old", ISSUER)
    _, new_cert = write_key(tmp_path / "new", ISSUER)
    old_kid = load_key(old_cert, None).kid
    new_kid = load_key(new_cert, None).kid
    port = support.free_port()
    config = tmp_path / "registry.yml"

    def configure(keys: list[dict[str, object]]) -> None:
        config.write_text(json.dumps({
            "listen": f"127.0.0.1:{port}", "issuer": ISSUER, "service": SERVICE, "keys": keys,
        }))

    configure([
        {"certificate": "old/token.crt", "key": "old/token.key"},
        {"certificate": "new/token.crt", "key": "new/token.key", "pending": True},
    ])
    store = Store(f"sqlite:///{tmp_path / 'tenlayer-registry.db'}")
    store.add_user("root", PASSWORD, admin=True)
    store.add_project("team")
    store.close()
    bundle = tmp_path / "bundle.pem"
    done = subprocess.run(
        [sys.executable, "-m", "tenlayer", "registry", "keys", "bundle", "--config",
         str(config), "-o", str(bundle)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert bundle.read_bytes() == old_cert.read_bytes() + new_cert.read_bytes()

    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "tenlayer", "registry", "serve", "--config", str(config)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    registries: list[support.Registry] = []

    def start_registry(name: str, certificates: Path) -> support.Registry:
        registry = support.start_registry(tmp_path / name, auth={"token": {
            "realm": f"{base}/token", "service": SERVICE, "issuer": ISSUER,
            "rootcertbundle": str(certificates)}})
        registries.append(registry)
        return registry

    def token() -> str:
        answer = httpx.get(f"{base}/token", auth=("root", PASSWORD), params={
            "service": SERVICE, "scope": "repository:team/app:pull,push"})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def kid(value: str) -> str:
        return str(jwt.get_unverified_header(value)["kid"])

    def registry_status(registry: support.Registry, value: str) -> int:
        return httpx.get(f"{registry.url}/v2/team/app/tags/list",
                         headers={"Authorization": f"Bearer {value}"}).status_code

    def api_status(value: str) -> int:
        return httpx.get(f"{base}/api/v1/users",
                         headers={"Authorization": f"Bearer {value}"}).status_code

    try:
        def up() -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx.get(f"{base}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, "tenlayer registry serve")
        registry = start_registry("registry", bundle)
        support.build_layout(tmp_path / "oci", "v1", [{"/etc/a.txt": b"a\n"}])
        support.skopeo_copy(f"oci:{tmp_path / 'oci'}:v1",
                            f"docker://{registry.address}/team/app:v1",
                            "--dest-creds", f"root:{PASSWORD}")

        # 1. pending: the old key still signs
        before = token()
        assert kid(before) == old_kid
        assert registry_status(registry, before) == 200

        # 2. the new key signs; both keys' tokens are good at the registry and at tenlayer
        configure([
            {"certificate": "old/token.crt", "key": "old/token.key"},
            {"certificate": "new/token.crt", "key": "new/token.key"},
        ])
        server.send_signal(signal.SIGHUP)
        wait_for(lambda: kid(token()) == new_kid, "the new key to sign")
        after = token()
        assert registry_status(registry, after) == 200
        assert registry_status(registry, before) == 200
        assert api_status(before) == 200 and api_status(after) == 200

        # 3. the old key retired: tenlayer refuses its tokens at once
        configure([
            {"certificate": "old/token.crt", "retired": True},
            {"certificate": "new/token.crt", "key": "new/token.key"},
        ])
        server.send_signal(signal.SIGHUP)
        wait_for(lambda: api_status(before) == 401, "the old key to be retired")
        assert api_status(after) == 200
        # ... and the registry too, once it has the bundle without the old certificate
        only_new = tmp_path / "bundle-new.pem"
        done = subprocess.run(
            [sys.executable, "-m", "tenlayer", "registry", "keys", "bundle", "--config",
             str(config), "-o", str(only_new)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert only_new.read_bytes() == new_cert.read_bytes()
        registry.stop()
        restarted = start_registry("registry2", only_new)
        assert registry_status(restarted, before) == 401
        assert registry_status(restarted, after) in (200, 404)  # storage is per instance
        assert server.poll() is None  # never restarted
    finally:
        for registry in registries:
            registry.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
