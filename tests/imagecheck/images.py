"""Docker archives with a chosen image config, for the image checks' tests."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.images import Layer, sha256, write_tar

TENLAYER = [sys.executable, "-m", "tenlayer"]


def write_image(
    path: Path,
    layers: list[Layer],
    *,
    config: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | Any = None,
    raw_config: dict[str, Any] | None = None,
    gzip_layers: bool = False,
) -> list[str]:
    """A docker-archive at `path`; returns the layers' diff_ids. `config` is the container
    config (User, Env, Labels); `history` replaces the one-step-per-layer default;
    `raw_config` is merged into the config document last (for malformed fields)."""
    files: dict[str, bytes] = {}
    diff_ids, names = [], []
    for number, layer in enumerate(layers):
        raw = layer.tar()
        diff_ids.append(sha256(raw))
        names.append(f"{number:064x}/layer.tar")
        files[names[-1]] = gzip.compress(raw, mtime=0, compresslevel=1) if gzip_layers else raw
    document: dict[str, Any] = {
        "architecture": "amd64",
        "os": "linux",
        "config": config or {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history if history is not None
        else [{"created_by": f"layer {n}"} for n in range(len(layers))],
    }
    document.update(raw_config or {})
    data = json.dumps(document, sort_keys=True).encode()
    name = sha256(data).partition(":")[2] + ".json"
    files[name] = data
    files["manifest.json"] = json.dumps(
        [{"Config": name, "RepoTags": ["test/checks:1"], "Layers": names}]
    ).encode()
    write_tar(path, files)
    return diff_ids


def scan(image: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TENLAYER, "image", "scan", str(image), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"},
    )


def scan_findings(image: Path, *args: str) -> list[dict[str, Any]]:
    result = scan(image, "-f", "json", *args)
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings
