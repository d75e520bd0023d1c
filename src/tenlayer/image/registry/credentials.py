"""Registry credentials where `docker login` and `podman login` leave them.

Files are read in the order containers-auth.json(5) gives, the first one with an entry for
the registry winning:

1. `$REGISTRY_AUTH_FILE`, else `${XDG_RUNTIME_DIR}/containers/auth.json`
2. `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`
3. `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`
4. `~/.dockercfg` (the pre-2015 format: the `auths` map alone)

Within a file, a `credHelpers` entry for the registry comes first, then `credsStore`, then
`auths`, as the Docker CLI does. Helpers are run as `docker-credential-NAME get`. Keys of
containers' auth.json may name a namespace or repository (`quay.io/team`); the most
specific match wins. Secrets never appear in messages or in `repr()`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tenlayer.image.registry.reference import DOCKER_HUB, DOCKER_HUB_LEGACY_KEY

HELPER_TIMEOUT = 30.0
MAX_AUTH_FILE = 4 << 20
_HELPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_TOKEN_USER = "<token>"
"""What credential helpers answer as Username when Secret is an identity token."""


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    """An OAuth2 refresh token (`identitytoken`), exchanged at the token server."""
    source: str = ""
    """Where they came from, for messages: a file path or a helper's name."""

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r})"


@dataclass(slots=True)
class CredentialLookup:
    credentials: Credentials | None
    searched: list[str] = field(default_factory=list)
    """Files that exist and were read, for the message when nothing was found."""
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """`credentials from X` or `no credentials found (looked in A, B)`, for messages."""
        if self.credentials is not None:
            return f"credentials from {self.credentials.source}"
        if self.searched:
            return f"no credentials found in {', '.join(self.searched)}"
        return "no credentials found (no docker config.json or containers auth.json)"


@dataclass(frozen=True, slots=True)
class _AuthFile:
    path: Path
    legacy: bool = False
    """`~/.dockercfg`: the `auths` map is the whole document."""
    hosts_only: bool = False
    """Docker's config.json keys name hosts (maybe as URLs); never namespaces."""


def auth_files(environ: Mapping[str, str] | None = None) -> list[Path]:
    return [f.path for f in _auth_files(os.environ if environ is None else environ)]


