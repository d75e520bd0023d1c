"""The peers read what tenlayer writes: Syft converts it, Trivy scans it, offline.

Each tool must find every package tenlayer listed (by purl) and the distribution. Skipped
when the tool is not installed (`pip install -e '.[dev]'` brings both).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tenlayer.model import Inventory
from tenlayer.sbom import render_cyclonedx, render_spdx

pytestmark = pytest.mark.peers

WRITERS: dict[str, Callable[[Inventory], bytes]] = {
    "cyclonedx": render_cyclonedx,
    "spdx": render_spdx,
}


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def _write(inventory: Inventory, kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"sbom.{kind}.json"
    path.write_bytes(WRITERS[kind](inventory))
    return path


def _run(command: list[str], env: dict[str, str]) -> Any:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("kind", WRITERS)
def test_syft_reads_every_package(inventory: Inventory, kind: str, tmp_path: Path) -> None:
    syft = _tool("syft")
    converted = _run([syft, "convert", str(_write(inventory, kind, tmp_path)), "-o", "json"],
                     {"SYFT_CHECK_FOR_APP_UPDATE": "false"})
    purls = sorted(a["purl"] for a in converted["artifacts"] if a["purl"])
    assert purls == sorted(p.purl for p in inventory.packages)
    assert (converted["distro"]["id"], converted["distro"]["versionID"]) == ("debian", "12")
    libc6 = next(a for a in converted["artifacts"] if a["name"] == "libc6")
    licenses = {license["value"] for license in libc6["licenses"]}
    if kind == "cyclonedx":
        assert licenses == {"LGPL-2.1-or-later", "GPL-2+", "public-domain"}
    else:
        assert licenses == {
            "LGPL-2.1-or-later AND LicenseRef-GPL-2-plus AND LicenseRef-public-domain"
        }


@pytest.mark.parametrize("kind", WRITERS)
def test_trivy_reads_every_package(inventory: Inventory, kind: str, tmp_path: Path) -> None:
    trivy = _tool("trivy")
    report = _run(
        [trivy, "sbom", str(_write(inventory, kind, tmp_path)), "--offline-scan",
         "--skip-db-update", "--scanners", "", "--format", "json", "--list-all-pkgs"],
        {
            "TRIVY_CACHE_DIR": str(tmp_path / "trivy-cache"),
            "TRIVY_DISABLE_TELEMETRY": "true",
            "TRIVY_SKIP_VERSION_CHECK": "true",
        },
    )
    assert report["Metadata"]["OS"] == {"Family": "debian", "Name": "12"}
    packages = [p for result in report["Results"] for p in result.get("Packages", [])]
    purls = sorted(p["Identifier"]["PURL"] for p in packages)
    assert purls == sorted(p.purl for p in inventory.packages)
    os_result = next(r for r in report["Results"] if r["Class"] == "os-pkgs")
    assert {p["Name"] for p in os_result["Packages"]} == {
        "libc6", "perl-base", "bash", "tzdata", "python3-six"
    }
    if kind == "cyclonedx":
        libc6 = next(p for p in packages if p["Name"] == "libc6")
        assert libc6["Licenses"] == ["LGPL-2.1-or-later", "GPL-2+", "public-domain"]
