"""What both writers share: ids, containment, the image's purl, the creation time."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tenlayer.errors import BadInput
from tenlayer.model import Ecosystem, Inventory, Package
from tenlayer.sbom.document import IMAGE, OS, build_document, image_purl, short_hash
from tests.sbom.inventories import MANIFEST_DIGEST, SPRING_PURL, make_image, make_inventory


def _by_name(inventory: Inventory) -> dict[str, str]:
    document = build_document(inventory)
    return {entry.package.name: entry.key for entry in document.entries}


def test_keys_come_from_purl_and_found_in(inventory: Inventory) -> None:
    document = build_document(inventory)
    for entry in document.entries:
        assert entry.key == short_hash(entry.package.purl, entry.package.found_in)
    assert len({entry.key for entry in document.entries}) == len(inventory.packages)


def test_entries_are_sorted_and_independent_of_input_order(inventory: Inventory) -> None:
    shuffled = replace(inventory, packages=tuple(reversed(inventory.packages)))
    first, second = build_document(inventory), build_document(shuffled)
    assert first.entries == second.entries
    assert first.contains == second.contains
    assert first.uuid == second.uuid
    keys = [entry.package.sort_key() for entry in first.entries]
    assert keys == sorted(keys)


def test_same_purl_and_path_still_get_distinct_keys(inventory: Inventory) -> None:
    libc6 = next(p for p in inventory.packages if p.name == "libc6")
    twin = replace(libc6, layer_index=1)
    document = build_document(replace(inventory, packages=(*inventory.packages, twin)))
    keys = [entry.key for entry in document.entries if entry.package.name == "libc6"]
    base = short_hash(libc6.purl, libc6.found_in)
    assert keys == [base, f"{base}-1"]


def test_identical_packages_are_listed_once(inventory: Inventory) -> None:
    doubled = replace(inventory, packages=inventory.packages + inventory.packages[:3])
    assert build_document(doubled).entries == build_document(inventory).entries


def test_containment(inventory: Inventory) -> None:
    keys = _by_name(inventory)
    contains = build_document(inventory).contains
    assert contains[IMAGE][0] == OS
    assert sorted(contains[OS]) == sorted(
        keys[name] for name in ("bash", "libc6", "perl-base", "python3-six", "tzdata")
    )
    # language packages hang off the image, nested jars off the jar that holds them
    assert sorted(contains[IMAGE][1:]) == sorted(
        keys[name]
        for name in (
            "six",
            "cryptography",
            "@types/node",
            "left-pad",
            "stdlib",
            "github.com/spf13/cobra",
            "org.springframework.boot:spring-boot",
        )
    )
    spring = keys["org.springframework.boot:spring-boot"]
    jackson = keys["com.fasterxml.jackson.core:jackson-core"]
    # parents named three ways: by purl (slf4j), by path (snakeyaml), and by the virtual
    # path of the nested archive the package is in, as the Java analyzer writes them
    assert set(contains[spring]) == {jackson, keys["org.yaml:snakeyaml"],
                                     keys["org.slf4j:slf4j-api"]}
    assert contains[jackson] == (keys["ch.randelshofer:fastdoubleparser"],)
    assert set(contains) == {IMAGE, OS, spring, jackson}


def test_modules_of_one_binary_are_siblings_not_parents(inventory: Inventory) -> None:
    """stdlib and cobra are both found in the Go binary and both name it as parent."""
    keys = _by_name(inventory)
    contains = build_document(inventory).contains
    assert keys["stdlib"] in contains[IMAGE]
    assert keys["github.com/spf13/cobra"] in contains[IMAGE]
    assert keys["stdlib"] not in contains and keys["github.com/spf13/cobra"] not in contains


def test_parents_that_make_a_cycle_are_ignored(inventory: Inventory) -> None:
    a = Package("a", "1", Ecosystem.MAVEN, "pkg:maven/x/a@1", "a.jar", parent="pkg:maven/x/b@1")
    b = Package("b", "1", Ecosystem.MAVEN, "pkg:maven/x/b@1", "b.jar", parent="pkg:maven/x/a@1")
    document = build_document(replace(inventory, packages=(a, b)))
    seen: list[str] = []
    queue = [IMAGE]
    while queue:
        node = queue.pop()
        seen.append(node)
        queue.extend(document.contains.get(node, ()))
    assert sorted(seen) == sorted([IMAGE, OS, *(e.key for e in document.entries)])


def test_without_os_info_os_packages_hang_off_the_image(inventory: Inventory) -> None:
    document = build_document(replace(inventory, os=None))
    assert OS not in document.contains
    deb_keys = {e.key for e in document.entries if e.package.ecosystem is Ecosystem.DEB}
    assert deb_keys <= set(document.contains[IMAGE])


def test_ambiguous_parent_hangs_off_the_image(inventory: Inventory) -> None:
    """Two packages describe the enclosing archive (a shaded jar): no guessing."""
    outer = [Package(n, "1", Ecosystem.MAVEN, f"pkg:maven/x/{n}@1", "x.jar") for n in "ab"]
    nested = Package("c", "1", Ecosystem.MAVEN, "pkg:maven/x/c@1", "x.jar",
                     parent="x.jar!/lib/c.jar")
    document = build_document(replace(inventory, packages=(*outer, nested)))
    assert set(document.contains[IMAGE]) == {OS, *(e.key for e in document.entries)}


def test_unknown_parent_hangs_off_the_image(inventory: Inventory) -> None:
    orphan = Package("o", "1", Ecosystem.MAVEN, "pkg:maven/x/o@1", "x.jar!/o.jar",
                     parent="x.jar")
    document = build_document(replace(inventory, packages=(orphan,)))
    assert document.contains[IMAGE] == (OS, document.entries[0].key)


def test_uuid_changes_with_content(inventory: Inventory) -> None:
    base = build_document(inventory).uuid
    fewer = replace(inventory, packages=inventory.packages[1:])
    other_image = replace(inventory, image=make_image(manifest_digest="sha256:" + "99" * 32))
    relicensed = replace(
        inventory, packages=(replace(inventory.packages[0], licenses=("MIT",)),
                             *inventory.packages[1:]),
    )
    assert len({base, build_document(fewer).uuid, build_document(other_image).uuid,
                build_document(relicensed).uuid}) == 4


def test_creation_time_from_source_date_epoch(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_document(inventory).created == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_creation_time_argument_wins_and_is_utc_seconds(inventory: Inventory) -> None:
    moment = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert build_document(inventory, moment).created == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_creation_time_defaults_to_now(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    created = build_document(inventory).created
    assert created.microsecond == 0
    assert abs((datetime.now(tz=UTC) - created).total_seconds()) < 5


@pytest.mark.parametrize("value", ["yesterday", "1.5", "99999999999999999999"])
def test_bad_source_date_epoch_is_bad_input(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(BadInput, match="SOURCE_DATE_EPOCH"):
        build_document(inventory)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, f"pkg:oci/app@{MANIFEST_DIGEST}"
             "?arch=amd64&repository_url=registry.example.com/team/app&tag=1.2"),
        ({"reference": "debian:12"}, f"pkg:oci/debian@{MANIFEST_DIGEST}"
                                     "?arch=amd64&repository_url=docker.io/library/debian&tag=12"),
        ({"reference": "127.0.0.1:5000/Test/App@" + MANIFEST_DIGEST},
         f"pkg:oci/app@{MANIFEST_DIGEST}"
         "?arch=amd64&repository_url=127.0.0.1:5000/test/app"),
        ({"source_kind": "oci-layout", "reference": "/tmp/layout",
          "repo_tags": ("ghcr.io/org/tool:v1",)},
         f"pkg:oci/tool@{MANIFEST_DIGEST}"
         "?arch=amd64&repository_url=ghcr.io/org/tool&tag=v1"),
        # a bare OCI ref name is a tag, not a repository: no name to give the purl
        ({"source_kind": "oci-layout", "reference": "/tmp/layout", "repo_tags": ("latest",)},
         None),
        # docker-archive: no manifest digest, so nothing a registry would serve
        ({"source_kind": "docker-archive", "reference": "img.tar", "manifest_digest": None,
          "repo_tags": ("test/demo:1.0",)}, None),
    ],
)
def test_image_purl(changes: dict[str, object], expected: str | None) -> None:
    assert image_purl(make_image(**changes)) == expected


def test_importing_the_writers_loads_no_sbom_library() -> None:
    """`tenlayer --version` must stay fast: the libraries load on the first render."""
    code = (
        "import sys, tenlayer.sbom\n"
        "heavy = ('cyclonedx', 'spdx_tools', 'license_expression', 'packageurl')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_make_inventory_is_what_the_tests_think() -> None:
    inventory = make_inventory()
    names = {p.name for p in inventory.packages}
    assert "@types/node" in names and "stdlib" in names
    assert any(p.parent == SPRING_PURL for p in inventory.packages)
