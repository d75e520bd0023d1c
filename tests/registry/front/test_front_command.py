"""`python -m tenlayer.registry.front`: bad input is one line on stderr and exit 2; an
environment problem (nginx cannot listen) exit 3; never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tenlayer.registry.front.nginx import find_nginx


def front(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenlayer.registry.front", "--upstream", "http://127.0.0.1:9",
         *arguments],
        capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not a readable JSON policy ([Errno 2] No such file or directory: '{path}')"),
        ("nope", "not a readable JSON policy (Expecting value: line 1 column 1 (char 0))"),
        ('{"rules": [{"repository": 1}]}',
         "rule {'repository': 1}: repository and reason must be strings"),
        ('{"rules": {}}', "the policy must be an object with a list of rules"),
        ('{"exempt": "robot"}', "exempt must be a list of names"),
    ],
)
def test_bad_policy(tmp_path: Path, content: str | None, message: str) -> None:
    policy = tmp_path / "policy.json"
    if content is not None:
        policy.write_text(content)
    done = front("--policy", str(policy))
    assert done.returncode == 2
    detail = message.replace("{path}", str(policy))
    expected = f"tenlayer registry front: {policy}: {detail}\n"
    assert done.stderr == expected


def test_bad_trust_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "token.crt"
    bundle.write_text("not a certificate\n")
    done = front("--trust", str(bundle), "--audience", "registry", "--issuer", "issuer")
    assert done.returncode == 2
    assert done.stderr.startswith(f"tenlayer registry front: {bundle}: not readable PEM ")
    assert done.stderr.count("\n") == 1


def test_address_in_use_is_an_environment_error(tmp_path: Path) -> None:
    if find_nginx() is None:
        pytest.skip("needs nginx (Debian: nginx-light)")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = front("--listen", f"127.0.0.1:{port}", "--prefix", str(tmp_path / "nginx"))
    assert done.returncode == 3
    assert done.stderr.startswith("tenlayer registry front: nginx did not start: ")
    assert "Address already in use" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("number", "code"), [(signal.SIGTERM, 0), (signal.SIGKILL, -9)])
def test_front_ends_when_its_nginx_dies(tmp_path: Path, number: int, code: int) -> None:
    if find_nginx() is None:
        pytest.skip("needs nginx (Debian: nginx-light)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tenlayer.registry.front", "--upstream", "http://127.0.0.1:9",
         "--listen", f"127.0.0.1:{port}", "--prefix", str(tmp_path / "nginx")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        pid_file = tmp_path / "nginx" / "nginx.pid"
        deadline = time.monotonic() + 20
        while True:  # serving: nginx answers (the decision endpoint starts right after)
            assert process.poll() is None and time.monotonic() < deadline
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        os.kill(int(pid_file.read_text()), number)  # stopped by someone else
        _, stderr = process.communicate(timeout=20)
        # nothing of nginx is left listening (its workers outlive a killed master)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                break
            assert time.monotonic() < deadline, "an nginx worker still listens"
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 3
    assert stderr.startswith(f"tenlayer registry front: nginx exited ({code}): ")
    assert stderr.count("\n") == 1, stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--upstream", "https://127.0.0.1:5000"],
         "--upstream must be http://HOST:PORT (distribution on a private address)"),
        (["--upstream", "http://127.0.0.1:5000/prefix"],
         "--upstream must be http://HOST:PORT (distribution on a private address)"),
        (["--upstream", "http://127.0.0.1"],
         "--upstream must be http://HOST:PORT (distribution on a private address)"),
        (["--trust", "token.crt"],
         "--trust needs --audience and --issuer (the token service's names)"),
    ],
)
def test_usage_errors(arguments: list[str], message: str) -> None:
    done = front(*arguments)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == f"python -m tenlayer.registry.front: error: {message}"
