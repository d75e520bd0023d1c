"""`tenlayer registry ...` as a user runs it: keys, configuration errors, administration."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from tests.registry.conftest import write_config
from tests.support.registry import free_port

PASSWORD = "a long password"


def tenlayer(*args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TENLAYER_PASSWORD"}
    if password is not None:
        env["TENLAYER_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "tenlayer", "registry", *args], capture_output=True, text=True,
        timeout=60, env=env, stdin=subprocess.DEVNULL,
    )


def test_keys_generate_and_auth_block(tmp_path: Path) -> None:
    done = tenlayer("keys", "generate", str(tmp_path / "k"), "--issuer", "iss", "--service",
                    "svc", "--realm", "http://127.0.0.1:9999/token")
    assert done.returncode == 0, done.stderr
    block = yaml.safe_load(done.stdout)
    assert block == {"auth": {"token": {
        "realm": "http://127.0.0.1:9999/token", "service": "svc", "issuer": "iss",
        "rootcertbundle": str((tmp_path / "k" / "bundle.pem").resolve()),
    }}}
    assert ((tmp_path / "k" / "bundle.pem").read_bytes()
            == (tmp_path / "k" / "token.crt").read_bytes())
    assert yaml.safe_load((tmp_path / "k" / "registry-auth.yml").read_text()) == block
    assert stat.S_IMODE((tmp_path / "k" / "token.key").stat().st_mode) == 0o600
    again = tenlayer("keys", "generate", str(tmp_path / "k"))
    assert again.returncode == 2
    assert "already exists" in again.stderr and "Traceback" not in again.stderr


def test_keys_bundle_leaves_out_retired_keys(tmp_path: Path) -> None:
    for name in ("old", "new"):
        assert tenlayer("keys", "generate", str(tmp_path / name)).returncode == 0
    config = write_config(tmp_path, keys=[
        {"certificate": "old/token.crt", "retired": True},
        {"certificate": "new/token.crt", "key": "new/token.key"},
    ])
    done = tenlayer("keys", "bundle", "--config", str(config), "-o", str(tmp_path / "b.pem"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b.pem").read_text() == (tmp_path / "new" / "token.crt").read_text()


def test_bad_configuration_is_one_line_exit_2(tmp_path: Path) -> None:
    cases = {
        "listen: [": "not valid YAML",
        "- a list": "must be a mapping",
        "issuer: i\nservice: s\nkeys: []": "keys must be a list",
        "issuer: i\nservice: s\nport: 5": "unknown field 'port'",
        "issuer: i\nservice: s\nlisten: nowhere\nkeys: [{certificate: c, key: k}]":
            "is not host:port",
        "service: s\nkeys: [{certificate: c, key: k}]": "issuer must be",
        "issuer: i\nservice: s\ntoken_lifetime: 0\nkeys: [{certificate: c, key: k}]":
            "token_lifetime",
        "issuer: i\nservice: s\nkeys: [{certificate: c}]": "needs its key file",
        "issuer: i\nservice: s\nkeys: [{certificate: c, key: k}]\nbad: !!python/object:os.system x":
            "not valid YAML",
    }
    # a problem found at the end of a two-line file is on line 2, not on a line 3
    cases["issuer: i\nservice: 'open"] = "not valid YAML at line 2"
    for text, message in cases.items():
        config = tmp_path / "c.yml"
        config.write_text(text)
        done = tenlayer("user", "list", "--config", str(config))
        assert done.returncode == 2, (text, done.stderr)
        assert message in done.stderr, (text, done.stderr)
        assert done.stderr.count("\n") == 1 and str(config) in done.stderr
    missing = tenlayer("user", "list", "--config", str(tmp_path / "nope.yml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    config = write_config(tmp_path, keys=[{"certificate": "keys/none.crt", "key": "k"}])
    serve = tenlayer("serve", "--config", str(config))
    assert serve.returncode == 2 and "not a readable PEM certificate" in serve.stderr


def test_administration_round_trip(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))

    def ok(*args: str) -> str:
        done = tenlayer(*args, "--config", config)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    ok("user", "add", "root", "--admin")
    ok("user", "add", "alice")
    ok("user", "set", "alice", "--admin")
    ok("user", "set", "alice", "--no-admin")
    last = tenlayer("user", "set", "root", "--no-admin", "--config", config)
    assert last.returncode == 2 and "last system administrator" in last.stderr
    assert tenlayer("user", "set", "alice", "--config", config).returncode == 2
    assert tenlayer("user", "add", "bob", "--config", config, password=None).returncode == 2
    short = tenlayer("user", "add", "bob", "--config", config, password="short")
    assert short.returncode == 2 and "too short" in short.stderr
    ok("group", "add", "devs", "--user", "alice")
    ok("project", "add", "team", "--severity-threshold", "high", "--immutable-tag", "v*")
    ok("project", "set", "team", "--public", "--minimum-grade", "b")
    ok("member", "add", "team", "--group", "devs", "--role", "developer")
    ok("member", "add", "team", "--user", "alice", "--role", "guest")
    secret = ok("robot", "add", "ci", "--permission", "team:pull", "--expires-in", "1d").strip()
    assert len(secret) >= 40

    users = json.loads(ok("user", "list", "--json"))
    assert users == [{"name": "alice", "admin": False, "groups": ["devs"]},
                     {"name": "root", "admin": True, "groups": []}]
    projects = json.loads(ok("project", "list", "--json"))
    assert projects[0]["public"] is True and projects[0]["minimum_grade"] == "B"
    assert projects[0]["severity_threshold"] == "high"
    ok("project", "set", "team", "--allow-cve", "CVE-2024-1", "--clear", "severity-threshold")
    projects = json.loads(ok("project", "list", "--json"))
    assert (projects[0]["severity_threshold"], projects[0]["cve_allowlist"]) == (
        None, ["CVE-2024-1"])
    ok("project", "set", "team", "--clear", "allow-cve", "--clear", "minimum-grade")
    projects = json.loads(ok("project", "list", "--json"))
    assert (projects[0]["minimum_grade"], projects[0]["cve_allowlist"]) == (None, [])
    both = tenlayer("project", "set", "team", "--allow-cve", "CVE-1", "--clear", "allow-cve",
                    "--config", config)
    assert both.returncode == 2 and "--clear allow-cve and a new value at once" in both.stderr
    ok("project", "set", "team", "--severity-threshold", "high", "--minimum-grade", "b")
    assert ok("member", "list", "team").splitlines() == [
        "group devs developer", "user alice guest"]
    robots = ok("robot", "list")
    assert robots.startswith("robot$ci expires=") and robots.rstrip().endswith("team:pull")
    database = (tmp_path / "tenlayer-registry.db").read_bytes()
    for secret_text in (secret, PASSWORD):
        assert secret_text.encode() not in database  # stored hashed
    assert secret not in robots

    duplicate = tenlayer("member", "add", "team", "--user", "alice", "--role", "guest",
                         "--config", config)
    assert duplicate.returncode == 2 and "already a member" in duplicate.stderr
    wrong = tenlayer("member", "add", "team", "--user", "x", "--group", "y", "--role",
                     "guest", "--config", config)
    assert wrong.returncode == 2
    ok("member", "remove", "team", "--user", "alice")
    ok("robot", "remove", "robot$ci")
    ok("group", "remove", "devs")
    ok("project", "remove", "team")
    ok("user", "remove", "alice")
    assert tenlayer("user", "remove", "alice", "--config", config).returncode == 2
    assert ok("project", "list") == ""


def test_serve_on_a_taken_address_is_exit_3(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = write_config(tmp_path, listen=f"127.0.0.1:{port}")
        done = tenlayer("serve", "--config", str(config))
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("tenlayer: cannot listen on 127.0.0.1:")


def test_a_missing_events_secret_stops_serve_before_it_announces_itself(tmp_path: Path) -> None:
    config = write_config(tmp_path, upstream="http://127.0.0.1:5000",
                          events={"secret_file": "missing.secret"},
                          listen=f"127.0.0.1:{free_port()}")
    serve = tenlayer("serve", "--config", str(config))
    assert serve.returncode == 2
    assert serve.stderr.count("\n") == 1, serve.stderr
    assert "missing.secret: cannot read the secret" in serve.stderr


def test_serve_with_scans_needs_the_vulnerability_database(tmp_path: Path) -> None:
    (tmp_path / "events.secret").write_text("shared-secret\n")
    config = write_config(tmp_path, upstream="http://127.0.0.1:5000",
                          events={"secret_file": "events.secret"}, vulndb="missing.sqlite",
                          listen=f"127.0.0.1:{free_port()}")
    serve = tenlayer("serve", "--config", str(config))
    assert serve.returncode == 2
    assert serve.stderr == (
        f"tenlayer: {config.resolve()}: vulndb: no vulnerability database at "
        f"{(tmp_path / 'missing.sqlite').resolve()}; run `tenlayer db update` (or "
        "`tenlayer db import FILE`)\n")
