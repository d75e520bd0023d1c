"""Fixtures for the registry's in-process tests: a key, a configuration, a store, the app."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tenlayer.registry.config import RegistryConfig, load_config
from tenlayer.registry.keys import write_key
from tenlayer.registry.server import create_app
from tenlayer.registry.service import TokenService
from tenlayer.registry.store import Store

SERVICE, ISSUER = "test-registry", "test-issuer"
PASSWORD = "s3cret-password"


class Clock:
    """Wall time and monotonic time a test moves by hand."""

    def __init__(self) -> None:
        self.wall = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
        self.mono = 1000.0

    def now(self) -> datetime.datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += datetime.timedelta(seconds=seconds)
        self.mono += seconds


@dataclass
class App:
    client: TestClient
    service: TokenService
    store: Store
    clock: Clock
    config: RegistryConfig


def write_config(directory: Path, **extra: object) -> Path:
    if not (directory / "keys" / "token.crt").exists():
        write_key(directory / "keys", ISSUER)
    config = directory / "registry.yml"
    document = {
        "listen": "127.0.0.1:5002", "issuer": ISSUER, "service": SERVICE,
        "keys": [{"certificate": "keys/token.crt", "key": "keys/token.key"}],
        "throttle": {"free": 3, "free_per_client": 3, "base": 2, "cap": 60},
        **extra,
    }
    config.write_text(json.dumps(document))
    return config


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    config = load_config(write_config(tmp_path))
    store = Store(config.database)
    clock = Clock()
    service = TokenService(config, store, config.key_ring(), now=clock.now,
                           monotonic=clock.monotonic)
    store.add_user("root", PASSWORD, admin=True)
    store.add_user("alice", PASSWORD)
    store.add_user("bob", PASSWORD)
    store.add_project("team")
    store.add_project("pub", public=True)
    with TestClient(create_app(service)) as client:
        yield App(client, service, store, clock, config)
    store.close()
