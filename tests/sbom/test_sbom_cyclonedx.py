"""CycloneDX 1.6: valid by cyclonedx-python-lib's strict JSON validator, and exactly right."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tenlayer.model import Inventory
from tenlayer.sbom import render_cyclonedx
from tests.sbom.inventories import (
    CONFIG_DIGEST,
    JACKSON_JAR,
    LAYERS,
    MANIFEST_DIGEST,
    make_image,
    make_inventory,
    many_packages,
)

IMAGE_PURL = (
    f"pkg:oci/app@{MANIFEST_DIGEST}?arch=amd64&repository_url=registry.example.com/team/app&tag=1.2"
)


def _render(inventory: Inventory) -> dict[str, Any]:
    output = render_cyclonedx(inventory)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(
        output.decode("utf-8"), all_errors=True
    )
    assert errors is None, list(errors)
    document: dict[str, Any] = json.loads(output)
    return document


def _props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def _by_purl(bom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["purl"]: c for c in bom["components"] if "purl" in c}


def test_valid_cyclonedx_1_6(inventory: Inventory) -> None:
    bom = _render(inventory)
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["specVersion"] == "1.6"
    assert bom["version"] == 1
    assert bom["serialNumber"].startswith("urn:uuid:")


def test_metadata(inventory: Inventory) -> None:
    metadata = _render(inventory)["metadata"]
    assert metadata["timestamp"] == "2023-11-14T22:13:20+00:00"
    assert metadata["tools"] == {
        "components": [{"name": "tenlayer", "type": "application", "version": "0.1.0"}]
    }
    image = metadata["component"]
    assert image["type"] == "container"
    assert image["name"] == "registry.example.com/team/app:1.2"
    assert image["version"] == MANIFEST_DIGEST
    assert image["purl"] == image["bom-ref"] == IMAGE_PURL
    assert _props(image) == {
        "tenlayer:image:source-kind": "registry",
        "tenlayer:image:manifest-digest": MANIFEST_DIGEST,
        "tenlayer:image:config-digest": CONFIG_DIGEST,
        "tenlayer:image:platform": "linux/amd64",
        "tenlayer:image:layer:0:digest": LAYERS[0].digest,
        "tenlayer:image:layer:0:diff-id": LAYERS[0].diff_id,
        "tenlayer:image:layer:1:digest": LAYERS[1].digest,
        "tenlayer:image:layer:1:diff-id": LAYERS[1].diff_id,
    }


def test_operating_system_component(inventory: Inventory) -> None:
    systems = [c for c in _render(inventory)["components"] if c["type"] == "operating-system"]
    assert systems == [
        {
            "bom-ref": "os:debian@12",
            "type": "operating-system",
            "name": "debian",
            "version": "12",
            "description": "Debian GNU/Linux 12 (bookworm)",
            "properties": [
                {"name": "tenlayer:found-in", "value": "/etc/os-release"},
                {"name": "tenlayer:os:codename", "value": "bookworm"},
            ],
        }
    ]


def test_one_library_per_package_with_its_purl(inventory: Inventory) -> None:
    bom = _render(inventory)
    libraries = [c for c in bom["components"] if c["type"] == "library"]
    assert sorted(c["purl"] for c in libraries) == sorted(p.purl for p in inventory.packages)
    names = {(c.get("group"), c["name"], c["version"]) for c in libraries}
    assert names == {
        (None, "libc6", "2.36-9+deb12u4"),
        (None, "perl-base", "5.36.0-7+deb12u1"),
        (None, "bash", "5.2.15-2+b2"),
        (None, "tzdata", "2024a-0+deb12u1"),
        (None, "python3-six", "1.16.0-4"),
        (None, "six", "1.16.0"),
        (None, "cryptography", "42.0.5"),
        ("@types", "node", "20.11.5"),
        (None, "left-pad", "1.3.0"),
        (None, "stdlib", "1.22.1"),
        (None, "github.com/spf13/cobra", "v1.8.0"),
        ("org.springframework.boot", "spring-boot", "3.2.0"),
        ("com.fasterxml.jackson.core", "jackson-core", "2.15.3"),
        ("org.yaml", "snakeyaml", "2.2"),
        ("org.slf4j", "slf4j-api", "2.0.9"),
        ("ch.randelshofer", "fastdoubleparser", "0.8.0"),
    }
    assert _by_purl(bom)["pkg:npm/%40types/node@20.11.5"]["bom-ref"].startswith(
        "pkg:npm/%40types/node@20.11.5?package-id="
    )


def _licenses(bom: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
    component = next(c for c in bom["components"] if c["name"] == name)
    licenses: list[dict[str, Any]] | None = component.get("licenses")
    return licenses


def test_licenses(inventory: Inventory) -> None:
    """In the order cyclonedx-python-lib sorts them: ids, then names."""
    bom = _render(inventory)
    declared = {"acknowledgement": "declared"}
    assert _licenses(bom, "libc6") == [
        {"license": {**declared, "id": "LGPL-2.1-or-later"}},
        {"license": {**declared, "name": "GPL-2+"}},
        {"license": {**declared, "name": "public-domain"}},
    ]
    assert _licenses(bom, "perl-base") == [{"license": {**declared, "name": "GPL-1+ or Artistic"}}]
    assert _licenses(bom, "bash") == [{"license": {**declared, "id": "GPL-3.0-or-later"}}]
    assert _licenses(bom, "cryptography") == [
        {**declared, "expression": "Apache-2.0 OR BSD-3-Clause"}
    ]
    assert _licenses(bom, "tzdata") is None
    assert _licenses(bom, "left-pad") is None


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [
        # an expression among other valid SPDX licenses: one expression joined by AND
        (("MIT", "Apache-2.0 OR BSD-2-Clause"),
         [{"expression": "MIT AND (Apache-2.0 OR BSD-2-Clause)"}]),
        # an expression beside a name that is no SPDX: both become names, nothing is lost
        (("MIT OR Apache-2.0", "Custom"),
         [{"license": {"name": "Custom"}}, {"license": {"name": "MIT OR Apache-2.0"}}]),
        # case is mended to the SPDX id, lower-case operators too
        (("mit",), [{"license": {"id": "MIT"}}]),
        (("mit or apache-2.0",), [{"expression": "MIT OR Apache-2.0"}]),
        # deprecated ids are written in their current form
        (("GPL-2.0+",), [{"license": {"id": "GPL-2.0-or-later"}}]),
        (("MIT", " ", "MIT"), [{"license": {"id": "MIT"}}]),
        (("MIT/X11",), [{"license": {"name": "MIT/X11"}}]),
    ],
)
def test_license_forms(licenses: tuple[str, ...], expected: list[dict[str, Any]]) -> None:
    inventory = make_inventory()
    package = replace(inventory.packages[0], licenses=licenses)
    bom = _render(replace(inventory, packages=(package,)))
    written = _licenses(bom, package.name)
    assert written is not None
    for entry in written:
        (entry.get("license") or entry).pop("acknowledgement")
    assert written == expected


def test_package_properties(inventory: Inventory) -> None:
    by_purl = _by_purl(_render(inventory))
    libc6 = next(c for c in by_purl.values() if c["name"] == "libc6")
    assert _props(libc6) == {
        "tenlayer:found-in": "/var/lib/dpkg/status",
        "tenlayer:layer:index": "0",
        "tenlayer:layer:digest": LAYERS[0].digest,
        "tenlayer:layer:diff-id": LAYERS[0].diff_id,
        "tenlayer:source:name": "glibc",
        "tenlayer:source:version": "2.36-9+deb12u4",
    }
    six = by_purl["pkg:pypi/six@1.16.0"]
    assert _props(six)["tenlayer:owned-by"] == "deb:python3-six"
    jackson = by_purl["pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.3"]
    assert _props(jackson)["tenlayer:parent"] == JACKSON_JAR
    assert _props(jackson)["tenlayer:layer:index"] == "1"


def test_dependencies_follow_containment(inventory: Inventory) -> None:
    bom = _render(inventory)
    ref_of = {c["name"]: c["bom-ref"] for c in bom["components"]}
    graph = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    every_ref = {IMAGE_PURL, *ref_of.values()}
    assert set(graph) == every_ref
    assert graph[IMAGE_PURL] == {
        ref_of[name]
        for name in ("debian", "six", "cryptography", "node", "left-pad", "stdlib",
                     "github.com/spf13/cobra", "spring-boot")
    }
    assert graph[ref_of["debian"]] == {
        ref_of[name] for name in ("libc6", "perl-base", "bash", "tzdata", "python3-six")
    }
    assert graph[ref_of["spring-boot"]] == {
        ref_of["jackson-core"], ref_of["snakeyaml"], ref_of["slf4j-api"]
    }
    assert graph[ref_of["jackson-core"]] == {ref_of["fastdoubleparser"]}
    holders = {IMAGE_PURL, ref_of["debian"], ref_of["spring-boot"], ref_of["jackson-core"]}
    leaves = every_ref - holders
    assert all(graph[ref] == set() for ref in leaves)


def test_same_inventory_same_bytes(inventory: Inventory) -> None:
    first = render_cyclonedx(inventory)
    again = render_cyclonedx(replace(inventory, packages=tuple(reversed(inventory.packages))))
    assert first == again
    assert first.endswith(b"}\n")


def test_serial_number_is_stable_and_follows_content(inventory: Inventory) -> None:
    serial = _render(inventory)["serialNumber"]
    assert _render(make_inventory())["serialNumber"] == serial
    assert _render(replace(inventory, packages=inventory.packages[1:]))["serialNumber"] != serial


def test_docker_archive_without_manifest_digest(inventory: Inventory) -> None:
    image = make_image(source_kind="docker-archive", reference="app.docker.tar",
                       manifest_digest=None, repo_tags=("test/app:1.2",))
    component = _render(replace(inventory, image=image))["metadata"]["component"]
    assert component["version"] == CONFIG_DIGEST
    assert component["bom-ref"] == f"image:{CONFIG_DIGEST}"
    assert "purl" not in component
    assert _props(component)["tenlayer:image:repo-tag"] == "test/app:1.2"


def test_no_os_and_no_packages(inventory: Inventory) -> None:
    bom = _render(replace(inventory, os=None, packages=()))
    assert bom.get("components", []) == []
    assert bom["dependencies"] == [{"ref": IMAGE_PURL}]


def test_os_packages_without_os_hang_off_the_image(inventory: Inventory) -> None:
    bom = _render(replace(inventory, os=None))
    image_deps = next(d for d in bom["dependencies"] if d["ref"] == IMAGE_PURL)["dependsOn"]
    assert len(image_deps) == 12  # 5 deb + 7 language packages not nested in a jar


def test_five_hundred_packages_validate() -> None:
    inventory = make_inventory(packages=many_packages(500))
    bom = _render(inventory)
    assert len(bom["components"]) == 501
