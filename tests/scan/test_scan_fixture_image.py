"""`tenlayer image scan` on the application fixture against the real OSV data in
../shared/data/osv, checked against an independent computation written here: PyPI ranges
evaluated with `packaging`, Go ranges with a minimal SemVer written for this test.

Also: the image and its SBOM give the same findings, and the CLI's gates and exit codes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version

from tests.support.fixtures import fixture

pytestmark = [pytest.mark.integration, pytest.mark.conformance]

OSV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "osv"
TENLAYER = [sys.executable, "-m", "tenlayer"]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not OSV.is_dir():
        pytest.skip(f"{OSV} is absent (the shared OSV data set)")
    path = tmp_path_factory.mktemp("db") / "vulndb.sqlite"
    result = run("db", "update", "--source", str(OSV), "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TENLAYER, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


@cache
def scan_json(image: str, database: Path, *extra: str) -> dict[str, Any]:
    result = run("image", "scan", image, "--db", str(database), "-f", "json", *extra)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# -- the independent computation ----------------------------------------------------------

def pypi_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def affected_by(events: list[dict[str, str]], installed: Any, parse: Any) -> bool:
    """OSV's rule, written out plainly: sort events by version, walk them."""
    def bound(event: dict[str, str]) -> Any:
        value = next(iter(event.values()))
        return None if value == "0" else parse(value)

    ordered = sorted(events, key=lambda e: (bound(e) is not None, bound(e) or installed))
    hit = False
    for event in ordered:
        kind, value = next(iter(event.items()))
        if kind == "introduced" and (value == "0" or installed >= parse(value)):
            hit = True
        elif (kind == "fixed" and installed >= parse(value)) or (
            kind == "last_affected" and installed > parse(value)
        ):
            hit = False
    return hit


def expected_pypi(name: str, version: str) -> set[str]:
    ids = set()
    for path in (OSV / "PyPI" / pypi_name(name)).glob("*.yaml"):
        record = yaml.safe_load(path.read_text())
        if record.get("withdrawn"):
            continue
        for affected in record["affected"]:
            if pypi_name(affected["package"]["name"]) != pypi_name(name):
                continue
            hit = version in affected.get("versions", [])
            for r in affected.get("ranges", []):
                if r["type"] == "ECOSYSTEM":
                    hit = hit or affected_by(r["events"], Version(version), Version)
            if hit:
                ids.add(record["id"])
    return ids


SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$")


def semver(text: str) -> tuple[Any, ...]:
    match = SEMVER.match(text)
    if not match:
        raise ValueError(text)
    major, minor, patch, pre = match.groups()
    release = (int(major), int(minor), int(patch))
    if pre is None:
        return (*release, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (*release, 0, parts)


def go_stdlib(version: str) -> str:
    """go1.23.4 -> 1.23.4 (the fixture's toolchain is a plain release)."""
    return version.removeprefix("go")


@cache
def go_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((OSV / "Go").glob("*.json"))]


def expected_go(module: str, version: str) -> set[str]:
    installed = semver(go_stdlib(version) if module == "stdlib" else version)
    ids = set()
    for record in go_records():
        if record.get("withdrawn"):
            continue
        for affected in record["affected"]:
            if affected["package"]["name"] != module:
                continue
            for r in affected.get("ranges", []):
                if r["type"] == "SEMVER" and affected_by(r["events"], installed, semver):
                    ids.add(record["id"])
    return ids


# -- the tests ----------------------------------------------------------------------------

def reported_ids(document: dict[str, Any], ecosystem: str) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for entry in document["vulnerabilities"]:
        package = entry["package"]
        if package["ecosystem"] == ecosystem:
            key = (package["name"], package["version"])
            found.setdefault(key, set()).update({entry["id"], *entry["aliases"]})
    return found


