"""Real registries for tests: the CNCF distribution registry, a token server, image builders.

Everything here runs real components on 127.0.0.1 and stops what it started, by PID:

- `start_registry()` runs `docker-registry serve` (anonymous, htpasswd, token auth or TLS);
- `TokenServer` is a small token service as Docker's token specification describes it:
  basic credentials (or an OAuth2 refresh token) in, an ES256 JWT with an `x5c` header out;
- `ScriptedServer` answers with whatever a test scripts (5xx, odd manifests), and
  `SilentServer` accepts connections and never answers (timeouts);
- `build_layout()` makes a small OCI image with `umoci`; `skopeo_copy()` pushes it;
  `push_blob()`/`push_manifest()` push hand-written images through the registry API.

Test dependencies: `cryptography` and `pyjwt` (PyPI) for tokens and certificates; `bcrypt`
(PyPI) or `htpasswd` (Debian's apache2-utils) for htpasswd files; `docker-registry`,
`skopeo`, `umoci` (Debian).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

TOOLS = ("docker-registry", "skopeo", "umoci")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def run(*command: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
    """Run a command; on failure raise with its stderr (tests show why a fixture broke)."""
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False,
        env=dict(env) if env is not None else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


# -- certificates and tokens -------------------------------------------------------------


@dataclass
class KeyPair:
    key_pem: bytes
    cert_pem: bytes
    cert_der: bytes
    private_key: Any


def make_certificate(common_name: str, *, san_ip: str | None = None) -> KeyPair:
    """A self-signed EC P-256 certificate (token signing, or a TLS registry's server cert)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if san_ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san_ip))]),
            critical=False,
        )
    cert = builder.sign(key, hashes.SHA256())
    return KeyPair(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        cert_der=cert.public_bytes(serialization.Encoding.DER),
        private_key=key,
    )


Grant = Callable[[str | None, str, str, list[str]], list[str]]
"""(account or None, resource type, resource name, requested actions) -> granted actions."""


def grant_users_everything(
    account: str | None, kind: str, name: str, actions: list[str]
) -> list[str]:
    """Default policy: anyone who logged in gets what they asked; anonymous gets nothing."""
    return actions if account is not None and kind == "repository" else []


@dataclass
class TokenRequest:
    method: str
    account: str | None
    scopes: list[str]
    grant_type: str = ""


