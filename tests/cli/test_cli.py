"""The command line as a user meets it: output formats, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.images import DPKG_STATUS, OS_RELEASE, Layer, write_oci_layout

TENLAYER = [sys.executable, "-m", "tenlayer"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TENLAYER, *args], capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def image(tmp_path: Path) -> Path:
    layers = [Layer().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", DPKG_STATUS)]
    write_oci_layout(tmp_path / "oci", layers)
    return tmp_path / "oci"


def test_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, "tenlayer 0.1.0\n", "")


def test_sbom_json_is_complete_and_deterministic(image: Path) -> None:
    first = run("image", "sbom", str(image), "--format", "json")
    second = run("image", "sbom", str(image), "--format", "json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["os"]["pretty_name"] == "Debian GNU/Linux 12 (bookworm)"
    assert [(p["name"], p["version"], p["ecosystem"], p["found_in"], p["layer_index"])
            for p in document["packages"]] == [
        ("bash", "5.2.15-2+b7", "deb", "/var/lib/dpkg/status", 0),
        ("libc6", "2.36-9+deb12u7", "deb", "/var/lib/dpkg/status", 0),
    ]
    assert document["packages"][1]["source_name"] == "glibc"
    assert document["findings"] == []
    assert first.stderr == ""  # no progress output in json


def test_sbom_table_lists_packages(image: Path) -> None:
    result = run("image", "sbom", str(image))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Image: {image} (oci-layout)"
    assert lines[2] == "OS: Debian GNU/Linux 12 (bookworm)"
    assert lines[4].split() == ["bash", "5.2.15-2+b7", "deb", "0", "/var/lib/dpkg/status"]
    assert lines[-1] == "2 packages (2 deb)"


def test_output_file_is_written_atomically(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("previous")
    result = run("image", "sbom", str(image), "-f", "json", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text())["packages"][0]["name"] == "bash"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.json")] == []


def test_unidentified_os_is_a_finding(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "oci", [Layer().file("var/lib/dpkg/status", DPKG_STATUS)])
    document = json.loads(run("image", "sbom", str(tmp_path / "oci"), "-f", "json").stdout)
    assert [(f["check_id"], f["severity"], f["location"]) for f in document["findings"]] == [
        ("content/os-unidentified", "medium", "/var/lib/dpkg/status")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["image", "sbom", "/no/such/image.tar"],
         "tenlayer: /no/such/image.tar: no such file or directory\n"),
        (["image", "sbom", "x", "--platform", "linux"],
         "tenlayer: --platform 'linux': expected OS/ARCH[/VARIANT], e.g. linux/amd64\n"),
        (["image", "sbom", "x", "--max-layer-size", "lots"],
         "tenlayer: --max-layer-size 'lots': expected a size such as 512MiB or 2GB\n"),
        (["image", "sbom", "x", "--timeout", "nan"],
         "tenlayer: --timeout 'nan': expected seconds, more than 0 and at most 3600\n"),
        (["image", "sbom", "x", "--timeout", "-1"],
         "tenlayer: --timeout '-1': expected seconds, more than 0 and at most 3600\n"),
        (["image", "sbom", ""],
         "tenlayer: IMAGE is empty: name an image archive, directory or registry reference\n"),
        (["image", "sbom", "x", "--format", "xml"],
         "tenlayer: Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'json', "
         "'cyclonedx', 'spdx'. (see 'tenlayer image sbom --help')\n"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_truncated_archive_says_so(tmp_path: Path) -> None:
    from tests.support.images import write_docker_archive

    write_docker_archive(tmp_path / "a.tar", [Layer().file("etc/x", b"y" * 5000)])
    data = (tmp_path / "a.tar").read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[:3000])
    result = run("image", "sbom", str(tmp_path / "cut.tar"))
    assert (result.returncode, result.stderr) == (
        2, f"tenlayer: {tmp_path / 'cut.tar'}: archive is truncated\n"
    )


def test_damaged_image_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "junk.tar").write_bytes(os.urandom(4096))
    result = run("image", "sbom", str(tmp_path / "junk.tar"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"tenlayer: {tmp_path / 'junk.tar'}: ")


def test_fail_on_gates_on_finding_severity(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "oci", [Layer().file("var/lib/dpkg/status", DPKG_STATUS)])
    image = str(tmp_path / "oci")  # no os-release: a medium content/os-unidentified finding
    assert run("image", "sbom", image, "-f", "json", "--fail-on", "medium").returncode == 1
    assert run("image", "sbom", image, "-f", "json", "--fail-on", "high").returncode == 0
    assert run("image", "sbom", image, "-f", "json").returncode == 0


def test_platform_asked_for_must_be_the_image_platform(image: Path) -> None:
    result = run("image", "sbom", str(image), "--platform", "linux/arm64")
    assert (result.returncode, result.stderr) == (
        2, f"tenlayer: {image}: the image is for linux/amd64, not the requested linux/arm64\n"
    )
    assert run("image", "sbom", str(image), "--platform", "linux/amd64").returncode == 0


def test_output_dash_is_stdout_and_files_keep_their_mode(image: Path, tmp_path: Path) -> None:
    assert json.loads(run("image", "sbom", str(image), "-f", "json", "-o", "-").stdout)
    target = tmp_path / "sbom.json"
    target.write_text("old")
    target.chmod(0o640)
    assert run("image", "sbom", str(image), "-f", "json", "-o", str(target)).returncode == 0
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.json"
    assert run("image", "sbom", str(image), "-f", "json", "-o", str(fresh)).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_usage_errors_exit_2() -> None:
    assert run("image", "sbom").returncode == 2
    assert run("image", "sbom", "x", "--format", "xml").returncode == 2
    assert run("no-such-command").returncode == 2


def test_unreachable_registry_is_exit_3() -> None:
    result = run("image", "sbom", "127.0.0.1:9/team/app:1", "--insecure", "--timeout", "2")
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("tenlayer: ") and result.stderr.count("\n") == 1
    assert "127.0.0.1:9" in result.stderr


def test_checks_list() -> None:
    result = run("checks", "list", "--format", "json")
    assert result.returncode == 0
    checks = json.loads(result.stdout)["checks"]
    content = [c["id"] for c in checks if c["layer"] == 2]
    assert content == [
        "content/file-not-analyzed", "content/os-unidentified", "content/vulnerable-package"
    ]
    deploy = [c["id"] for c in checks if c["layer"] == 5]
    assert deploy == sorted(deploy) and len(deploy) == 33  # 19 PSS, 11 workload, 3 SCC
    assert {"deploy/pss-privileged", "deploy/scc-denied", "deploy/secret-in-env"} <= set(deploy)
    assert [c["layer"] for c in checks] == sorted(c["layer"] for c in checks)
    table = run("checks", "list", "--layer", "2")
    assert "content/os-unidentified" in table.stdout
    assert run("checks", "list", "--layer", "11").returncode == 2
