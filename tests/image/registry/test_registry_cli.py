"""`tenlayer image sbom REF` against a real registry: exit codes and one-line messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.image.registry.conftest import PASSWORD, USER
from tests.support import registry as support

pytestmark = pytest.mark.integration


def tenlayer(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "COLUMNS": "200"}
    for name in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "tenlayer", "image", "sbom", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )


def test_sbom_of_a_registry_image(
    plain_registry: support.Registry, layout: Path, isolated_credentials: Path
) -> None:
    built = support.describe_layout_image(layout, "small")
    reference = f"{plain_registry.address}/test/small:v1"
    done = tenlayer(isolated_credentials, reference, "--insecure", "-f", "json")
    assert (done.returncode, done.stderr) == (0, "")
    image = json.loads(done.stdout)["image"]
    assert (image["manifest_digest"], image["config_digest"]) == (
        built.manifest_digest, built.config_digest,
    )
    assert [layer["digest"] for layer in image["layers"]] == built.layer_digests


def test_bad_input_and_environment_exit_codes(
    plain_registry: support.Registry, isolated_credentials: Path
) -> None:
    missing = f"{plain_registry.address}/test/small:nope"
    done = tenlayer(isolated_credentials, missing, "--insecure")
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "",
        f"tenlayer: {missing}: image not found (registry {plain_registry.address} has no "
        "manifest nope in repository test/small)\n",
    )
    done = tenlayer(isolated_credentials, "Bad/Name")
    assert (done.returncode, done.stderr) == (
        2, "tenlayer: 'Bad/Name': invalid image reference: repository names must be lowercase\n"
    )
    address = support.refused_address()
    done = tenlayer(isolated_credentials, f"{address}/test/small:v1", "--insecure")
    assert (done.returncode, done.stderr) == (
        3, f"tenlayer: {address}/test/small:v1: cannot connect to registry {address} "
        "(connection refused)\n",
    )


def test_refused_credentials_and_helper_warning(
    basic_registry: support.Registry, isolated_credentials: Path
) -> None:
    config = isolated_credentials / ".docker/config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({
        "credsStore": "tenlayer-absent",
        "auths": {basic_registry.address: {"auth": support.basic_auth(USER, "not-" + PASSWORD)}},
    }))
    reference = f"{basic_registry.address}/test/small:v1"
    done = tenlayer(isolated_credentials, reference, "--insecure")
    assert done.returncode == 2
    assert done.stderr == (
        f"warning: {config}: credential helper docker-credential-tenlayer-absent is not on "
        f"PATH; trying the file's other entries for {basic_registry.address}\n"
        f"tenlayer: {reference}: not authorized to pull test/small from "
        f"{basic_registry.address} (credentials from {config} ({basic_registry.address}) "
        "were refused; HTTP 401: UNAUTHORIZED: authentication required)\n"
    )
    assert PASSWORD not in done.stderr
