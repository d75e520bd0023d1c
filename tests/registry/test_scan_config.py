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
    ({"events": {"secret": "x"}}, "events has secret_file"),
    ({"events": {"secret_file": ""}}, "secret_file must be a non-empty string"),
    ({"scanner": {"account": "robot$s", "password": "x"}}, "scanner has account, secret_file"),
    ({"front": {"listen": "nowhere"}}, "front.listen 'nowhere' is not host:port"),
    ({"vulndb": 5}, "vulndb must be the path of tenlayer's vulnerability database"),
])
def test_bad_sections(tmp_path: Path, extra: dict[str, object], message: str) -> None:
    path = write_config(tmp_path, **extra)
    with pytest.raises(BadInput) as raised:
        load_config(path)
    assert str(raised.value) == f"{path.resolve()}: {message}"


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


def test_push_events_keep_manifest_pushes_only() -> None:
    from tenlayer.registry.scanner import BadEnvelope, PushEvent, push_events

    digest = "sha256:" + "1" * 64
    envelope = {"events": [
        {"action": "push", "target": {"mediaType": "application/octet-stream",
                                      "digest": digest, "repository": "team/app"}},
        {"action": "pull", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                      "digest": digest, "repository": "team/app", "tag": "1"}},
        {"action": "push", "actor": {"name": "alice"},
         "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest, "repository": "team/app", "tag": "1"}},
        {"action": "push", "target": {
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "digest": digest, "repository": "team/multi", "tag": ""}},
    ]}
    assert push_events(envelope) == [PushEvent("team/app", digest, "1", "alice"),
                                     PushEvent("team/multi", digest, None, "")]
    for bad, message in (([], "no events list"), ({"events": {}}, "no events list"), (
            {"events": [{"action": "push", "target": {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "repository": "team/app"}}]},
            "a push event without a repository and a digest")):
        with pytest.raises(BadEnvelope) as raised:
            push_events(bad)
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
