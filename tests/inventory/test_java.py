"""The Java archive analyzer: archives built by the JDK's `jar`, Syft's answers, crafted bombs."""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from tenlayer.inventory.java import JavaArchiveAnalyzer, Limits
from tenlayer.inventory.javameta import (
    bundle_licenses,
    manifest_group,
    manifest_version,
    name_from_filename,
    parse_manifest,
    parse_properties,
    pom_coordinates,
)
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem
from tests.inventory.go_fixtures import mutations
from tests.inventory.java_fixtures import java_fixtures

ROOT = Path(__file__).resolve().parents[2]
SYFT = ROOT / ".venv" / "bin" / "syft"


class Content:
    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._data = data

    def read(self, n: int = -1) -> bytes:
        data, self._data = (self._data, b"") if n < 0 else (self._data[:n], self._data[n:])
        return data


def analyze(
    data: bytes, path: str = "opt/app/x.jar", limits: Limits | None = None
) -> AnalysisResult | None:
    return JavaArchiveAnalyzer(limits).analyze(path, Content(data))


def rows(result: AnalysisResult | None) -> list[tuple[str, str, str, str | None]]:
    assert result is not None
    return [(p.name, p.version, p.purl, p.parent) for p in result.packages]


def fixture(name: str) -> bytes:
    return (java_fixtures() / name).read_bytes()


def zip_bytes(entries: dict[str, bytes], *, stored: bool = False) -> bytes:
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def pom(group: str, artifact: str, version: str) -> dict[str, bytes]:
    text = f"groupId={group}\nartifactId={artifact}\nversion={version}\n"
    return {f"META-INF/maven/{group}/{artifact}/pom.properties": text.encode()}


LANG3 = (
    "org.apache.commons:commons-lang3",
    "3.12.0",
    "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
)
LOG4J = (
    "org.apache.logging.log4j:log4j-core",
    "2.14.1",
    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
)
DATABIND = (
    "com.fasterxml.jackson.core:jackson-databind",
    "2.15.2",
    "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2",
)
CORE = (
    "com.fasterxml.jackson.core:jackson-core",
    "2.15.2",
    "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
)
OSGI = ("org.example:osgi-thing", "4.1.0", "pkg:maven/org.example/osgi-thing@4.1.0")


# --- archives built by the JDK ------------------------------------------------------------


def test_plain_library_from_its_pom_properties_with_manifest_license() -> None:
    result = analyze(fixture("commons-lang3-3.12.0.jar"), "usr/share/java/commons-lang3-3.12.0.jar")
    assert result is not None and result.warnings == ()
    [package] = result.packages
    assert (package.name, package.version, package.purl) == LANG3
    assert package.ecosystem is Ecosystem.MAVEN
    assert package.found_in == "usr/share/java/commons-lang3-3.12.0.jar"
    assert package.parent is None
    assert package.licenses == ("Apache-2.0",)


def test_jar_with_only_a_manifest() -> None:
    result = analyze(fixture("osgi-thing-4.1.0.jar"), "opt/osgi-thing-4.1.0.jar")
    assert rows(result) == [(*OSGI, None)]
    assert result is not None
    # the version comes from the file name (Syft's order), not Bundle-Version 4.1.0.RELEASE
    assert result.packages[0].licenses == ("Apache-2.0", "EPL-2.0")


def test_war_with_nested_jars() -> None:
    war = "srv/shop-1.0.war"
    lib = f"{war}!/WEB-INF/lib"
    result = analyze(fixture("shop-1.0.war"), war)
    assert rows(result) == [
        ("com.example:shop", "1.0", "pkg:maven/com.example/shop@1.0", None),
        (*LANG3, f"{lib}/commons-lang3-3.12.0.jar"),
        (*CORE, f"{lib}/jackson-databind-2.15.2.jar"),
        (*DATABIND, f"{lib}/jackson-databind-2.15.2.jar"),
        (*LOG4J, f"{lib}/log4j-core-2.14.1.jar"),
    ]
    assert result is not None and result.warnings == ()
    assert {p.found_in for p in result.packages} == {war}
    assert [p.licenses for p in result.packages if p.name == LANG3[0]] == [("Apache-2.0",)]


