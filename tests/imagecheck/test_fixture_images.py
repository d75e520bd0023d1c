"""The real fixture images (debootstrap minbase and the application image built on it): the
setuid/setgid files are exactly those `find -perm` sees in the merged root filesystem, no
world-writable files, and no secrets at all (no false positives on a real distribution)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.imagecheck.images import scan_findings
from tests.support.fixtures import fixture

pytestmark = pytest.mark.integration


def find_perm(rootfs: Path, *predicates: str) -> set[str]:
    listed = subprocess.run(
        ["find", ".", *predicates, "-printf", "/%P\\n"], cwd=rootfs, capture_output=True,
        text=True, check=True,
    ).stdout
    return set(listed.split())


@pytest.mark.parametrize("name", ["debian", "app"])
def test_setuid_setgid_files_are_what_find_sees(name: str) -> None:
    image = fixture(name)
    findings = scan_findings(image.docker_archive, "--checks", "config,secret")
    setuid = {f["location"] for f in findings if f["check_id"] == "image/setuid-file"}
    oracle = find_perm(image.rootfs, "-type", "f", "-perm", "/6000")
    assert setuid == oracle
    assert len(oracle) == 11  # shadow, util-linux, login, passwd, libpam-modules
    # world-writable: only devices (not in the image's layers), and sticky directories
    writable = find_perm(image.rootfs, "-perm", "-0002", "!", "-type", "l", "!", "-type", "c",
                         "(", "!", "-type", "d", "-o", "!", "-perm", "-1000", ")")
    assert writable == set()
    assert [f for f in findings if f["check_id"] == "image/world-writable-file"] == []
    others = sorted((f["check_id"], f["location"]) for f in findings
                    if f["check_id"] != "image/setuid-file")
    assert others == [("image/runs-as-root", "config.User")]


def test_oci_layout_gives_the_same_findings_as_the_docker_archive() -> None:
    image = fixture("app")
    layout = f"oci:{image.oci_layout}:{image.oci_tag}"

    def key(findings: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
        return [(f["check_id"], f["location"], f["evidence"].get("diff_id")) for f in findings]

    assert key(scan_findings(Path(layout), "--checks", "config,secret")) == key(
        scan_findings(image.docker_archive, "--checks", "config,secret")
    )
