"""Python and npm analyzers on exact inputs."""

from __future__ import annotations

from tenlayer.inventory.licenses import declared, to_spdx
from tenlayer.inventory.npm import NpmPackageAnalyzer
from tenlayer.inventory.python import PythonPackageAnalyzer
from tests.inventory.test_os_analyzers import Content


def test_python_dist_info_metadata() -> None:
    metadata = (
        "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.1\nLicense: MIT\n"
        "Classifier: License :: OSI Approved :: MIT License\n\nlong description\n"
    )
    result = PythonPackageAnalyzer().analyze(
        "usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/METADATA", Content(metadata)
    )
    assert result is not None
    [package] = result.packages
    assert (package.name, package.version, package.purl, package.licenses) == (
        "PyYAML", "6.0.1", "pkg:pypi/pyyaml@6.0.1", ("MIT",),
    )


def test_python_license_from_classifiers_when_field_is_the_whole_text() -> None:
    metadata = (
        "Metadata-Version: 2.1\nName: Typing_Extensions\nVersion: 4.12.2\n"
        "License: Copyright (c) 2001-2024 Python Software Foundation\n"
        "        all rights reserved and a lot more text that goes on\n"
        "Classifier: License :: OSI Approved :: Python Software Foundation License\n"
    )
    result = PythonPackageAnalyzer().analyze("x/t.dist-info/METADATA", Content(metadata))
    assert result is not None
    assert result.packages[0].licenses == ("PSF-2.0",)
    assert result.packages[0].purl == "pkg:pypi/typing-extensions@4.12.2"


def test_python_license_expression_wins() -> None:
    metadata = "Name: x\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: MIT\n"
    result = PythonPackageAnalyzer().analyze("x/x-1.dist-info/METADATA", Content(metadata))
    assert result is not None
    assert result.packages[0].licenses == ("MIT OR Apache-2.0",)


def test_python_paths() -> None:
    analyzer = PythonPackageAnalyzer()
    assert analyzer.wants("a/six-1.16.0.dist-info/METADATA", 0o644, 1)
    assert analyzer.wants("a/six-1.16.0.egg-info/PKG-INFO", 0o644, 1)
    assert analyzer.wants("usr/lib/python3/dist-packages/six-1.16.0.egg-info", 0o644, 1)
    assert analyzer.wants("a/foo.egg/EGG-INFO/PKG-INFO", 0o644, 1)
    assert not analyzer.wants("a/METADATA", 0o644, 1)
    assert not analyzer.wants("a/six-1.16.0.dist-info/RECORD", 0o644, 1)


def test_python_metadata_without_version_is_a_warning_not_a_package() -> None:
    result = PythonPackageAnalyzer().analyze("a/x.dist-info/METADATA", Content("Name: x\n"))
    assert result is not None
    assert result.packages == ()
    assert result.warnings == ("a/x.dist-info/METADATA: no Name or Version, not a distribution",)


def test_npm_package_json() -> None:
    analyzer = NpmPackageAnalyzer()
    result = analyzer.analyze(
        "app/node_modules/@types/node/package.json",
        Content('{"name": "@types/node", "version": "20.14.9", "license": "MIT"}'),
    )
    assert result is not None
    [package] = result.packages
    assert (package.name, package.version, package.purl, package.licenses) == (
        "@types/node", "20.14.9", "pkg:npm/%40types/node@20.14.9", ("MIT",),
    )
    legacy = analyzer.analyze(
        "node_modules/x/package.json",
        Content('{"name": "x", "version": "1.0.0", "licenses": [{"type": "Apache 2.0"}]}'),
    )
    assert legacy is not None and legacy.packages[0].licenses == ("Apache-2.0",)


def test_npm_paths_and_non_packages() -> None:
    analyzer = NpmPackageAnalyzer()
    assert analyzer.wants("app/node_modules/lodash/package.json", 0o644, 1)
    assert analyzer.wants("node_modules/@scope/pkg/package.json", 0o644, 1)
    assert analyzer.wants("a/node_modules/x/node_modules/y/package.json", 0o644, 1)
    assert analyzer.wants("app/package.json", 0o644, 1)
    assert not analyzer.wants("app/package-lock.json", 0o644, 1)
    assert not analyzer.wants("app/notpackage.json", 0o644, 1)
    marker = Content('{"type": "module"}')
    assert analyzer.analyze("node_modules/lodash/fp/package.json", marker) is None
    broken = analyzer.analyze("node_modules/x/package.json", Content("{nope"))
    assert broken is not None and broken.packages == ()
    assert broken.warnings[0].startswith("node_modules/x/package.json: malformed package.json")


def test_license_names_to_spdx() -> None:
    assert [to_spdx(n) for n in ("GPL-2", "GPL-2+", "LGPLv2.1+", "GPLv3", "Expat", "BSD-3-clause",
                                  "public-domain", "Apache-2")] == [
        "GPL-2.0-only", "GPL-2.0-or-later", "LGPL-2.1-or-later", "GPL-3.0-only", "MIT",
        "BSD-3-Clause", "public-domain", "Apache-2.0",
    ]
    assert declared(["GPL-1+ or Artistic", "GPL-3+ with Bison exception"]) == (
        "Artistic", "GPL-1.0-or-later", "GPL-3.0-or-later",
    )
