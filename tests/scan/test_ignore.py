"""Ignore files: both formats, matching by id/alias/package/purl/path, expiry, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tenlayer.errors import BadInput
from tenlayer.scan.ignore import MAX_IGNORE_FILE, apply_ignores, load_ignore_file, parse_ignore
from tests.scan.builders import match, vulnerability

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
CVE = vulnerability("CVE-2024-1111", aliases=("GHSA-aaaa-bbbb-cccc", "DSA-5555-1"))


def _suppressed(text: str, *matches, yaml_format: bool | None = None):  # type: ignore[no-untyped-def]
    ignores = parse_ignore(text, source="ignore.yaml", yaml_format=yaml_format)
    result, warnings = apply_ignores(matches or [match("libc6", CVE)], ignores, now=NOW)
    return [m.suppressed_by for m in result], warnings


def test_yaml_entry_by_id_with_reason_and_expiry() -> None:
    text = """
vulnerabilities:
  - id: CVE-2024-1111
    reason: not reachable
    expires: 2024-07-01
"""
    assert _suppressed(text) == (
        ["ignored by ignore.yaml: not reachable (until 2024-07-01)"],
        [],
    )


@pytest.mark.parametrize("wanted", ["GHSA-aaaa-bbbb-cccc", "ghsa-AAAA-bbbb-cccc", "dsa-5555-1"])
def test_aliases_match_case_insensitively(wanted: str) -> None:
    assert _suppressed(f"- id: {wanted}\n")[0] == ["ignored by ignore.yaml"]


def test_other_ids_do_not_match() -> None:
    assert _suppressed("- id: CVE-2024-1112\n")[0] == [""]


def test_bare_ids_in_a_yaml_list() -> None:
    assert _suppressed("- CVE-2024-1111\n", yaml_format=True)[0] == ["ignored by ignore.yaml"]


def test_package_restriction_by_name_or_source_name() -> None:
    matches = [match("libc6", CVE), match("bash", CVE), match("tzdata", CVE)]
    by_name = "- {id: CVE-2024-1111, package: bash}\n"
    assert _suppressed(by_name, *matches)[0] == ["", "ignored by ignore.yaml", ""]
    by_source = "- {id: CVE-2024-1111, package: glibc}\n"  # libc6's source package
    assert _suppressed(by_source, *matches)[0] == ["ignored by ignore.yaml", "", ""]


def test_purl_restriction_compares_only_what_it_gives() -> None:
    matches = [match("libc6", CVE), match("bash", CVE), match("six", CVE)]
    cases = {
        "pkg:deb/debian/libc6": ["x", "", ""],
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4": ["x", "", ""],
        "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64": ["x", "", ""],
        "pkg:deb/debian/libc6@2.36-9+deb12u3": ["", "", ""],
        "pkg:deb/debian/libc6?arch=arm64": ["", "", ""],
        "pkg:deb/debian/glibc@2.36-9+deb12u4": ["x", "", ""],  # source package and version
        "pkg:deb/ubuntu/libc6": ["", "", ""],
        "pkg:pypi/SIX": ["", "", "x"],  # the purl spec lower-cases PyPI names
    }
    for purl, expected in cases.items():
        found, _ = _suppressed(f"- id: CVE-2024-1111\n  purl: '{purl}'\n", *matches)
        assert ["x" if f else "" for f in found] == expected, purl


def test_trivy_yaml_keys() -> None:
    text = """
vulnerabilities:
  - id: CVE-2024-1111
    paths: ["usr/local/lib/python3.11/site-packages/cryptography-42.0.5.dist-info/METADATA"]
    statement: accepted
    expired_at: 2024-12-31
  - id: CVE-2024-1111
    purls: ["pkg:npm/left-pad"]
secrets:
  - id: aws-access-key-id
"""
    matches = [match("libc6", CVE), match("cryptography", CVE), match("left-pad", CVE)]
    found, warnings = _suppressed(text, *matches)
    assert found == [
        "",
        "ignored by ignore.yaml: accepted (until 2024-12-31)",
        "ignored by ignore.yaml",
    ]
    assert warnings == ["ignore.yaml: 'secrets' entries are not used by a vulnerability scan"]


def test_expired_entries_do_not_suppress_and_warn() -> None:
    text = """
- id: CVE-2024-1111
  expires: 2024-06-01
- id: CVE-2099-0001
  expires: "2024-05-31T23:59:59Z"
"""
    found, warnings = _suppressed(text)
    assert found == [""]
    assert warnings == [
        "ignore.yaml: entry 1 (CVE-2024-1111): the entry for CVE-2024-1111 expired on "
        "2024-06-01 and no longer suppresses it",
        "ignore.yaml: entry 2 (CVE-2099-0001): the entry for CVE-2099-0001 expired on "
        "2024-05-31T23:59:59Z and no longer suppresses it",
    ]


def test_expiry_day_itself_is_expired() -> None:
    ignores = parse_ignore("- {id: CVE-2024-1111, expires: 2024-06-02}\n", source="i")
    entry = ignores.entries[0]
    assert not entry.expired(datetime(2024, 6, 1, 23, 59, 59, tzinfo=UTC))
    assert entry.expired(datetime(2024, 6, 2, 0, 0, 0, tzinfo=UTC))
    assert entry.expired(datetime(2024, 6, 2, 0, 0, 0))  # naive: UTC


def test_trivyignore_plain_format() -> None:
    text = """# accepted risks