def test_pypi_advisories_are_exactly_those_whose_ranges_hold_the_version(database: Path) -> None:
    app = fixture("app")
    document = scan_json(str(app.docker_archive), database)
    found = reported_ids(document, "pypi")
    checked = 0
    for name, version in sorted(app.expected("pypi")):
        expected = expected_pypi(name, version)
        ours = {i for i in found.get((name, version), set()) if i.startswith("PYSEC-")}
        assert ours == expected, (name, version)
        checked += len(expected)
    assert checked >= 10  # requests, urllib3 (3), idna, certifi (2), Jinja2, sqlparse (2)


def test_go_binary_modules_and_stdlib_match_the_go_vulndb(database: Path) -> None:
    app = fixture("app")
    document = scan_json(str(app.docker_archive), database)
    found = reported_ids(document, "golang")
    modules = {(p["name"], p["version"]) for p in document_packages(app)}
    checked = skipped = 0
    for module, version in sorted(modules):
        try:
            expected = expected_go(module, version)
        except ValueError:
            skipped += 1  # pseudo-versions: not in this minimal SemVer
            continue
        ours = {i for i in found.get((module, version), set()) if i.startswith("GO-")}
        assert ours == expected, (module, version)
        checked += len(expected)
    assert ("stdlib", "go1.23.4") in modules
    assert len(found[("stdlib", "go1.23.4")]) > 20
    assert checked > 50 and skipped < 20


def document_packages(app: Any) -> list[dict[str, Any]]:
    result = run("image", "sbom", str(app.docker_archive), "-f", "json")
    packages: list[dict[str, Any]] = json.loads(result.stdout)["packages"]
    return [p for p in packages if p["ecosystem"] == "golang"]


def test_sbom_of_the_image_gives_the_same_findings(database: Path, tmp_path: Path) -> None:
    app = fixture("app")
    image_scan = scan_json(str(app.docker_archive), database)
    for fmt in ("cyclonedx", "spdx"):
        sbom = tmp_path / f"app.{fmt}.json"
        assert run("image", "sbom", str(app.docker_archive), "-f", fmt, "-o", str(sbom)
                   ).returncode == 0
        sbom_scan = run("sbom", "scan", str(sbom), "--db", str(database), "-f", "json")
        assert sbom_scan.returncode == 0, sbom_scan.stderr
        assert vulnerability_keys(json.loads(sbom_scan.stdout)) == vulnerability_keys(
            image_scan
        ), fmt


def vulnerability_keys(document: dict[str, Any]) -> set[tuple[str, str, str, str, str]]:
    return {
        (v["package"]["ecosystem"], v["package"]["name"], v["package"]["version"], v["id"],
         v["fixed_version"] or "")
        for v in document["vulnerabilities"]
    }


def test_gates_and_suppression(database: Path, tmp_path: Path) -> None:
    image = str(fixture("app").docker_archive)
    base = ["image", "scan", image, "--db", str(database), "-f", "json", "--checks", "vuln"]
    assert run(*base, "--fail-on", "high").returncode == 1  # urllib3's PYSEC-2023-192
    assert run(*base, "--fail-on", "critical").returncode == 0
    assert run(*base, "--fail-on-grade", "C").returncode == 1  # F
    assert run(*base, "--fail-on-grade", "F").returncode == 0
    everything = scan_json(image, database)
    fixed_only = scan_json(image, database, "--ignore-unfixed")
    assert {v["status"] for v in fixed_only["vulnerabilities"]} == {"fixed"}
    assert len(fixed_only["vulnerabilities"]) < len(everything["vulnerabilities"])
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "- id: CVE-2023-43804\n  package: urllib3\n  reason: not reachable\n"
    )
    ignored = run(*base, "--ignorefile", str(ignore))
    document = json.loads(ignored.stdout)
    assert [s["id"] for s in document["suppressed"]] == ["PYSEC-2023-192"]
    assert "PYSEC-2023-192" not in {v["id"] for v in document["vulnerabilities"]}


def test_missing_database_is_exit_3_and_says_how(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    result = run("image", "scan", str(fixture("debian").docker_archive), "--db", str(missing))
    assert result.returncode == 3
    assert result.stderr == (
        f"tenlayer: no vulnerability database at {missing}; run `tenlayer db update` "
        "(or `tenlayer db import FILE`)\n"
    )
