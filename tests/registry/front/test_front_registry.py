"""The front with real components: docker-registry with token auth behind nginx and the
decision endpoint (`python -m tenlayer.registry.front`), skopeo pushing and pulling through
it, all on 127.0.0.1; every server started here and stopped by its PID.

nginx comes from Debian's `nginx-light` (it has auth_request); without it these tests skip
(and fail under CI, which installs it).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tenlayer.registry.front.nginx import find_nginx
from tests.support import registry as support

pytestmark = pytest.mark.integration

REASON = "quarantine/app: critical CVE-2024-3094 at or above the project's threshold (high)"
ALICE, ALICE_PASSWORD = "alice", "alice-secret"
ROBOT, ROBOT_PASSWORD = "robot$scanner", "robot-secret"
LAYERS: list[dict[str, bytes | None]] = [
    {"/etc/hello.txt": b"hello\n", "/usr/bin/tool": b"#!/bin/sh\necho tool\n"},
    {"/srv/data.bin": os.urandom(300_000)},
]


def need(condition: bool, message: str) -> None:
    """CI installs the Debian tools (Makefile), so there a missing one is a failure."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Front:
    process: subprocess.Popen[bytes]
    port: int
    audit: Path
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def nginx_pids(self) -> list[int]:
        """nginx's master (the front's child) and its workers."""
        masters = children(self.process.pid)
        return masters + [pid for master in masters for pid in children(master)]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def start_front(work: Path, upstream: str, *options: str) -> Front:
    port = support.free_port()
    audit, log = work / "audit.jsonl", work / "front.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tenlayer.registry.front", "--upstream", upstream,
             "--listen", f"127.0.0.1:{port}", "--audit", str(audit),
             "--prefix", str(work / "nginx"), *options],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
        )
    front = Front(process, port, audit, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the front exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{front.url}/v2/", timeout=1)
            return front
        except httpx.HTTPError:
            time.sleep(0.05)
    front.stop()
    raise RuntimeError(f"the front did not answer: {log.read_text()[-2000:]}")


def skopeo(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """skopeo with its own HOME, auth file and an accept-anything signature policy."""
    home.mkdir(parents=True, exist_ok=True)
    policy = home / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    env = {
        "PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(home),
        "XDG_CONFIG_HOME": str(home), "REGISTRY_AUTH_FILE": str(home / "auth.json"),
        "DOCKER_CONFIG": str(home / "docker"),
    }
    return subprocess.run(
        ["skopeo", "--policy", str(policy), *arguments],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )


@dataclass
class Stack:
    work: Path
    tokens: support.TokenServer
    registry: support.Registry
    front: Front
    image: support.LayoutImage


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need(not support.missing_tools(), f"needs {', '.join(support.missing_tools())} (Debian)")
    need(find_nginx() is not None, "needs nginx with auth_request (Debian: nginx-light)")
    work = tmp_path_factory.mktemp("front")
    tokens = support.TokenServer(
        work / "tokens", users={ALICE: ALICE_PASSWORD, ROBOT: ROBOT_PASSWORD}
    )
    registry = front = None
    try:  # whatever fails to start, what did start is stopped
        registry = support.start_registry(work / "registry", auth=tokens.registry_auth())
        policy = work / "policy.json"
        policy.write_text(json.dumps(
            {"rules": [{"repository": "quarantine/*", "reason": REASON, "exempt": [ROBOT]}]}
        ))
        front = start_front(
            work, registry.url, "--policy", str(policy), "--trust", str(tokens.cert_path),
            "--audience", tokens.service, "--issuer", tokens.issuer,
        )
        layout = work / "layout"
        support.build_layout(layout, "v1", LAYERS)
        for repository in ("open/app", "quarantine/app"):
            pushed = skopeo(
                work / "home", "copy", "--quiet", "--dest-tls-verify=false",
                "--dest-creds", f"{ALICE}:{ALICE_PASSWORD}",
                f"oci:{layout}:v1", f"docker://{front.address}/{repository}:v1",
            )
            assert pushed.returncode == 0, pushed.stderr
        yield Stack(work, tokens, registry, front, support.describe_layout_image(layout, "v1"))
    finally:
        if front is not None:
            front.stop()
        if registry is not None:
            registry.stop()
        tokens.stop()


def pull(stack: Stack, reference: str, creds: str, into: Path) -> subprocess.CompletedProcess[str]:
    return skopeo(
        stack.work / "home", "copy", "--quiet", "--src-tls-verify=false", "--src-creds", creds,
        f"docker://{stack.front.address}/{reference}", f"dir:{into}",
    )


def assert_same_image(directory: Path, image: support.LayoutImage) -> None:
    """The pulled manifest and every blob are the pushed bytes (by their sha256)."""
    manifest = (directory / "manifest.json").read_bytes()
    assert support.sha256(manifest) == image.manifest_digest
    blobs = sorted(p.name for p in directory.iterdir() if len(p.name) == 64)
    assert blobs == sorted(d.removeprefix("sha256:") for d in
                           [image.config_digest, *image.layer_digests])
    for name in blobs:
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == name


def test_allowed_pull_is_byte_identical(stack: Stack, tmp_path: Path) -> None:
    pulled = pull(stack, "open/app:v1", f"{ALICE}:{ALICE_PASSWORD}", tmp_path / "d")
    assert pulled.returncode == 0, pulled.stderr
    assert_same_image(tmp_path / "d", stack.image)


def test_refused_pull_shows_the_reason(stack: Stack, tmp_path: Path) -> None:
    pulled = pull(stack, "quarantine/app:v1", f"{ALICE}:{ALICE_PASSWORD}", tmp_path / "d")
    assert pulled.returncode == 1
    expected = (f"reading manifest v1 in {stack.front.address}/quarantine/app: "
                f"denied: {REASON}")
    assert expected in pulled.stderr
    assert not (tmp_path / "d" / "manifest.json").exists()


def test_exempt_robot_may_pull(stack: Stack, tmp_path: Path) -> None:
    pulled = pull(stack, "quarantine/app:v1", f"{ROBOT}:{ROBOT_PASSWORD}", tmp_path / "d")
    assert pulled.returncode == 0, pulled.stderr
    assert_same_image(tmp_path / "d", stack.image)


def test_pull_by_digest_is_gated_like_a_tag(stack: Stack, tmp_path: Path) -> None:
    reference = f"quarantine/app@{stack.image.manifest_digest}"
    refused = pull(stack, reference, f"{ALICE}:{ALICE_PASSWORD}", tmp_path / "a")
    assert refused.returncode == 1
    assert (f"reading manifest {stack.image.manifest_digest} in "
            f"{stack.front.address}/quarantine/app: denied: {REASON}") in refused.stderr
    allowed = pull(stack, reference, f"{ROBOT}:{ROBOT_PASSWORD}", tmp_path / "r")
    assert allowed.returncode == 0, allowed.stderr
    assert_same_image(tmp_path / "r", stack.image)


def bearer(stack: Stack, user: str, password: str, repository: str) -> dict[str, str]:
    """A token from the token service's realm, as a client gets one (basic auth)."""
    answer = httpx.get(
        stack.tokens.realm,
        params={"service": stack.tokens.service, "scope": f"repository:{repository}:pull"},
        auth=(user, password), timeout=10,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}",
            "Accept": support.OCI_MANIFEST}


def test_head_and_get_refused_with_distributions_error(stack: Stack) -> None:
    headers = bearer(stack, ALICE, ALICE_PASSWORD, "quarantine/app")
    path = "/v2/quarantine/app/manifests/v1"
    direct = httpx.head(stack.registry.url + path, headers=headers)
    assert direct.status_code == 200  # the token is good: the refusal is the gate's
    head = httpx.head(stack.front.url + path, headers=headers)
    assert (head.status_code, head.content, head.headers["content-type"]) == (
        403, b"", "application/json"
    )
    get = httpx.get(stack.front.url + path, headers=headers)
    assert get.status_code == 403
    assert get.json() == {"errors": [{
        "code": "DENIED", "message": REASON,
        "detail": {"repository": "quarantine/app", "reference": "v1"},
    }]}
    assert get.headers["docker-distribution-api-version"] == "registry/2.0"


def test_anonymous_client_is_asked_to_log_in_not_refused(stack: Stack) -> None:
    """An anonymous manifest request gets distribution's 401 and its token realm, so the
    client can log in (the gate then judges who it is), not a 403 it cannot get past."""
    path = "/v2/quarantine/app/manifests/v1"
    direct = httpx.get(stack.registry.url + path)
    through = httpx.get(stack.front.url + path)
    assert (through.status_code, direct.status_code) == (401, 401)
    assert through.headers["www-authenticate"] == direct.headers["www-authenticate"]
    assert through.headers["www-authenticate"] == (
        f'Bearer realm="{stack.tokens.realm}",service="{stack.tokens.service}",'
        f'scope="repository:quarantine/app:pull"'
    )


def raw_get(address: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """GET with the path exactly as written (httpx would normalise `..` and `//`)."""
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


DENIED_CODE = b'"code":"DENIED"'
UNSUPPORTED_CODE = b'"code":"UNSUPPORTED"'


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v2/open/app/../../quarantine/app/manifests/v1", UNSUPPORTED_CODE),
        ("/v2/open/%2E%2E/quarantine/app/manifests/v1", UNSUPPORTED_CODE),
        ("//v2/quarantine/app/manifests/v1", UNSUPPORTED_CODE),
        ("/v2/quarantine//app/manifests/v1", UNSUPPORTED_CODE),
        ("/v2/./quarantine/app/manifests/v1", UNSUPPORTED_CODE),
        ("/v2/quarantine%2Fapp/manifests/v1", DENIED_CODE),
        ("/v2/quarantine/app/manifests/%76%31", DENIED_CODE),
        ("/v2/quarantine/app/manifest%73/v1", DENIED_CODE),
        ("/v2/quarantine/app/manifests/v1?x=/../open", DENIED_CODE),
    ],
)
def test_path_tricks_cannot_bypass_the_gate(stack: Stack, path: str, code: bytes) -> None:
    headers = bearer(stack, ALICE, ALICE_PASSWORD, "quarantine/app")
    status, body = raw_get(stack.front.address, path, headers)
    assert status == 403
    assert code in body
    assert b"schemaVersion" not in body