def test_ear_nests_a_war_that_nests_jars() -> None:
    ear = "suite-2.0.ear"
    war = f"{ear}!/shop-1.0.war"
    assert rows(analyze(fixture(ear), ear)) == [
        ("com.example:suite", "2.0", "pkg:maven/com.example/suite@2.0", None),
        (*OSGI, f"{ear}!/lib/osgi-thing-4.1.0.jar"),
        ("com.example:shop", "1.0", "pkg:maven/com.example/shop@1.0", war),
        (*LANG3, f"{war}!/WEB-INF/lib/commons-lang3-3.12.0.jar"),
        (*CORE, f"{war}!/WEB-INF/lib/jackson-databind-2.15.2.jar"),
        (*DATABIND, f"{war}!/WEB-INF/lib/jackson-databind-2.15.2.jar"),
        (*LOG4J, f"{war}!/WEB-INF/lib/log4j-core-2.14.1.jar"),
    ]


def test_spring_boot_fat_jar() -> None:
    jar = "app/app.jar"
    lib = f"{jar}!/BOOT-INF/lib"
    # the one pom.properties (demo 0.0.1-SNAPSHOT) has the manifest's version: it is the app
    assert rows(analyze(fixture("app.jar"), jar)) == [
        ("com.example:demo", "0.0.1-SNAPSHOT", "pkg:maven/com.example/demo@0.0.1-SNAPSHOT", None),
        (*CORE, f"{lib}/jackson-databind-2.15.2.jar"),
        (*DATABIND, f"{lib}/jackson-databind-2.15.2.jar"),
        (*LOG4J, f"{lib}/log4j-core-2.14.1.jar"),
    ]


@pytest.mark.peers
def test_same_packages_as_syft_on_the_built_archives(tmp_path: Path) -> None:
    """Syft offline on the same files; the differences are listed with their reasons."""
    if not SYFT.exists():
        pytest.skip("syft not installed (pip install -e .[dev])")
    directory = java_fixtures()
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    report = json.loads(
        subprocess.run(
            [str(SYFT), "-q", f"dir:{directory}", "-o", "json"],
            capture_output=True,
            check=True,
            env=env,
            timeout=600,
        ).stdout
    )
    theirs = set()
    for artifact in report["artifacts"]:
        virtual = artifact["metadata"]["virtualPath"].lstrip("/").split(":")
        # Syft appends group:artifact for pom.properties packages; keep the archive segments
        archives = [part for part in virtual if part.lower().endswith((".jar", ".war", ".ear"))]
        parent = "!/".join(archives) if len(archives) > 1 else None
        theirs.add((artifact["purl"], parent))
    mine = set()
    for name in sorted(os.listdir(directory)):
        if name.startswith("."):
            continue
        result = analyze((directory / name).read_bytes(), name)
        assert result is not None and result.warnings == ()
        mine |= {(p.purl, p.parent) for p in result.packages}
    # Syft also makes a package of app.jar's file name and manifest, grouped by its Main-Class,
    # beside the pom.properties that describes the app; that pom.properties has the manifest's
    # version, so here it is taken as the app itself (see `_own`).
    syft_only = {
        ("pkg:maven/org.springframework.boot.loader.launch.JarLauncher/app@0.0.1-SNAPSHOT", None)
    }
    assert theirs - mine == syft_only
    assert mine - theirs == set()


# --- damaged and hostile archives ---------------------------------------------------------


def test_a_file_named_jar_that_is_not_a_zip() -> None:
    result = analyze(b"#!/bin/sh\necho not a jar\n", "opt/run.jar")
    assert result is not None and result.packages == ()
    assert result.warnings == ("opt/run.jar: not a readable zip archive (File is not a zip file)",)


