"""The configuration of scan on push and the front (events, scanner, vulndb, front), and
the commands that use it, as a user meets their errors: one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.registry.config import ScannerConfig, load_config
from tests.registry.conftest import write_config


def tenlayer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenlayer", "registry", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env=dict(os.environ))


def test_defaults_and_paths(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    assert (config.events_secret_file, config.scanner, config.vulndb, config.front_listen) == (
        None, ScannerConfig("robot$scanner", None), None, "127.0.0.1:5080")
    assert config.events_secret() is None
    (tmp_path / "events.secret").write_text("s3cret\n")
    (tmp_path / "robot.secret").write_text("robot-secret")
    config = load_config(write_config(
        tmp_path, upstream="http://127.0.0.1:5000", events={"secret_file": "events.secret"},
        scanner={"account": "robot$scan", "secret_file": "robot.secret"}, vulndb="v.sqlite",
        front={"listen": "127.0.0.1:5081"},
    ))
    assert config.events_secret() == "s3cret"
    assert config.scanner == ScannerConfig("robot$scan", tmp_path.resolve() / "robot.secret")
    assert config.scanner.secret() == "robot-secret"
    assert (config.vulndb, config.front_listen) == (tmp_path.resolve() / "v.sqlite",
                                                    "127.0.0.1:5081")


@pytest.mark.parametrize(("extra", "message"), [
    ({"events": {"secret": "x"}}, "events: unknown field 'secret' (known: secret_file)"),
    ({"events": True}, "events must be a mapping (secret_file)"),
    ({"front": {"listen": "127.0.0.1:5080", "tls": True}},
     "front: unknown field 'tls' (known: listen)"),
    ({"events": {"secret_file": ""}}, "secret_file must be a non-empty string"),
    ({"scanner": {"account": "robot$s", "password": "x"}},
     "scanner: unknown field 'password' (known: account, secret_file)"),
    ({"scanner": {"account": "alice"}},
     "scanner.account 'alice' must be a robot account (robot$NAME): it pulls from every "
     "project and is exempt from the pull rules"),
    ({"front": {"listen": "nowhere"}}, "front.listen 'nowhere' is not host:port"),
    ({"vulndb": 5}, "vulndb must be the path of tenlayer's vulnerability database"),
])
def test_bad_sections(tmp_path: Path, extra: dict[str, object], message: str) -> None:
    path = write_config(tmp_path, **extra)
    with pytest.raises(BadInput) as raised:
        load_config(path)
    assert str(raised.value) == f"{path.resolve()}: {message}"


def test_a_key_set_twice_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    path.write_text("listen: 127.0.0.1:7003\n" + "\n".join(
        f"{key}: {json.dumps(value)}" for key, value in json.loads(text).items()) + "\n")
    with pytest.raises(BadInput) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: 'listen' is set twice, at lines 1 and 2"
    twice = '"keys": [{"certificate": "a", "certificate": "b"}, '
    path.write_text(text.replace('"keys": [', twice))
    with pytest.raises(BadInput) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: 'certificate' is set twice, at lines 1 and 1"


def test_commands_need_upstream_and_readable_secrets(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    done = tenlayer("rescan", "--config", str(config))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"tenlayer: {config.resolve()}: upstream (the registry's URL) is " \
        "not set\n"
    config = write_config(tmp_path, upstream="http://127.0.0.1:5000",
                          scanner={"secret_file": "missing.secret"})
    done = tenlayer("front", "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.startswith(f"tenlayer: {tmp_path.resolve() / 'missing.secret'}: cannot "
                                  "read the secret")
    assert done.stderr.count("\n") == 1
    config = write_config(tmp_path, upstream="https://registry.example:5000")
    done = tenlayer("front", "--config", str(config))
    assert (done.returncode, done.stderr) == (2, (
        f"tenlayer: {config.resolve()}: upstream must be http://HOST:PORT for the front "
        "(distribution on a private address)\n"))


def test_images_and_audit_lists_start_empty(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for command in ("images", "audit"):
        done = tenlayer(command, "--config", str(config))
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
        done = tenlayer(command, "--config", str(config), "--json")
        assert (done.returncode, json.loads(done.stdout)) == (0, [])


def test_registry_events_keep_manifest_pushes_pulls_and_deletes() -> None:
    """The envelope shapes distribution 2.8.2 sends (recorded from the real registry):
    blob events and HEAD pulls are left out; a manifest delete comes with one event per tag."""
    from tenlayer.registry.scanner import BadEnvelope, RegistryEvent, registry_events

    digest = "sha256:" + "1" * 64
    manifest = "application/vnd.oci.image.manifest.v1+json"
    request = {"addr": "192.0.2.7:4000", "method": "GET"}
    envelope = {"events": [
        {"action": "push", "target": {"mediaType": "application/octet-stream",
                                      "digest": digest, "repository": "team/app"}},
        {"action": "pull", "target": {"mediaType": manifest, "digest": digest,
                                      "repository": "team/app", "tag": "1"},
         "actor": {"name": "bob"}, "request": request},
        {"action": "pull", "target": {"mediaType": manifest, "digest": digest,
                                      "repository": "team/app"},
         "request": {**request, "method": "HEAD"}},
        {"action": "pull", "target": {"mediaType": "application/octet-stream",
                                      "digest": digest, "repository": "team/app"},
         "request": request},
        {"action": "push", "actor": {"name": "alice"},
         "target": {"mediaType": manifest, "digest": digest, "repository": "team/app",
                    "tag": "1"}, "request": {"addr": "192.0.2.8:5000", "method": "PUT"}},
        {"action": "push", "target": {
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "digest": digest, "repository": "team/multi", "tag": ""}},
        {"action": "delete", "target": {"digest": digest, "repository": "team/app"},
         "actor": {"name": "maria"}, "request": {"addr": "192.0.2.9:1", "method": "DELETE"}},
        {"action": "delete", "target": {"repository": "team/app", "tag": "1"},
         "actor": {"name": "maria"}, "request": {"addr": "192.0.2.9:1", "method": "DELETE"}},
        {"action": "mount", "target": {"mediaType": manifest, "digest": digest,
                                       "repository": "team/app"}},
    ]}
    assert registry_events(envelope) == [
        RegistryEvent("pull", "team/app", digest, "1", "bob", "192.0.2.7", "GET"),
        RegistryEvent("push", "team/app", digest, "1", "alice", "192.0.2.8", "PUT"),
        RegistryEvent("push", "team/multi", digest, None, "", "", ""),
        RegistryEvent("delete", "team/app", digest, None, "maria", "192.0.2.9", "DELETE"),
        RegistryEvent("delete", "team/app", None, "1", "maria", "192.0.2.9", "DELETE"),
    ]
    for bad, message in (([], "no events list"), ({"events": {}}, "no events list"), (
            {"events": [{"action": "push", "target": {
                "mediaType": manifest, "repository": "team/app"}}]},
            "a push event without a repository and a digest"), (
            {"events": [{"action": "delete", "target": {"repository": "team/app"}}]},
            "a delete event without a repository and a digest")):
        with pytest.raises(BadEnvelope) as raised:
            registry_events(bad)
        assert str(raised.value) == message


def test_signature_manifests_are_recognised() -> None:
    from tenlayer.registry.scanner import is_signature_manifest

    signing = {"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json"}
    tar = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
    assert is_signature_manifest(json.dumps({"layers": [signing, signing]}).encode())
    assert not is_signature_manifest(json.dumps({"layers": [signing, tar]}).encode())
    assert not is_signature_manifest(json.dumps({"layers": []}).encode())
    assert not is_signature_manifest(b"not json")
    assert not is_signature_manifest(b"[]")


def test_a_scan_the_registry_could_not_answer_is_retried(tmp_path: Path) -> None:
    """A scan that failed because the registry did not answer is tried again after each
    delay, then left `failed` (until `registry rescan`)."""
    import datetime
    import time

    from tenlayer.registry.scanner import RegistryEvent, ScanQueue, Upstream
    from tenlayer.registry.store import Store
    from tests.support.registry import refused_address

    store = Store(f"sqlite:///{tmp_path / 'registry.db'}")
    queue = ScanQueue(store, Upstream(f"http://{refused_address()}", timeout=2),
                      database=None, retry_delays=(0.05, 0.1))
    digest = "sha256:" + "2" * 64
    queue.start()
    try:
        queue.handle(RegistryEvent("push", "team/app", digest, "1", "alice"))
        deadline = time.monotonic() + 30
        while len(scans := [e for e in store.audit_log() if e.action == "scan"]) < 3:
            assert time.monotonic() < deadline, scans
            time.sleep(0.05)
        time.sleep(0.3)
        scans = [e for e in store.audit_log() if e.action == "scan"]
    finally:
        queue.stop()
    endings = [e.reason.rpartition(";")[2].strip() for e in scans]
    assert endings == ["retry 1 of 2 in 0.05 s", "retry 2 of 2 in 0.1 s",
                       "no more retries (registry rescan)"]
    assert all(e.reason.startswith("scan failed: ") and not e.allowed for e in scans)
    image = store.image("team/app", digest)
    assert image is not None and image.status == "failed"
    assert isinstance(image.scanned_at, datetime.datetime)
    store.close()