def test_encoded_slash_is_a_route_distribution_serves(stack: Stack) -> None:
    """Why the gate decodes: distribution itself serves the manifest at the encoded path."""
    headers = bearer(stack, ALICE, ALICE_PASSWORD, "quarantine/app")
    status, body = raw_get(stack.registry.address, "/v2/quarantine%2Fapp/manifests/v1", headers)
    assert status == 200
    assert support.sha256(body) == stack.image.manifest_digest


def test_audit_records_who_what_why(stack: Stack, tmp_path: Path) -> None:
    before = len(stack.front.audit.read_text().splitlines()) if stack.front.audit.exists() else 0
    pull(stack, "quarantine/app:v1", f"{ALICE}:{ALICE_PASSWORD}", tmp_path / "a")
    pull(stack, "quarantine/app:v1", f"{ROBOT}:{ROBOT_PASSWORD}", tmp_path / "r")
    lines = stack.front.audit.read_text().splitlines()[before:]
    records = [json.loads(line) for line in lines]
    for record in records:
        assert record.pop("client").startswith("127.0.0.1:")
    # only refusals: the robot's allowed pull is distribution's to report, and each
    # client's first, anonymous request was a login challenge, not a refusal
    refusal = {"identity": ALICE, "repository": "quarantine/app", "reference": "v1",
               "method": "GET", "allowed": False, "reason": REASON}
    assert records and all(record == refusal for record in records), records


