"""Bad input to the image checks: malformed config fields are one line and exit 2; huge,
binary and decompression-bomb files neither hang nor fill memory."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.imagecheck.images import TENLAYER, scan, scan_findings, write_image
from tests.support.images import Layer


@pytest.mark.parametrize(
    ("raw_config", "message"),
    [
        ({"config": {"Env": "DB_PASSWORD=x"}},
         "image config field config.Env is a string, not a list"),
        ({"config": {"Env": ["A=1", 5]}},
         "image config field config.Env[1] is a number, not a string"),
        ({"config": {"Labels": ["a"]}},
         "image config field config.Labels is a list, not an object"),
        ({"config": {"User": 0}}, "image config field config.User is a number, not a string"),
        ({"config": "root"}, "image config field config is a string, not an object"),
        ({"config": {"Cmd": "serve --password x"}},
         "image config field config.Cmd is a string, not a list of strings"),
        ({"history": "ADD / /"}, "image config field history is not a list"),
        ({"history": 7}, "image config field history is not a list"),
        ({"history": [{"created_by": ["RUN"]}]},
         "image config field history[0].created_by is a list, not a string"),
    ],
)
def test_malformed_config_is_one_line_and_exit_2(
    tmp_path: Path, raw_config: dict[str, Any], message: str
) -> None:
    image = tmp_path / "bad.tar"
    write_image(image, [Layer().file("etc/hostname", "x\n")], raw_config=raw_config)
    result = scan(image, "--checks", "config")
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"tenlayer: {image}: {message}\n"


def test_a_huge_credential_file_is_not_read_but_noted(tmp_path: Path) -> None:
    image = tmp_path / "huge.tar"
    big = b"PASSWORD=hunter2\n" + b"x" * (3 << 20)
    (diff_id,) = write_image(image, [Layer().file("app/.env", big).file("data/big.csv", big)])
    result = scan(image, "--checks", "secret", "-f", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [(f["check_id"], f["severity"], f["location"], f["evidence"])
            for f in document["findings"]] == [
        ("image/file-not-scanned", "info", "/app/.env",
         {"size": str(len(big)), "limit": str(2 << 20), "image_layer": "0", "diff_id": diff_id}),
    ]
    assert document["warnings"] == [
        "1 file larger than 2 MiB not scanned for secrets: /data/big.csv (layer 0)"
    ]


def test_the_large_files_not_scanned_are_named_with_their_layer(tmp_path: Path) -> None:
    image = tmp_path / "large.tar"
    big = b"x" * ((2 << 20) + 1)
    first = Layer().directory("data")
    for number in range(8):
        first.file(f"data/part-{number:02}.csv", big)
    second = Layer().directory("logs")
    for number in range(4):
        second.file(f"logs/{number}.log", big)
    second.file("logs/small.log", b"x" * (2 << 20))  # at the limit: read
    write_image(image, [first, second])
    warning = ("12 files larger than 2 MiB not scanned for secrets: "
               + ", ".join(f"/data/part-{n:02}.csv (layer 0)" for n in range(8))
               + ", /logs/0.log (layer 1), /logs/1.log (layer 1) and 2 more")
    result = scan(image, "--checks", "secret", "-f", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [warning]
    assert result.stderr == f"tenlayer: warning: {warning}\n"
    table = scan(image, "--checks", "secret")
    assert f"warning: {warning}" in table.stdout.splitlines()


def test_binary_files_are_not_scanned(tmp_path: Path) -> None:
    image = tmp_path / "binary.tar"
    write_image(image, [Layer().file("app/.env", b"\0\x01PASSWORD=hunter2\nAKIAIOSFODNN7EXAMPLE")])
    assert scan_findings(image, "--checks", "secret") == []


def test_a_decompression_bomb_layer_neither_hangs_nor_fills_memory(tmp_path: Path) -> None:
    image = tmp_path / "bomb.tar"
    zeros = b"\0" * (256 << 20)  # 256 MiB of zeros: about 1 MiB gzip-compressed
    write_image(image, [Layer().file("app/.env", zeros).file("app/id_rsa", zeros)],
                gzip_layers=True)
    assert image.stat().st_size < 4 << 20
    del zeros
    start = time.perf_counter()
    usage = tmp_path / "usage"
    result = subprocess.run(  # GNU time: the peak RSS of tenlayer alone, not of this forked test
        ["/usr/bin/time", "-o", str(usage), "-f", "%M",
         *TENLAYER, "image", "scan", str(image), "--checks", "config,secret", "-f", "json"],
        capture_output=True, text=True, timeout=120,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["check_id"], f["location"]) for f in findings] == [
        ("image/runs-as-root", "config.User"),
        ("image/file-not-scanned", "/app/.env"),
        ("image/file-not-scanned", "/app/id_rsa"),
    ]
    peak_mib = int(usage.read_text().split()[-1]) / 1024
    assert peak_mib < 200, peak_mib
    assert elapsed < 30
    capped = scan(image, "--checks", "secret", "--max-layer-size", "64MiB")
    assert capped.returncode == 2
    assert "decompresses beyond" in capped.stderr or "more than" in capped.stderr, capped.stderr


def test_a_large_file_of_a_directory_has_no_layer_and_odd_names_stay_on_one_line() -> None:
    from tenlayer.imagecheck.findings import skipped_findings
    from tenlayer.model import Image, SkippedFile

    rootfs = Image("/srv/rootfs", "rootfs", None, None, "linux", "amd64")
    skipped = [SkippedFile("var/log/big\nlog.txt", "secrets", 3 << 20, 2 << 20, 0),
               SkippedFile("srv/\udcffdata.bin", "secrets", 3 << 20, 2 << 20, 0)]
    assert skipped_findings(rootfs, skipped) == ([], [
        "2 files larger than 2 MiB not scanned for secrets: /srv/\\xffdata.bin, "
        "/var/log/big\\nlog.txt"
    ])