class TokenServer:
    """A token server for the registry's `auth.token` (see the module docstring).

    `users` maps names to passwords checked with HTTP basic auth; `refresh_tokens` maps
    OAuth2 refresh tokens (docker's `identitytoken`) to names. Each request is recorded in
    `requests` (never with a password), so tests can see who asked for what.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        users: Mapping[str, str],
        refresh_tokens: Mapping[str, str] | None = None,
        service: str = "tenlayer-test-registry",
        issuer: str = "tenlayer-test-issuer",
        grant: Grant = grant_users_everything,
        lifetime: int = 300,
        stale_tokens: int = 0,
    ) -> None:
        self.users = dict(users)
        self.stale_tokens = stale_tokens
        """How many of the first tokens to issue already expired (beyond any leeway)."""
        self.refresh_tokens = dict(refresh_tokens or {})
        self.service = service
        self.issuer = issuer
        self.grant = grant
        self.lifetime = lifetime
        self.requests: list[TokenRequest] = []
        self.keys = make_certificate(issuer)
        workdir.mkdir(parents=True, exist_ok=True)
        self.cert_path = workdir / "token.crt"
        self.cert_path.write_bytes(self.keys.cert_pem)
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def registry_auth(self) -> dict[str, Any]:
        """The `auth:` section of a registry configuration that trusts this server."""
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": str(self.cert_path),
            }
        }

    def issue(self, account: str | None, scopes: list[str]) -> str:
        """A signed token granting `account` what the policy allows of `scopes`."""
        import jwt

        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            kind, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            granted = self.grant(account, kind, name, actions)
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        if self.stale_tokens > 0:
            self.stale_tokens -= 1
            now -= 3600
        claims = {
            "iss": self.issuer,
            "sub": account or "",
            "aud": self.service,
            "iat": now,
            "nbf": now - 10,
            "exp": now + self.lifetime,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        headers = {"x5c": [base64.b64encode(self.keys.cert_der).decode("ascii")]}
        return jwt.encode(claims, self.keys.private_key, algorithm="ES256", headers=headers)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: pytest shows failures, not access logs."""

            def _answer(self, status: int, document: dict[str, Any]) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                scopes = [s for value in query.get("scope", []) for s in value.split(" ")]
                account: str | None = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = (
                        base64.b64decode(header[6:]).decode("utf-8", "replace").partition(":")
                    )
                    if server.users.get(user) != password:
                        server.requests.append(TokenRequest("GET", user, scopes, "denied"))
                        self._answer(401, {"details": "invalid username or password"})
                        return
                    account = user
                server.requests.append(TokenRequest("GET", account, scopes))
                token = server.issue(account, scopes)
                self._answer(200, {"token": token, "expires_in": server.lifetime})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                grant_type = form.get("grant_type", [""])[0]
                scopes = [s for value in form.get("scope", []) for s in value.split(" ")]
                account = None
                if grant_type == "refresh_token":
                    account = server.refresh_tokens.get(form.get("refresh_token", [""])[0])
                elif grant_type == "password":
                    user = form.get("username", [""])[0]
                    if server.users.get(user) == form.get("password", [""])[0]:
                        account = user
                server.requests.append(TokenRequest("POST", account, scopes, grant_type))
                if account is None:
                    self._answer(401, {"error": "invalid_grant"})
                    return
                token = server.issue(account, scopes)
                self._answer(200, {"access_token": token, "expires_in": server.lifetime})

        return Handler

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def can_hash_passwords() -> bool:
    """bcrypt (PyPI) or `htpasswd` (Debian's apache2-utils) is at hand."""
    import importlib.util

    return importlib.util.find_spec("bcrypt") is not None or shutil.which("htpasswd") is not None


def htpasswd(path: Path, users: Mapping[str, str]) -> Path:
    """An htpasswd file with bcrypt hashes, the only kind distribution accepts."""
    lines = []
    for user, password in users.items():
        try:
            import bcrypt
        except ImportError:
            lines.append(run("htpasswd", "-nbB", "-C", "5", user, password).strip())
            continue
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
        lines.append(f"{user}:{hashed}")
    path.write_text("\n".join(lines) + "\n")
    return path


# -- the registry ------------------------------------------------------------------------