# -- a registry that writes absolute upload URLs, anonymous -------------------------------


@dataclass
class Plain:
    work: Path
    registry: support.Registry
    front: Front


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plain]:
    """distribution with `http.host` set to its own address: every Location it writes is
    absolute and names distribution, not the front."""
    need(not support.missing_tools(), f"needs {', '.join(support.missing_tools())} (Debian)")
    need(find_nginx() is not None, "needs nginx with auth_request (Debian: nginx-light)")
    work = tmp_path_factory.mktemp("plain")
    registry = start_registry_with_host(work / "registry")
    try:
        front = start_front(work, registry.url)
    except BaseException:
        registry.stop()
        raise
    try:
        yield Plain(work, registry, front)
    finally:
        front.stop()
        registry.stop()


def start_registry_with_host(workdir: Path) -> support.Registry:
    workdir.mkdir(parents=True)
    port = support.free_port()
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(workdir / "storage")}},
        "http": {"addr": f"127.0.0.1:{port}", "host": f"http://127.0.0.1:{port}",
                 "secret": uuid.uuid4().hex},
    }
    (workdir / "registry.yml").write_text(json.dumps(config))
    log = workdir / "registry.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["docker-registry", "serve", str(workdir / "registry.yml")],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    registry = support.Registry(process, port, workdir / "storage", log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{registry.url}/v2/", timeout=1)
            return registry
        except httpx.HTTPError:
            time.sleep(0.05)
    registry.stop()
    raise RuntimeError(f"docker-registry did not answer: {log.read_text()}")


