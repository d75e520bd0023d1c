"""SPDX 2.3: parsed back and validated by spdx-tools with no message, and exactly right."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from tenlayer.model import Inventory
from tenlayer.sbom import render_spdx
from tenlayer.sbom.document import build_document, short_hash
from tenlayer.sbom.spdx import NAMESPACE_BASE
from tests.sbom.inventories import CONFIG_DIGEST, MANIFEST_DIGEST, make_image, make_inventory

IMAGE_PURL = (
    f"pkg:oci/app@{MANIFEST_DIGEST}?arch=amd64&repository_url=registry.example.com/team/app&tag=1.2"
)


def _render(inventory: Inventory, tmp_path: Path) -> dict[str, Any]:
    output = render_spdx(inventory)
    path = tmp_path / "sbom.spdx.json"
    path.write_bytes(output)
    messages = validate_full_spdx_document(parse_file(str(path)))
    assert messages == [], [m.validation_message for m in messages]
    document: dict[str, Any] = json.loads(output)
    return document


def _package(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in document["packages"] if p["name"] == name)


def _purls(package: dict[str, Any]) -> list[str]:
    return [r["referenceLocator"] for r in package.get("externalRefs", [])
            if r["referenceType"] == "purl"]


def test_document_fields(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(inventory, tmp_path)
    uuid = build_document(inventory).uuid
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["SPDXID"] == "SPDXRef-DOCUMENT"
    assert document["dataLicense"] == "CC0-1.0"
    assert document["name"] == "registry.example.com/team/app:1.2"
    assert document["documentNamespace"] == (
        f"{NAMESPACE_BASE}/image/registry.example.com-team-app-1.2-{uuid}"
    )
    assert document["creationInfo"] == {
        "created": "2023-11-14T22:13:20Z",
        "creators": ["Tool: tenlayer-0.1.0"],
    }


def test_image_and_os_packages(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(inventory, tmp_path)
    image = document["packages"][0]
    assert image["SPDXID"] == "SPDXRef-Image"
    assert image["name"] == "registry.example.com/team/app:1.2"
    assert image["versionInfo"] == MANIFEST_DIGEST
    assert image["primaryPackagePurpose"] == "CONTAINER"
    assert image["externalRefs"] == [
        {"referenceCategory": "PACKAGE-MANAGER", "referenceLocator": IMAGE_PURL,
         "referenceType": "purl"}
    ]
    assert image["comment"] == f"platform linux/amd64; read from registry; config {CONFIG_DIGEST}"
    system = document["packages"][1]
    assert {k: system[k] for k in ("SPDXID", "name", "versionInfo", "primaryPackagePurpose",
                                   "description", "sourceInfo")} == {
        "SPDXID": "SPDXRef-OperatingSystem",
        "name": "debian",
        "versionInfo": "12",
        "primaryPackagePurpose": "OPERATING-SYSTEM",
        "description": "Debian GNU/Linux 12 (bookworm)",
        "sourceInfo": "found in /etc/os-release",
    }


def test_one_library_per_package(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(inventory, tmp_path)
    libraries = [p for p in document["packages"] if p["primaryPackagePurpose"] == "LIBRARY"]
    assert sorted(purl for p in libraries for purl in _purls(p)) == sorted(
        p.purl for p in inventory.packages
    )
    for package in document["packages"]:
        assert package["downloadLocation"] == "NOASSERTION"
        assert package["supplier"] == "NOASSERTION"
        assert package["licenseConcluded"] == "NOASSERTION"
        assert package["filesAnalyzed"] is False
    node = _package(document, "@types/node")
    assert node["SPDXID"] == (
        "SPDXRef-Package-npm-types-node-"
        + short_hash("pkg:npm/%40types/node@20.11.5", "app/node_modules/@types/node/package.json")
    )
    assert node["versionInfo"] == "20.11.5"
    assert node["sourceInfo"] == (
        "acquired package info from /app/node_modules/@types/node/package.json in layer 1 "
        f"(diff-id {inventory.image.layers[1].diff_id})"
    )


def test_comments_carry_source_owner_and_parent(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(inventory, tmp_path)
    assert _package(document, "libc6")["comment"] == "source package: glibc 2.36-9+deb12u4"
    assert _package(document, "perl-base")["comment"] == "source package: perl"
    assert _package(document, "six")["comment"] == "installed by OS package: deb:python3-six"
    assert _package(document, "org.yaml:snakeyaml")["comment"] == "found inside: app/app.jar"
    assert "comment" not in _package(document, "left-pad")


def test_licenses(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(inventory, tmp_path)
    declared = {p["name"]: p["licenseDeclared"] for p in document["packages"]}
    assert declared["libc6"] == (
        "LGPL-2.1-or-later AND LicenseRef-GPL-2-plus AND LicenseRef-public-domain"
    )
    assert declared["perl-base"] == "LicenseRef-GPL-1-plus-or-Artistic"
    assert declared["bash"] == "GPL-3.0-or-later"
    assert declared["cryptography"] == "Apache-2.0 OR BSD-3-Clause"
    assert declared["tzdata"] == "NOASSERTION"
    assert declared["left-pad"] == "NOASSERTION"
    assert [(e["licenseId"], e["extractedText"], e["name"])
            for e in document["hasExtractedLicensingInfos"]] == [
        ("LicenseRef-GPL-1-plus-or-Artistic", "GPL-1+ or Artistic", "GPL-1+ or Artistic"),
        ("LicenseRef-GPL-2-plus", "GPL-2+", "GPL-2+"),
        ("LicenseRef-public-domain", "public-domain", "public-domain"),
    ]


@pytest.mark.parametrize(
    ("licenses", "expected", "refs"),
    [
        (("MIT", "Apache-2.0 OR BSD-2-Clause"), "MIT AND (Apache-2.0 OR BSD-2-Clause)", []),
        (("MIT OR Apache-2.0", "Custom"), "(MIT OR Apache-2.0) AND LicenseRef-Custom",
         ["LicenseRef-Custom"]),
        (("mit or apache-2.0",), "MIT OR Apache-2.0", []),
        (("GPL-2.0+",), "GPL-2.0-or-later", []),
        (("MIT/X11",), "LicenseRef-MIT-X11", ["LicenseRef-MIT-X11"]),
        (("LicenseRef-acme",), "LicenseRef-acme", ["LicenseRef-acme"]),
        # two texts that come out as the same id keep apart
        (("GPL 2", "GPL-2"), f"LicenseRef-GPL-2 AND LicenseRef-GPL-2-{short_hash('GPL-2')[:8]}",
         ["LicenseRef-GPL-2", f"LicenseRef-GPL-2-{short_hash('GPL-2')[:8]}"]),
    ],
)
def test_license_forms(
    licenses: tuple[str, ...], expected: str, refs: list[str], tmp_path: Path
) -> None:
    inventory = make_inventory()
    package = replace(inventory.packages[0], licenses=licenses)
    document = _render(replace(inventory, packages=(package,)), tmp_path)
    assert _package(document, package.name)["licenseDeclared"] == expected
    assert [e["licenseId"] for e in document.get("hasExtractedLicensingInfos", [])] == refs


def test_relationships(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(inventory, tmp_path)
    name_of = {p["SPDXID"]: p["name"] for p in document["packages"]}
    name_of["SPDXRef-DOCUMENT"] = "DOCUMENT"
    relationships = {
        (name_of[r["spdxElementId"]], r["relationshipType"], name_of[r["relatedSpdxElement"]])
        for r in document["relationships"]
    }
    image = "registry.example.com/team/app:1.2"
    expected = {("DOCUMENT", "DESCRIBES", image), (image, "CONTAINS", "debian")}
    expected |= {("debian", "CONTAINS", name)
                 for name in ("libc6", "perl-base", "bash", "tzdata", "python3-six")}
    expected |= {(image, "CONTAINS", name)
                 for name in ("six", "cryptography", "@types/node", "left-pad", "stdlib",
                              "github.com/spf13/cobra", "org.springframework.boot:spring-boot")}
    expected |= {("org.springframework.boot:spring-boot", "CONTAINS", name)
                 for name in ("com.fasterxml.jackson.core:jackson-core", "org.yaml:snakeyaml",
                              "org.slf4j:slf4j-api")}
    expected.add(("com.fasterxml.jackson.core:jackson-core", "CONTAINS",
                  "ch.randelshofer:fastdoubleparser"))
    assert relationships == expected
    assert len(document["relationships"]) == len(expected)


def test_same_inventory_same_bytes(inventory: Inventory) -> None:
    first = render_spdx(inventory)
    assert render_spdx(replace(inventory, packages=tuple(reversed(inventory.packages)))) == first
    assert first.endswith(b"}\n")


def test_namespace_follows_content(inventory: Inventory, tmp_path: Path) -> None:
    namespace = _render(inventory, tmp_path)["documentNamespace"]
    fewer = replace(inventory, packages=inventory.packages[1:])
    assert _render(fewer, tmp_path)["documentNamespace"] != namespace


def test_docker_archive_and_no_os(inventory: Inventory, tmp_path: Path) -> None:
    image = make_image(source_kind="docker-archive", reference="/tmp/app image.tar",
                       manifest_digest=None, repo_tags=("test/app:1.2",))
    document = _render(replace(inventory, image=image, os=None), tmp_path)
    root = document["packages"][0]
    assert root["versionInfo"] == CONFIG_DIGEST
    assert "externalRefs" not in root
    assert root["comment"].endswith("; tag test/app:1.2")
    assert document["documentNamespace"].startswith(f"{NAMESPACE_BASE}/image/tmp-app-image.tar-")
    assert all(p["primaryPackagePurpose"] != "OPERATING-SYSTEM" for p in document["packages"])


def test_empty_inventory(inventory: Inventory, tmp_path: Path) -> None:
    document = _render(replace(inventory, os=None, packages=()), tmp_path)
    assert [p["SPDXID"] for p in document["packages"]] == ["SPDXRef-Image"]
    assert len(document["relationships"]) == 1
