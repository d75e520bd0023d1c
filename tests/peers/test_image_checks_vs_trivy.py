"""`tenlayer image scan --checks config,secret` against `trivy image --scanners
misconfig,secret --image-config-scanners misconfig,secret`, offline, on the same files: an
image with one secret of each shape both know (tests/peers/peer_image.py) and the real
Debian and application fixtures.

Findings are compared as (what, path, line). Where the tools differ, the difference is
listed in EXPLAINED with the reason; a difference not listed fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.imagecheck.images import scan_findings
from tests.peers.peer_image import write_peer_image
from tests.support.fixtures import fixture

pytestmark = [pytest.mark.peers, pytest.mark.integration]

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
Key = tuple[str, str, int]  # what, where (path or config field), line (0: none)

TRIVY_RULES = {
    "aws-access-key-id": "aws-access-key-id",
    "aws-secret-access-key": "aws-secret-access-key",
    "github-pat": "github-token",
    "gitlab-pat": "gitlab-token",
    "slack-access-token": "slack-token",
    "stripe-secret-token": "stripe-secret-key",
    "private-key": "private-key",
}
"""trivy's rule ids for the shapes tenlayer also has, under tenlayer's names."""

EXPLAINED_TENLAYER_ONLY = {
    ("config-password", "/app/.env", 3):
        "DB_PASSWORD=hunter2: trivy has no rule for passwords in configuration files",
    ("npm-token", "/app/tokens.txt", 5):
        "an npm access token (npm_ + 36): trivy 0.76 reported nothing for it",
    ("image/setuid-file", "/usr/local/bin/helper", 0):
        "trivy has no check of file modes",
    ("image/secret-in-env", "DB_PASSWORD", 0):
        "trivy reports the ENV from the history line (DS-0031) but not the config's Env "
        "entry itself; tenlayer reports both places",
}
EXPLAINED_TRIVY_ONLY = {
    ("DS-0026", "", 0):
        "trivy's Dockerfile check 'no HEALTHCHECK', run on the history: a Dockerfile rule "
        "(tenlayer dockerfile lint), not a risk of the built image",
}
SETUID_EXPLAINED = "trivy has no check of file modes: the 11 setuid/setgid files of Debian"
ROOT_EXPLAINED = (
    "trivy runs its checks of the image config (DS-0002 root user, DS-0026 healthcheck) on "
    "the history rewritten as a Dockerfile; umoci's history (`debootstrap …`, `umoci config`) "
    "holds no Dockerfile instructions, so trivy says nothing, though the config's User is "
    "unset and the image runs as root"
)


def trivy(image: Path, cache: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(BIN / "trivy"), "image", "--input", str(image), "--scanners", "misconfig,secret",
         "--image-config-scanners", "misconfig,secret", "--skip-db-update",
         "--skip-check-update", "--offline-scan", "--format", "json", "-q"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "TRIVY_CACHE_DIR": str(cache), "TRIVY_DISABLE_TELEMETRY": "true",
             "TRIVY_SKIP_VERSION_CHECK": "true"},
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def trivy_keys(document: dict[str, Any], image: Path) -> set[Key]:
    """Secrets in layer files under tenlayer's rule names (private keys at the BEGIN line:
    trivy gives the first line of the key's body); secrets trivy finds by scanning the config
    JSON as text and its DS-0031 history check as `image/secret-in-env`/`-history` with the
    variable name; other misconfigurations by their id."""
    keys: set[Key] = set()
    for result in document.get("Results") or []:
        target = result["Target"]
        for secret in result.get("Secrets") or []:
            rule = TRIVY_RULES.get(secret["RuleID"], secret["RuleID"])
            if target == str(image):  # the config JSON, scanned as a file
                keys.add(("config-json", rule, 0))
                continue
            line = secret["StartLine"] - (1 if rule == "private-key" else 0)
            keys.add((rule, target, line))
        for misconfiguration in result.get("Misconfigurations") or []:
            identifier = misconfiguration["ID"]
            message = misconfiguration.get("Message", "")
            if identifier == "DS-0002":
                keys.add(("image/runs-as-root", "config.User", 0))
            elif identifier == "DS-0031":
                name = message.split('"')[1]
                keys.add(("image/secret-in-history", name, 0))
            else:
                keys.add((identifier, "", 0))
    return keys


def tenlayer_keys(findings: list[dict[str, Any]]) -> set[Key]:
    keys: set[Key] = set()
    for finding in findings:
        check, evidence = finding["check_id"], finding["evidence"]
        if check == "image/secret-in-layer":
            keys.add((evidence["rule"], finding["location"], finding["line"]))
        elif check == "image/secret-in-env":
            if "AWS access key id" in evidence["reason"]:  # trivy: a shape in the config JSON
                keys.add(("config-json", "aws-access-key-id", 0))
            else:
                keys.add((check, evidence["variable"], 0))
        elif check == "image/secret-in-history":
            name = evidence["reason"].split(":")[0]
            keys.add((check, name, 0))
            if "GitHub token" in evidence["reason"]:
                keys.add(("config-json", "github-token", 0))
        else:
            keys.add((check, finding["location"], finding["line"] or 0))
    return keys


def compare(image: Path, cache: Path) -> tuple[set[Key], set[Key]]:
    ours = tenlayer_keys(scan_findings(image, "--checks", "config,secret"))
    theirs = trivy_keys(trivy(image, cache), image)
    return ours - theirs, theirs - ours


def test_planted_secrets_agree_with_trivy(tmp_path: Path) -> None:
    image = tmp_path / "peer.tar"
    write_peer_image(image)
    only_ours, only_theirs = compare(image, tmp_path / "trivy")
    assert only_ours == set(EXPLAINED_TENLAYER_ONLY)
    assert only_theirs == set(EXPLAINED_TRIVY_ONLY)


@pytest.mark.parametrize("name", ["debian", "app"])
def test_fixture_images_agree_with_trivy(name: str, tmp_path: Path) -> None:
    only_ours, only_theirs = compare(fixture(name).docker_archive, tmp_path / "trivy")
    setuid = {key for key in only_ours if key[0] == "image/setuid-file"}
    assert len(setuid) == 11, SETUID_EXPLAINED
    assert only_ours - setuid == {("image/runs-as-root", "config.User", 0)}, ROOT_EXPLAINED
    assert only_theirs == set()  # no secrets in either