def test_upload_locations_are_rewritten_to_the_front(plain: Plain) -> None:
    direct = httpx.post(f"{plain.registry.url}/v2/up/app/blobs/uploads/")
    assert direct.status_code == 202
    assert direct.headers["location"].startswith(f"{plain.registry.url}/v2/up/app/blobs/uploads/")
    through = httpx.post(f"{plain.front.url}/v2/up/app/blobs/uploads/")
    assert through.status_code == 202
    assert through.headers["location"].startswith(f"{plain.front.url}/v2/up/app/blobs/uploads/")


def test_push_and_pull_through_the_front(plain: Plain, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    support.build_layout(layout, "v1", LAYERS)
    pushed = skopeo(
        tmp_path / "home", "copy", "--quiet", "--dest-tls-verify=false",
        f"oci:{layout}:v1", f"docker://{plain.front.address}/up/app:v1",
    )
    assert pushed.returncode == 0, pushed.stderr
    pulled = skopeo(
        tmp_path / "home", "copy", "--quiet", "--src-tls-verify=false",
        f"docker://{plain.front.address}/up/app:v1", f"dir:{tmp_path / 'd'}",
    )
    assert pulled.returncode == 0, pulled.stderr
    assert_same_image(tmp_path / "d", support.describe_layout_image(layout, "v1"))


def sockets(pids: list[int], remote_port: int) -> list[tuple[int, int]]:
    """(tx_queue, rx_queue) of the processes' TCP sockets connected to 127.0.0.1:port."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, queues, inode = fields[2], fields[3], fields[4], fields[9]
        if inode in inodes and int(remote.split(":")[1], 16) == remote_port and state == "01":
            tx, rx = queues.split(":")
            found.append((int(tx, 16), int(rx, 16)))
    return found


def test_client_gone_mid_blob_releases_the_upstream(plain: Plain) -> None:
    """Ten clients read 256 KiB of a 48 MB blob and hang up: nginx must drop each upstream
    response, not keep the connection with unread data (or drain it for nobody)."""
    blob = os.urandom(48_000_000)
    digest = support.push_blob(plain.registry.url, "big/blob", blob)
    path = f"/v2/big/blob/blobs/{digest}"
    whole = httpx.get(plain.front.url + path, timeout=30)
    assert support.sha256(whole.content) == digest
    before = len(sockets(plain.front.nginx_pids(), plain.registry.port))
    for _ in range(10):
        with socket.create_connection(("127.0.0.1", plain.front.port), timeout=10) as client:
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: {plain.front.address}\r\n\r\n".encode())
            received = 0
            while received < 256 * 1024:
                chunk = client.recv(65536)
                assert chunk
                received += len(chunk)
    deadline = time.monotonic() + 10
    while True:
        upstream = sockets(plain.front.nginx_pids(), plain.registry.port)
        if all(rx == 0 for _, rx in upstream) and len(upstream) <= before:
            break
        assert time.monotonic() < deadline, f"upstream sockets left open: {upstream}"
        time.sleep(0.1)
    again = httpx.get(plain.front.url + path, timeout=30)
    assert support.sha256(again.content) == digest


def test_stopping_the_front_stops_its_nginx(plain: Plain, tmp_path: Path) -> None:
    front = start_front(tmp_path, plain.registry.url)
    nginx = front.nginx_pids()
    assert len(nginx) == 2  # master and one worker
    front.stop()
    assert front.process.returncode == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in nginx):
        assert time.monotonic() < deadline, f"nginx left running: {nginx}"
        time.sleep(0.05)