def test_a_truncated_jar() -> None:
    data = fixture("shop-1.0.war")
    result = analyze(data[: len(data) // 2], "srv/shop-1.0.war")
    assert result is not None and result.packages == ()
    assert result.warnings == (
        "srv/shop-1.0.war: not a readable zip archive (File is not a zip file)",
    )


def test_a_damaged_nested_jar_is_skipped_and_the_rest_reported() -> None:
    inner = zip_bytes(pom("org.example", "inner", "1.0"))
    war = bytearray(
        zip_bytes(
            {**pom("com.example", "web", "2.0"), "WEB-INF/lib/inner-1.0.jar": inner},
            stored=True,
        )
    )
    at = war.index(inner) + 40
    war[at : at + 8] = b"\x00" * 8  # stored bytes no longer match their CRC
    result = analyze(bytes(war), "web-2.0.war")
    assert rows(result) == [("com.example:web", "2.0", "pkg:maven/com.example/web@2.0", None)]
    assert result is not None
    assert result.warnings == (
        "web-2.0.war!/WEB-INF/lib/inner-1.0.jar: unreadable "
        "(Bad CRC-32 for file 'WEB-INF/lib/inner-1.0.jar')",
    )


def test_nesting_deeper_than_the_limit_stops_there() -> None:
    data = zip_bytes(pom("org.example", "level12", "12"))
    for level in range(11, -1, -1):
        data = zip_bytes({**pom("org.example", f"level{level}", str(level)), "in.jar": data})
    result = analyze(data, "bomb.jar")
    assert result is not None
    assert [p.name for p in result.packages] == [f"org.example:level{n}" for n in range(6)]
    deepest = "bomb.jar" + "!/in.jar" * 6
    assert result.warnings == (f"{deepest}: nested more than 5 archives deep; not read",)


def test_declared_sizes_count_before_anything_is_inflated() -> None:
    bomb = b"\x00" * (64 << 20)  # 64 MiB of zeros deflate to 64 KiB
    data = zip_bytes({**pom("org.example", "bomb", "1"), "lib/zeros.jar": bomb})
    assert len(data) < 1 << 20
    tracemalloc.start()
    result = analyze(data, "bomb-1.jar", Limits(max_total_bytes=8 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows(result) == [("org.example:bomb", "1", "pkg:maven/org.example/bomb@1", None)]
    assert result is not None
    assert result.warnings == (
        "bomb-1.jar!/lib/zeros.jar: declares 67108864 bytes, which would take bomb-1.jar over "
        "8388608 uncompressed bytes; it and the rest are not read (zip bomb?)",
    )
    assert peak < 16 << 20


def test_a_lying_directory_is_refused_with_the_default_limits() -> None:
    inner = zip_bytes(pom("org.example", "inner", "1"))
    data = bytearray(zip_bytes({"lib/inner.jar": inner}, stored=True))
    directory = data.rindex(b"PK\x01\x02")  # the outer directory, after the stored inner zip
    struct.pack_into("<I", data, directory + 24, 0xF0000000)  # uncompressed size: 3.75 GiB
    result = analyze(bytes(data), "liar.jar")
    assert result is not None and result.packages == ()
    assert result.warnings == (
        "liar.jar!/lib/inner.jar: declares 4026531840 bytes, which would take liar.jar over "
        "1073741824 uncompressed bytes; it and the rest are not read (zip bomb?)",
    )


def test_many_nested_archives_and_entries_are_bounded() -> None:
    jars = {
        f"lib/dep{n}-1.0.jar": zip_bytes(pom("org.example", f"dep{n}", "1.0")) for n in range(5)
    }
    result = analyze(zip_bytes(jars), "fat.jar", Limits(max_archives=2))
    assert result is not None
    assert [p.name for p in result.packages] == ["org.example:dep0", "org.example:dep1"]
    assert result.warnings == ("fat.jar: more than 2 nested archives; the rest are not read",)

    crowded = zip_bytes({f"x/{n}.class": b"" for n in range(100)})
    result = analyze(crowded, "crowded.jar", Limits(max_entries=50))
    assert result is not None and result.packages == ()
    assert result.warnings == (
        "crowded.jar: lists 100 entries, over the limit of 50; not read (zip bomb?)",
    )


def test_oversized_metadata_is_not_read() -> None:
    manifest = b"Manifest-Version: 1.0\nX-Padding: " + b"a" * (2 << 20) + b"\n"
    data = zip_bytes({"META-INF/MANIFEST.MF": manifest, **pom("org.example", "big", "1")})
    result = analyze(data, "big-1.jar")
    assert rows(result) == [("org.example:big", "1", "pkg:maven/org.example/big@1", None)]
    assert result is not None
    assert result.warnings == (
        f"big-1.jar!/META-INF/MANIFEST.MF: {len(manifest)} bytes, over the limit of 1048576 "
        "for metadata; not read",
    )


def test_archive_with_nothing_to_say_gives_no_result() -> None:
    assert analyze(zip_bytes({"a.txt": b"x"}), "empty.jar") is None
    # a manifest without any version: Syft reports it versionless, tenlayer skips it
    no_version = zip_bytes({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nMain-Class: a.B\n"})
    assert analyze(no_version, "tool.jar") is None


def test_wants_java_archives_by_suffix() -> None:
    analyzer = JavaArchiveAnalyzer()
    for path in ("a/b.jar", "a/B.JAR", "x.war", "x.ear", "p.jpi", "p.hpi", "n.nar"):
        assert analyzer.wants(path, 0o644, 10)
    for path in ("a/b.zip", "a/jar", "a.jar.sha1", "a.class"):
        assert not analyzer.wants(path, 0o644, 10)
    assert analyzer.max_file_size == 512 << 20


# --- metadata parsing ---------------------------------------------------------------------


def test_pom_properties_parsing() -> None:
    text = (
        "#Generated by Maven\n! also a comment\n"
        "groupId = org.example\n"
        "artifactId:long\\\n    -name\n"
        "version 1.0\\u002d1\n"
        "groupId=ignored-second\n"
    )
    assert parse_properties(text) == {
        "groupId": "org.example",
        "artifactId": "long-name",
        "version": "1.0-1",
    }
    entry = "META-INF/maven/org.dir/thing/pom.properties"
    no_group = pom_coordinates(entry, {"artifactId": "thing", "version": "2"})
    assert no_group is not None and no_group.group == "org.dir"
    assert pom_coordinates(entry, {"artifactId": "thing"}) is None


def test_manifest_main_section_with_continuations() -> None:
    text = (
        "Manifest-Version: 1.0\r\nImplementation-Title: A very long titl\r\n e that wraps\r\n"
        "Implementation-Version: 1.3 2244 October 5 2008\r\n\r\n"
        "Name: org/example/\r\nImplementation-Version: 9.9\r\n"
    )
    manifest = parse_manifest(text)
    assert manifest["Implementation-Title"] == "A very long title that wraps"
    assert manifest_version(manifest) == "1.3"
    assert "Name" not in manifest


def test_groups_from_manifests() -> None:
    assert manifest_group({"Implementation-Vendor-Id": "org.x"}, "a") == "org.x"
    assert manifest_group({"Group-Id": "org.jenkins-ci.plugins"}, "git") == (
        "org.jenkins-ci.plugins"
    )
    symbolic = {"Bundle-SymbolicName": "com.fasterxml.jackson.core.jackson-databind"}
    assert manifest_group(symbolic, "jackson-databind") == "com.fasterxml.jackson.core"
    lang3 = {"Bundle-SymbolicName": "org.apache.commons.lang3;singleton:=true"}
    assert manifest_group(lang3, "commons-lang3") == "org.apache.commons"
    assert manifest_group({"Bundle-SymbolicName": "com.google.inject"}, "guice") == (
        "com.google.inject"
    )
    assert manifest_group({"Implementation-Vendor": "The Apache Software Foundation"}, "a") == ""
    assert manifest_group({"Specification-Vendor": "org.vendor"}, "a") == "org.vendor"


def test_bundle_license_header() -> None:
    assert bundle_licenses("https://www.apache.org/licenses/LICENSE-2.0.txt") == ("Apache-2.0",)
    assert bundle_licenses(
        'Apache-2.0;link="https://x/y",EPL-2.0;description="Eclipse, Public"'
    ) == ("Apache-2.0", "EPL-2.0")
    assert bundle_licenses("<<EXTERNAL>>") == ()
    assert bundle_licenses("http://opensource.org/licenses/MIT") == ("MIT",)
    assert bundle_licenses("Custom License") == ("Custom License",)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("commons-lang3-3.12.0.jar", ("commons-lang3", "3.12.0")),
        ("guava-31.1-jre.jar", ("guava", "31.1-jre")),
        ("netty-codec-http2-4.1.100.Final.jar", ("netty-codec-http2", "4.1.100.Final")),
        ("spring-core-5.3.4-SNAPSHOT.jar", ("spring-core", "5.3.4-SNAPSHOT")),
        ("bcprov-jdk15on-1.70.jar", ("bcprov-jdk15on", "1.70")),
        ("org.eclipse.osgi_3.18.0.v20220516.jar", ("org.eclipse.osgi", "3.18.0.v20220516")),
        ("guava.jar", ("guava", "")),
        ("app.jar", ("app", "")),
        ("lib/x/foo-2.war", ("foo", "2")),
    ],
)
def test_name_and_version_from_file_names(filename: str, expected: tuple[str, str]) -> None:
    assert name_from_filename(filename) == expected


def test_damaged_archives_never_raise() -> None:
    rng = random.Random(20261126)
    inner = zip_bytes({**pom("a.b", "c", "1"), "META-INF/MANIFEST.MF": b"Bundle-License: MIT\n"})
    for stored in (False, True):
        seed = zip_bytes({**pom("x.y", "web", "2"), "WEB-INF/lib/c-1.jar": inner}, stored=stored)
        for data in mutations(seed, rng, 300):
            result = analyze(data, "web-2.war")
            assert result is None or isinstance(result, AnalysisResult)