CVE-2024-1111 # not reachable
CVE-2024-2222 exp:2024-01-01

GHSA-xxxx-yyyy-zzzz
"""
    ignores = parse_ignore(text, source=".trivyignore")
    assert [(e.id, e.reason, e.where) for e in ignores.entries] == [
        ("CVE-2024-1111", "not reachable", "line 2"),
        ("CVE-2024-2222", "", "line 3"),
        ("GHSA-xxxx-yyyy-zzzz", "", "line 5"),
    ]
    other = vulnerability("CVE-2024-2222")
    result, warnings = apply_ignores([match("libc6", CVE), match("bash", other)], ignores, now=NOW)
    assert [m.suppressed_by for m in result] == ["ignored by .trivyignore: not reachable", ""]
    assert warnings == [
        ".trivyignore: line 3: the entry for CVE-2024-2222 expired on 2024-01-01 and no "
        "longer suppresses it"
    ]


def test_an_earlier_suppression_is_kept() -> None:
    earlier = match("libc6", CVE, suppressed_by="vex: fixed by Jane")
    assert _suppressed("- id: CVE-2024-1111\n", earlier)[0] == ["vex: fixed by Jane"]


def test_load_from_file_and_empty_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "tenlayer-ignore.yaml"
    yaml_file.write_text("")
    assert load_ignore_file(yaml_file).entries == ()
    plain = tmp_path / ".trivyignore"
    plain.write_text("CVE-2024-1111\n")
    assert [e.id for e in load_ignore_file(plain).entries] == ["CVE-2024-1111"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: [1, 2]\n", "ignore.yaml: entry 1: 'id' must be a string"),
        ("- reason: x\n", "ignore.yaml: entry 1: 'id' is missing"),
        ("- {id: CVE-1, expire: 2024-01-01}\n", "ignore.yaml: entry 1: unknown key 'expire'"),
        ("- {id: CVE-1, expires: someday}\n", "ignore.yaml: entry 1: expiry 'someday' is not"),
        ("- {id: CVE-1, expires: 2024-02-30}\n",
         "ignore.yaml: ignore file holds a value YAML cannot read: day is out of range"),
        ("- {id: CVE-1, purl: 'npm/x'}\n", "ignore.yaml: entry 1: 'npm/x' is not a package URL"),
        ("- {id: CVE-1, purls: [1]}\n", "ignore.yaml: entry 1: 'purls' must be a list of strings"),
        ("- {id: CVE-1, reason: x, statement: y}\n", "ignore.yaml: entry 1: 'statement' given"),
        ("- 3\n", "ignore.yaml: entry 1: expected a mapping with an 'id'"),
        ("ignore: []\n", "ignore.yaml: unknown top-level key 'ignore'"),
        ("vulnerabilities: {id: x}\n", "ignore.yaml: expected a list of entries under"),
        ("- id: CVE-1\n  - x\n", "ignore.yaml: ignore file is not valid YAML at line 2"),
        ("--- []\n--- []\n", "ignore.yaml: ignore file is not valid YAML"),
        ("- !!python/object:os.system {}\n", "ignore.yaml: ignore file is not valid YAML"),
        ("a: &a [1]\nb: *a\n", "ignore.yaml: ignore file uses YAML aliases (line 2)"),
    ],
)
def test_malformed_yaml_is_one_line_bad_input(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_ignore(text, source="ignore.yaml", yaml_format=True)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_plain_format_errors() -> None:
    with pytest.raises(BadInput, match=r"^x: line 1: unexpected 'foo' after the id$"):
        parse_ignore("CVE-1 foo\n", source="x", yaml_format=False)
    with pytest.raises(BadInput, match=r"^x: line 2: expiry 'tomorrow' is not a date"):
        parse_ignore("CVE-1\nCVE-2 exp:tomorrow\n", source="x")


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [*a{n-1}, *a{n-1}, *a{n-1}, *a{n-1}, *a{n-1}]" for n in range(1, 30)]
    with pytest.raises(BadInput, match="aliases"):
        parse_ignore("\n".join(lines), source="bomb.yaml", yaml_format=True)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"missing.yaml: cannot read ignore file \(No such file"):
        load_ignore_file(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_IGNORE_FILE + 1))
    with pytest.raises(BadInput, match=r"big.yaml: ignore file is larger than 1024 KiB"):
        load_ignore_file(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"- id: \xff\xfe\n")
    with pytest.raises(BadInput, match=r"bin.yaml: ignore file is not UTF-8 text \(byte 6\)"):
        load_ignore_file(binary)