@dataclass
class Registry:
    process: subprocess.Popen[bytes]
    port: int
    root: Path
    """The storage directory (`docker/registry/v2/...` below it)."""
    log: Path
    scheme: str = "http"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    def blob_path(self, digest: str) -> Path:
        algorithm, _, encoded = digest.partition(":")
        return (
            self.root / "docker/registry/v2/blobs" / algorithm / encoded[:2] / encoded / "data"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_registry(
    workdir: Path,
    *,
    auth: dict[str, Any] | None = None,
    tls: KeyPair | None = None,
    timeout: float = 20.0,
    extra: dict[str, Any] | None = None,
) -> Registry:
    """Run `docker-registry serve` on a free port of 127.0.0.1; wait until it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "storage"
    port = free_port()
    http: dict[str, Any] = {"addr": f"127.0.0.1:{port}", "secret": uuid.uuid4().hex}
    if tls is not None:
        (workdir / "tls.crt").write_bytes(tls.cert_pem)
        (workdir / "tls.key").write_bytes(tls.key_pem)
        http["tls"] = {
            "certificate": str(workdir / "tls.crt"),
            "key": str(workdir / "tls.key"),
        }
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(root)},
            "delete": {"enabled": True},
        },
        "http": http,
    }
    if auth is not None:
        config["auth"] = auth
    config.update(extra or {})
    config_path = workdir / "registry.yml"
    config_path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    log = workdir / "registry.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["docker-registry", "serve", str(config_path)],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    registry = Registry(process, port, root, log, "https" if tls else "http")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{registry.url}/v2/", verify=False, timeout=1.0)
            return registry
        except httpx.HTTPError:
            time.sleep(0.05)
    registry.stop()
    raise RuntimeError(f"docker-registry did not answer within {timeout} s: {log.read_text()}")


# -- images ------------------------------------------------------------------------------


def build_layout(
    layout: Path,
    tag: str,
    layers: list[dict[str, bytes | None]],
    *,
    architecture: str = "amd64",
    variant: str = "",
    cmd: str = "/bin/sh",
) -> None:
    """Add an image `tag` to the OCI layout `layout` with umoci, one layer per dict.

    A dict maps paths to file contents; `None` as content writes a whiteout for the path.
    Debian 12's umoci 0.4.7 never closes its tar writer in `umoci insert` (umoci#436): a
    layer lacks the end-of-archive blocks and the padding of its last file. So every
    inserted tree also gets an empty directory `/var/empty`, which sorts after the test
    files (keep them out of /var) and makes the layer end on a header, as readers need.
    """
    if not (layout / "index.json").exists():
        run("umoci", "init", "--layout", str(layout))
    image = f"{layout}:{tag}"
    run("umoci", "new", "--image", image)
    scratch = layout.parent / f".{layout.name}-{tag}-layers"
    for number, files in enumerate(layers):
        source = scratch / str(number)
        for path, content in files.items():
            if content is None:
                run("umoci", "insert", "--image", image, "--whiteout", path)
                continue
            target = source / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if source.exists():
            (source / "var" / "empty").mkdir(parents=True, exist_ok=True)
            run("umoci", "insert", "--image", image, str(source), "/")
    config = ["--os", "linux", "--architecture", architecture, "--config.cmd", cmd]
    run("umoci", "config", "--image", image, *config)
    if variant:
        _set_variant(layout, tag, variant)
    shutil.rmtree(scratch, ignore_errors=True)


def _set_variant(layout: Path, tag: str, variant: str) -> None:
    """umoci has no --variant; rewrite the config and manifest blobs in the layout."""
    index = json.loads((layout / "index.json").read_text())
    entry = next(
        m for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    )
    manifest = json.loads(layout_blob(layout, entry["digest"]))
    config = json.loads(layout_blob(layout, manifest["config"]["digest"]))
    config["variant"] = variant
    config_bytes = json.dumps(config).encode()
    manifest["config"] = {**manifest["config"], **_write_blob(layout, config_bytes)}
    manifest_bytes = json.dumps(manifest).encode()
    entry.update(_write_blob(layout, manifest_bytes))
    (layout / "index.json").write_text(json.dumps(index))


def _write_blob(layout: Path, data: bytes) -> dict[str, Any]:
    digest = sha256(data)
    (layout / "blobs" / "sha256" / digest[7:]).write_bytes(data)
    return {"digest": digest, "size": len(data)}


def layout_blob(layout: Path, digest: str) -> bytes:
    algorithm, _, encoded = digest.partition(":")
    return (layout / "blobs" / algorithm / encoded).read_bytes()


@dataclass
class LayoutImage:
    """Digests of one image in an OCI layout, to compare a pull with."""

    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    diff_ids: list[str]
    manifest: dict[str, Any] = field(repr=False)


def describe_layout_image(layout: Path, tag: str) -> LayoutImage:
    index = json.loads((layout / "index.json").read_text())
    entry = next(
        m for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    )
    manifest = json.loads(layout_blob(layout, entry["digest"]))
    config = json.loads(layout_blob(layout, manifest["config"]["digest"]))
    return LayoutImage(
        manifest_digest=entry["digest"],
        config_digest=manifest["config"]["digest"],
        layer_digests=[layer["digest"] for layer in manifest["layers"]],
        diff_ids=config["rootfs"]["diff_ids"],
        manifest=manifest,
    )


def add_index(layout: Path, tag: str, members: list[tuple[str, dict[str, str]]]) -> str:
    """Write an OCI image index over tagged images of the layout; tag it; return its digest.

    `members` pairs a tag with the platform to announce for it.
    """
    index = json.loads((layout / "index.json").read_text())
    by_tag = {
        m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m
        for m in index["manifests"]
    }
    entries = [
        {
            "mediaType": OCI_MANIFEST,
            "digest": by_tag[member]["digest"],
            "size": by_tag[member]["size"],
            "platform": platform,
        }
        for member, platform in members
    ]
    document = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    written = _write_blob(layout, json.dumps(document).encode())
    index["manifests"].append(
        {
            "mediaType": OCI_INDEX,
            **written,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }
    )
    (layout / "index.json").write_text(json.dumps(index))
    return str(written["digest"])


def skopeo_copy(source: str, destination: str, *options: str) -> None:
    """`skopeo copy` without signature policy fuss and without TLS checks on the destination."""
    policy = Path(os.environ.get("TMPDIR", "/tmp")) / "tenlayer-test-policy.json"
    if not policy.exists():
        policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    run(
        "skopeo", "--policy", str(policy), "copy", "--quiet", "--dest-tls-verify=false",
        *options, source, destination,
    )


def skopeo_inspect_raw(reference: str) -> bytes:
    """The manifest exactly as the registry serves it, as skopeo fetches it."""
    done = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", reference],
        capture_output=True, timeout=60, check=True,
    )
    return done.stdout


def tar_layer(files: Mapping[str, bytes]) -> bytes:
    """An uncompressed, reproducible layer tar (mtime 0, root-owned)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(content)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@dataclass
class PushedImage:
    manifest: bytes
    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    diff_ids: list[str]


def push_blob(base: str, repository: str, data: bytes, headers: Mapping[str, str] = {}) -> str:
    """Monolithic upload: POST an upload session, PUT the bytes with ?digest=."""
    digest = sha256(data)
    with httpx.Client(verify=False, headers=dict(headers), timeout=30) as client:
        started = client.post(f"{base}/v2/{repository}/blobs/uploads/")
        started.raise_for_status()
        location = httpx.URL(base).join(started.headers["location"])
        done = client.put(
            location.copy_merge_params({"digest": digest}), content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        done.raise_for_status()
    return digest


def push_manifest(
    base: str, repository: str, reference: str, data: bytes, media_type: str,
    headers: Mapping[str, str] = {},
) -> str:
    response = httpx.put(
        f"{base}/v2/{repository}/manifests/{reference}", content=data,
        headers={"Content-Type": media_type, **headers}, verify=False, timeout=30,
    )
    response.raise_for_status()
    return sha256(data)


def push_plain_image(
    base: str, repository: str, tag: str, layers: list[Mapping[str, bytes]],
    *, architecture: str = "amd64",
) -> PushedImage:
    """Hand-written OCI image with uncompressed layers, pushed through the API."""
    blobs = [tar_layer(files) for files in layers]
    diff_ids = [sha256(blob) for blob in blobs]
    config = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"layer {n}"} for n in range(len(blobs))],
        }
    ).encode()
    for blob in blobs:
        push_blob(base, repository, blob)
    config_digest = push_blob(base, repository, config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
            "layers": [
                {"mediaType": OCI_LAYER_TAR, "digest": sha256(blob), "size": len(blob)}
                for blob in blobs
            ],
        }
    ).encode()
    manifest_digest = push_manifest(base, repository, tag, manifest, OCI_MANIFEST)
    return PushedImage(manifest, manifest_digest, config_digest, diff_ids, diff_ids)


# -- misbehaving servers -----------------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


class ScriptedServer:
    """An HTTP server on 127.0.0.1 whose every answer comes from `route(request)`.

    For what the real registry will not do on demand: 5xx, oversized or odd manifests.
    """

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[tuple[str, dict[str, str]]] = []
        """(path, headers) of every request, in order."""
        self.port = free_port()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                status, headers, body = server.route(self)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if headers.get("Connection") == "close":
                    self.close_connection = True  # the body ends when the connection does
                elif "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def do_POST(self) -> None:
                self.do_GET()

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word (for timeouts)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = int(self._socket.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self._socket.close()


def refused_address() -> str:
    """An address on 127.0.0.1 where nothing listens."""
    return f"127.0.0.1:{free_port()}"


def basic_auth(user: str, password: str) -> str:
    """The base64 `user:password` of an `auth` entry or a Basic header."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()