def _auth_files(environ: Mapping[str, str]) -> list[_AuthFile]:
    home = Path(environ.get("HOME") or Path.home())
    files = []
    if environ.get("REGISTRY_AUTH_FILE"):
        files.append(_AuthFile(Path(environ["REGISTRY_AUTH_FILE"])))
    elif environ.get("XDG_RUNTIME_DIR"):
        files.append(_AuthFile(Path(environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"))
    config_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    files.append(_AuthFile(config_home / "containers" / "auth.json"))
    docker_config = environ.get("DOCKER_CONFIG")
    docker_dir = Path(docker_config) if docker_config else home / ".docker"
    files.append(_AuthFile(docker_dir / "config.json", hosts_only=True))
    files.append(_AuthFile(home / ".dockercfg", legacy=True, hosts_only=True))
    return files


def find_credentials(
    registry: str, repository: str, environ: Mapping[str, str] | None = None
) -> CredentialLookup:
    """Credentials for pulling `registry/repository`, or none (anonymous)."""
    env = os.environ if environ is None else environ
    lookup = CredentialLookup(None)
    registry = _canonical_host(registry)
    for auth_file in _auth_files(env):
        document = _read(auth_file.path, lookup)
        if document is None:
            continue
        credentials = _from_document(document, auth_file, registry, repository, lookup, env)
        if credentials is not None:
            lookup.credentials = credentials
            break
    return lookup


def _read(path: Path, lookup: CredentialLookup) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_AUTH_FILE + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        lookup.warnings.append(f"{path}: cannot read ({error.strerror}); ignoring it")
        return None
    lookup.searched.append(str(path))
    if len(data) > MAX_AUTH_FILE:
        lookup.warnings.append(f"{path}: larger than {MAX_AUTH_FILE} bytes; ignoring it")
        return None
    if not data.strip():
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        lookup.warnings.append(f"{path}: malformed JSON; ignoring it")
        return None
    if not isinstance(document, dict):
        lookup.warnings.append(f"{path}: not a JSON object; ignoring it")
        return None
    return document


def _from_document(
    document: dict[str, Any],
    auth_file: _AuthFile,
    registry: str,
    repository: str,
    lookup: CredentialLookup,
    environ: Mapping[str, str],
) -> Credentials | None:
    path = auth_file.path
    if not auth_file.legacy:
        helpers = document.get("credHelpers")
        if isinstance(helpers, dict):
            for key, helper in helpers.items():
                if isinstance(key, str) and _key_host(key) == registry and isinstance(helper, str):
                    found = _run_helper(helper, registry, path, lookup, environ)
                    if found is not None:
                        return found
        store = document.get("credsStore")
        if isinstance(store, str) and store:
            found = _run_helper(store, registry, path, lookup, environ)
            if found is not None:
                return found
    auths = document if auth_file.legacy else document.get("auths")
    if not isinstance(auths, dict):
        return None
    entries = _matching_entries(auths, registry, repository, hosts_only=auth_file.hosts_only)
    for key, entry in entries:
        found = _from_entry(entry, f"{path} ({key})", lookup)
        if found is not None:
            return found
    return None


def _matching_entries(
    auths: dict[str, Any], registry: str, repository: str, *, hosts_only: bool
) -> list[tuple[str, Any]]:
    """Entries that apply to `registry/repository`, most specific first."""
    wanted = [registry]
    if not hosts_only:
        parts = repository.split("/")
        wanted = [f"{registry}/{'/'.join(parts[:n])}" for n in range(len(parts), 0, -1)] + wanted
    by_key: dict[str, list[tuple[str, Any]]] = {}
    for key, entry in auths.items():
        if not isinstance(key, str):
            continue
        normalized = _normalize_key(key, hosts_only=hosts_only)
        by_key.setdefault(normalized, []).append((key, entry))
    return [pair for name in wanted for pair in by_key.get(name, [])]


def _normalize_key(key: str, *, hosts_only: bool) -> str:
    """`https://index.docker.io/v1/` -> `docker.io`; `quay.io/team/` -> `quay.io/team`."""
    had_scheme = "://" in key
    text = key.split("://", 1)[1] if had_scheme else key
    text = text.rstrip("/")
    host, slash, path = text.partition("/")
    host = _canonical_host(host)
    if hosts_only or had_scheme or not slash:
        return host  # a URL-shaped key names a host; its path is an API version
    return f"{host}/{path}"


def _key_host(key: str) -> str:
    return _normalize_key(key, hosts_only=True)


def _canonical_host(host: str) -> str:
    host = host.lower()
    return DOCKER_HUB if host in _HUB_ALIASES else host


def _from_entry(entry: object, source: str, lookup: CredentialLookup) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    username = entry.get("username") if isinstance(entry.get("username"), str) else ""
    password = entry.get("password") if isinstance(entry.get("password"), str) else ""
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            lookup.warnings.append(f"{source}: 'auth' is not base64 of user:password; ignoring it")
            return None
        user, colon, secret = decoded.partition(":")
        if not colon:
            lookup.warnings.append(f"{source}: 'auth' is not base64 of user:password; ignoring it")
            return None
        username, password = user, secret
    token = entry.get("identitytoken")
    identity_token = token if isinstance(token, str) else ""
    if not (username and password) and not identity_token:
        return None  # `{}` placeholders that docker writes beside a credsStore
    return Credentials(
        str(username), str(password), identity_token=identity_token, source=source
    )


def _run_helper(
    name: str,
    registry: str,
    config: Path,
    lookup: CredentialLookup,
    environ: Mapping[str, str],
) -> Credentials | None:
    program = f"docker-credential-{name}"
    if not _HELPER_NAME.fullmatch(name):
        lookup.warnings.append(f"{config}: invalid credential helper name {name!r}; ignoring it")
        return None
    path = shutil.which(program, path=environ.get("PATH"))
    if path is None:
        lookup.warnings.append(
            f"{config}: credential helper {program} is not on PATH; "
            f"trying the file's other entries for {registry}"
        )
        return None
    server = DOCKER_HUB_LEGACY_KEY if registry == DOCKER_HUB else registry
    try:
        done = subprocess.run(
            [path, "get"], input=server.encode(), capture_output=True,
            timeout=HELPER_TIMEOUT, check=False, env=dict(environ),
        )
    except subprocess.TimeoutExpired:
        lookup.warnings.append(f"{program} get: no answer within {HELPER_TIMEOUT:.0f} s")
        return None
    except OSError as error:
        lookup.warnings.append(f"{program} get: cannot run ({error.strerror})")
        return None
    if done.returncode != 0:
        said = (done.stdout or done.stderr).decode("utf-8", "replace").strip()
        if "credentials not found" not in said.lower():
            # First line only: a helper's diagnostics, never its (absent) secret.
            first = said.splitlines()[0][:200] if said else "no message"
            lookup.warnings.append(f"{program} get failed (exit {done.returncode}: {first})")
        return None
    try:
        answer = orjson.loads(done.stdout)
    except orjson.JSONDecodeError:
        lookup.warnings.append(f"{program} get: answer is not JSON; ignoring it")
        return None
    if not isinstance(answer, dict):
        return None
    username, secret = answer.get("Username"), answer.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        return None
    if username == _TOKEN_USER:
        return Credentials(identity_token=secret, source=program)
    return Credentials(username, secret, source=program)
