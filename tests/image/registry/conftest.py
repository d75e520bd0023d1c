"""Fixtures for pulling from real registries: started once per session, stopped by PID.

- `plain_registry`: anonymous, holding `test/small:v1` (OCI, built with umoci),
  `test/docker:v1` (the same image as Docker v2 schema 2) and `test/multi:latest`
  (an OCI index over linux/amd64 and linux/arm64/v8);
- `basic_registry`: htpasswd (bcrypt) auth, user `alice`/`alice-secret`, `test/small:v1`;
- `token_registry`: token auth through `support.registry.TokenServer`, same user and image.

Every test runs with HOME, DOCKER_CONFIG, REGISTRY_AUTH_FILE and the XDG directories pointed
at its own temporary directory, so the machine's real credentials never take part.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tenlayer.image.open import OpenOptions, open_image
from tenlayer.image.walker import walk
from tenlayer.model import Image
from tests.support import registry as support

USER, PASSWORD = "alice", "alice-secret"

SMALL_LAYERS: list[dict[str, bytes | None]] = [
    {"/etc/hello.txt": b"hello\n", "/etc/motd": b"welcome\n", "/usr/bin/tool": b"#!/bin/sh\n"},
    {"/etc/motd": None},
    {"/srv/data.bin": bytes(range(256)) * 64},
]


def _need(condition: bool, message: str) -> None:
    """Debian tools: CI installs them (Makefile), so there a missing one is a failure."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def need_modules(*names: str) -> None:
    """Python test dependencies (cryptography, pyjwt, bcrypt): skip, naming what to install."""
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        packages = " ".join({"jwt": "pyjwt"}.get(name, name) for name in missing)
        pytest.skip(f"needs the Python test dependencies: pip install {packages}")


@pytest.fixture
def token_tools() -> None:
    """For tests that make certificates or sign tokens themselves."""
    need_modules("cryptography", "jwt")


@pytest.fixture(scope="session")
def registry_tools() -> None:
    missing = support.missing_tools()
    _need(not missing, f"needs {', '.join(missing)} (apt-get install docker-registry skopeo umoci)")


@pytest.fixture(autouse=True)
def isolated_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def layout(registry_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One OCI layout: `small`, `amd64`, `arm64` and the index `multi` over the last two."""
    path = tmp_path_factory.mktemp("layout") / "oci"
    support.build_layout(path, "small", SMALL_LAYERS)
    support.build_layout(path, "amd64", [{"/etc/arch": b"amd64\n"}])
    support.build_layout(path, "arm64", [{"/etc/arch": b"arm64\n"}], architecture="arm64",
                         variant="v8")
    support.add_index(
        path, "multi",
        [
            ("amd64", {"os": "linux", "architecture": "amd64"}),
            ("arm64", {"os": "linux", "architecture": "arm64", "variant": "v8"}),
        ],
    )
    return path


@pytest.fixture(scope="session")
def plain_registry(
    layout: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[support.Registry]:
    registry = support.start_registry(tmp_path_factory.mktemp("plain-registry"))
    try:
        base = f"docker://{registry.address}"
        support.skopeo_copy(f"oci:{layout}:small", f"{base}/test/small:v1")
        support.skopeo_copy(f"oci:{layout}:small", f"{base}/test/docker:v1", "--format", "v2s2")
        support.skopeo_copy(f"oci:{layout}:multi", f"{base}/test/multi:latest", "--all")
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def basic_registry(
    layout: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[support.Registry]:
    if not support.can_hash_passwords():
        need_modules("bcrypt")
    workdir = tmp_path_factory.mktemp("basic-registry")
    users = support.htpasswd(workdir / "htpasswd", {USER: PASSWORD})
    registry = support.start_registry(
        workdir, auth={"htpasswd": {"realm": "tenlayer-test", "path": str(users)}}
    )
    try:
        support.skopeo_copy(
            f"oci:{layout}:small", f"docker://{registry.address}/test/small:v1",
            "--dest-creds", f"{USER}:{PASSWORD}",
        )
        yield registry
    finally:
        registry.stop()


@dataclass
class TokenRegistry:
    registry: support.Registry
    tokens: support.TokenServer

    @property
    def address(self) -> str:
        return self.registry.address


@pytest.fixture(scope="session")
def token_registry(
    layout: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TokenRegistry]:
    need_modules("cryptography", "jwt")
    workdir = tmp_path_factory.mktemp("token-registry")
    tokens = support.TokenServer(
        workdir, users={USER: PASSWORD}, refresh_tokens={"refresh-alice": USER}
    )
    try:
        registry = support.start_registry(workdir, auth=tokens.registry_auth())
        try:
            support.skopeo_copy(
                f"oci:{layout}:small", f"docker://{registry.address}/test/small:v1",
                "--dest-creds", f"{USER}:{PASSWORD}",
            )
            tokens.requests.clear()
            yield TokenRegistry(registry, tokens)
        finally:
            registry.stop()
    finally:
        tokens.stop()


class _Everything:
    """An analyzer that wants every file and keeps its bytes."""

    name = "everything"
    max_file_size = 1 << 30

    def wants(self, path: str, mode: int, size: int) -> bool:
        return True

    def analyze(self, path: str, content: Any) -> bytes:
        return bytes(content.read())


Pull = Callable[..., tuple[Image, dict[str, bytes]]]


def pull_and_walk(reference: str, **options: Any) -> tuple[Image, dict[str, bytes]]:
    """Open `reference`, walk every layer, close; return the image and its final files.

    Options default to `insecure=True` (the test registries speak plain HTTP), timeout 10 s.
    """
    opened = open_image(reference, OpenOptions(**{"insecure": True, "timeout": 10.0, **options}))
    try:
        result = walk(opened, [_Everything()])
    finally:
        opened.close()
    files = {path: records[-1].result for path, records in result.files.items()}
    return opened.image, files


@pytest.fixture
def pull() -> Pull:
    return pull_and_walk
