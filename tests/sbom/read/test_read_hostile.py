"""Bad and hostile SBOMs: one clear `BadInput` line naming the file, or a counted warning;
never a traceback, never unbounded time or memory."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tenlayer.errors import EXIT_BAD_INPUT, BadInput
from tenlayer.sbom import read_common
from tenlayer.sbom.read import read_sbom, read_sbom_input


def write(tmp_path: Path, content: bytes | str, name: str = "sbom.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(path: Path, **options: Any) -> str:
    with pytest.raises(BadInput) as caught:
        read_sbom(path, **options)
    message = str(caught.value)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


def cdx(components: Any, **extra: Any) -> str:
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6",
                       "components": components, **extra})


@pytest.mark.parametrize(("content", "says"), [
    (b"", "not an SBOM"),
    (b"   \n\t", "not an SBOM"),
    (b"hello world", "not an SBOM"),
    (b"{\"bomFormat\": \"CycloneDX\", ",
     "not valid JSON (line 1, column 28: Expecting property name"),
    (b"{\"a\": 1}", "no CycloneDX bomFormat and no SPDX spdxVersion"),
    (b"[1, 2, 3]", "the JSON is not an object"),
    (b"\xff\xfe\x00\xd8garbage", "not text in UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not text in UTF-8"),
    (b"<?xml version='1.0'?><bom xmlns='http://cyclonedx.org/schema/bom/1.6'/>",
     "CycloneDX XML is not supported"),
    (b"{\"artifacts\": [], \"source\": {}, \"distro\": {}}", "Syft's own JSON"),
    (b"{\"SchemaVersion\": 2, \"Results\": []}", "a Trivy JSON report is not an SBOM"),
    (b"{\"@context\": \"https://spdx.org/rdf/3.0.1/spdx-context.jsonld\"}", "SPDX 3"),
    (b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"2.0\"}",
     "unsupported CycloneDX specVersion '2.0'"),
    (b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": 1.6}",
     "unsupported CycloneDX specVersion"),
    (b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"components\": {}}",
     "'components' is not a list"),
    (b"{\"spdxVersion\": \"SPDX-3.0\"}", "unsupported SPDX version 'SPDX-3.0'"),
    (b"{\"spdxVersion\": \"SPDX-2.3\", \"packages\": \"x\"}", "'packages' is not a list"),
])
def test_not_an_sbom(tmp_path: Path, content: bytes, says: str) -> None:
    assert says in refused(write(tmp_path, content))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "no such file" in refused(tmp_path / "absent.json")
    assert "is a directory" in refused(tmp_path)


def test_size_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, cdx([{"purl": "pkg:npm/a@1"}] * 50))
    assert "larger than the 1 KiB an SBOM may be" in refused(path, max_size=1024)
    assert len(read_sbom(path).packages) == 1  # the same file within the default limit


def test_deep_json_nesting(tmp_path: Path) -> None:
    started = time.perf_counter()
    assert "JSON nested too deeply" in refused(write(tmp_path, "[" * 200_000))
    assert "nested too deeply" in refused(write(tmp_path, '{"a":' * 200_000 + "1"))
    assert time.perf_counter() - started < 5


def test_deeply_nested_components_are_cut_at_the_limit(tmp_path: Path) -> None:
    """Nesting is walked with a stack, not recursion; what is deeper than 64 is counted."""
    node: dict[str, Any] = {"type": "library", "purl": "pkg:npm/leaf@1.0.0"}
    for depth in range(300, 0, -1):
        node = {"type": "library", "purl": f"pkg:npm/level{depth}@1.0.0", "components": [node]}
    inventory = read_sbom(write(tmp_path, cdx([node])))
    assert len(inventory.packages) == read_common.MAX_DEPTH
    assert inventory.warnings == (
        f"left out {301 - read_common.MAX_DEPTH} components nested deeper than "
        f"{read_common.MAX_DEPTH} levels",
    )


def test_wrong_types_everywhere_are_counted_or_ignored(tmp_path: Path) -> None:
    components = [
        "a string", 42, None, [],
        {"type": "library", "purl": 7, "name": ["x"], "version": {"v": 1}},
        {"type": "library", "purl": "pkg:npm/ok@1.0.0", "name": 5, "version": None,
         "properties": {"not": "a list"}, "licenses": "MIT", "components": "nope"},
        {"type": "library", "purl": "pkg:deb/debian/bash@5.2?distro=debian-12",
         "properties": [None, 1, {"name": 1, "value": 2}, {"name": "syft:location:0:path"}]},
        {"type": "operating-system", "name": 12},
    ]
    read = read_sbom_input(write(tmp_path, cdx(components, metadata={"tools": 3,
                                                                    "component": []})))
    names = sorted(p.name for p in read.inventory.packages)
    assert names == ["bash", "ok"]
    assert read.inventory.warnings == (
        "left out 5 SBOM entries tenlayer cannot match: 4 that are not JSON objects, "
        "1 without a purl",
    )
    assert read.inventory.os is not None and read.inventory.os.version_id == "12"


def test_spdx_with_wrong_types(tmp_path: Path) -> None:
    document = {"spdxVersion": "SPDX-2.3", "creationInfo": "x", "relationships": [1, "a"],
                "documentDescribes": [3], "hasExtractedLicensingInfos": {"x": 1},
                "packages": [1, {"name": "p", "externalRefs": [1, {"referenceType": "purl",
                                                                   "referenceLocator": 9}]},
                             {"name": "q", "versionInfo": "1.0", "externalRefs": [
                                 {"referenceType": "purl",
                                  "referenceLocator": "pkg:npm/q@1.0"}],
                              "licenseDeclared": ["MIT"], "comment": 5}]}
    inventory = read_sbom(write(tmp_path, json.dumps(document)))
    assert [p.name for p in inventory.packages] == ["q"]
    assert inventory.warnings == (
        "left out 2 SBOM entries tenlayer cannot match: 1 that are not JSON objects, "
        "1 without a purl",
    )


def test_bad_purls_are_one_counted_warning(tmp_path: Path) -> None:
    bad = ["pkg:", "pkg:/x@1", "pkg:%%%/x", "x" * 10_000, "pkg:npm/" + "%" * 5000,
           "pkg:deb/debian/libc6@1?distro=" + "%zz" * 100]
    inventory = read_sbom(write(tmp_path, cdx([{"purl": p} for p in bad])))
    assert len(inventory.packages) == 1  # the last is a purl, with a distro that is not
    assert inventory.warnings == (
        "left out 5 SBOM entries tenlayer cannot match: 4 with a purl that does not parse, "
        "1 without a version",
        "the SBOM names no distribution release; OS packages cannot be matched by release",
    )


def test_entry_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_common, "MAX_ENTRIES", 10)
    path = write(tmp_path, cdx([{"purl": f"pkg:npm/p{n}@1"} for n in range(11)]))
    assert "more than 10 components or packages" in refused(path)


def test_many_components_in_bounded_time_and_memory(tmp_path: Path) -> None:
    """Memory a small multiple of the file (the parsed JSON is freed as it is read), and
    time linear in the components (~25 µs each)."""
    count = 20_000
    components = [
        {"type": "library", "name": f"p{n}", "version": f"1.{n}",
         "purl": f"pkg:deb/debian/p{n}@1.{n}?arch=amd64&distro=debian-12&upstream=s{n}",
         "properties": [{"name": "syft:location:0:path", "value": "/var/lib/dpkg/status"}]}
        for n in range(count)
    ]
    data = cdx(components, metadata={"tools": {"components": [{"name": "syft"}]}}).encode()
    del components
    path = write(tmp_path, data)
    started = time.perf_counter()
    inventory = read_sbom(path)
    elapsed = time.perf_counter() - started
    assert len(inventory.packages) == count
    assert {p.source_name for p in inventory.packages[:3]} <= {f"s{n}" for n in range(count)}
    assert elapsed < 5, elapsed
    tracemalloc.start()
    try:
        read_sbom(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * len(data), (peak, len(data))


def test_tag_value_oddities(tmp_path: Path) -> None:
    text = (
        "SPDXVersion: SPDX-2.3\nno colon on this line\n: empty tag\n"
        "PackageName: a\nExternalRef: PACKAGE-MANAGER purl\n"
        "PackageName: b\nPackageVersion: 1\nExternalRef: PACKAGE-MANAGER purl pkg:npm/b@1\n"
        "Relationship: too few\nPackageComment: <text>open\n" + "x\n" * 1000
    )
    read = read_sbom_input(write(tmp_path, text, "sbom.spdx"))
    assert [p.name for p in read.inventory.packages] == ["b"]
    assert read.inventory.warnings == (
        "left out 1 SBOM entry tenlayer cannot match: 1 without a purl",
    )
