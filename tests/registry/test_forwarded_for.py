"""The login throttle's client address is the TCP peer's, never a header: a client on
loopback setting X-Forwarded-For must not spray passwords from "other" addresses."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.registry.conftest import SERVICE, write_config
from tests.support.registry import free_port


def test_x_forwarded_for_does_not_choose_the_throttled_address(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, listen=f"127.0.0.1:{port}",
                          throttle={"free": 1, "free_per_client": 1, "base": 30, "cap": 60})
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "tenlayer", "registry", "serve", "--config", str(config)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/token", params={"service": SERVICE}, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
        statuses = [
            httpx.get(f"{base}/token", params={"service": SERVICE}, auth=(f"user{n}", "wrong"),
                      headers={"X-Forwarded-For": f"10.0.0.{n}"}, timeout=10).status_code
            for n in range(4)
        ]
        # different accounts, one real address: the address locks after one free failure
        assert statuses == [401, 401, 429, 429]
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
