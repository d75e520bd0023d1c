"""Images made by the real umoci, as users make them, read back exactly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tenlayer.inventory.scan import inventory_image

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("umoci") is None, reason="umoci is not installed"),
]


def umoci(*args: str) -> None:
    subprocess.run(["umoci", *args], check=True, capture_output=True)


def test_layers_written_by_umoci_insert_are_read(tmp_path: Path) -> None:
    """Debian 12's umoci 0.4.7 `insert` writes layers without tar padding or end blocks."""
    dist = tmp_path / "l1/usr/lib/python3/site-packages/mypkg-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mypkg\nVersion: 1.2.3\n")
    module = tmp_path / "l2/app/node_modules/x"
    module.mkdir(parents=True)
    (module / "package.json").write_text('{"name": "x", "version": "0.0.7"}')
    layout = tmp_path / "img"
    umoci("init", "--layout", str(layout))
    umoci("new", "--image", f"{layout}:v1")
    umoci("insert", "--image", f"{layout}:v1", str(tmp_path / "l1"), "/")
    umoci("insert", "--image", f"{layout}:v1", str(tmp_path / "l2"), "/")
    found = [
        (p.name, p.version, p.layer_index)
        for p in inventory_image(f"{layout}:v1").packages
    ]
    assert found == [("x", "0.0.7", 1), ("mypkg", "1.2.3", 0)]
