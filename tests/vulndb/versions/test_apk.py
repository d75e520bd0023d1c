"""Alpine (apk) versions: apk-tools does not run on Debian, so vectors written from its
version grammar and comparison rules (src/version.c), each with its reason; rows published
in apk-tools' own test data; and order properties over generated versions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenlayer.vulndb.versions import InvalidVersion, scheme_for
from tenlayer.vulndb.versions.apk import SCHEME, key
from tests.vulndb.versions import strategies

ORDERED = [
    "0.9",
    "1.0_alpha_pre2",  # a second pre-release suffix sorts before the end of the first
    "1.0_alpha",  # pre-release suffixes sort before the release: alpha < beta < pre < rc
    "1.0_alpha1",  # a suffix number beats no number
    "1.0_alpha2",
    "1.0_alpha10",  # suffix numbers compare as numbers
    "1.0_beta",
    "1.0_pre1",
    "1.0_rc1",
    "1.0_rc1-r1",  # a revision beats the end
    "1.0",
    "1.0-r0",  # even -r0 beats the end
    "1.0-r1",
    "1.0-r10",
    "1.0~0abc",  # a commit hash beats a revision (it comes earlier in the grammar)
    "1.0~abc",  # hashes compare as strings
    "1.0~abc-r1",
    "1.0_cvs",  # post-release suffixes beat hashes: cvs < svn < git < hg < p
    "1.0_svn",
    "1.0_git20240101",
    "1.0_hg",
    "1.0_p",
    "1.0_p1",
    "1.0_p9",
    "1.0_p10",
    "1.0a",  # a letter beats any suffix
    "1.0b",
    "1.0.0",  # and another dotted number beats a letter
    "1.00",  # zero-led components compare as strings: "0" < "00" < "01"
    "1.01",
    "1.1",  # a component without a leading zero beats every zero-led one
    "1.2.1",
    "1.9",
    "1.10",  # otherwise numerically
    "2",
    "10",
]


def test_grammar_order() -> None:
    for lower, higher in itertools.pairwise(ORDERED):
        assert SCHEME.compare(lower, higher) == -1, (lower, higher)


# Rows of apk-tools' test/unit/version.data (the published vectors apk's own tests run).
PUBLISHED = """
2.34 > 0.1.0_alpha
23_foo > 4_beta
0.1.0_alpha < 0.1.3_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
1.0.4-r3 < 1.0.4-r4
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.3_alpha2 < 1.3_alpha3
0.8_beta4 < 4.8-r1
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
1.06-r6 < 006
006 > 1.0.0
2.59 < 20050718-r1
3.9.8-r5 > 2.01.01_alpha10
0.99.3.20040818 > 0.7
1.00_beta2 > 0.9.2
4.2.52_p2-r1 < 4.2.52_p4-r2
1.02.07 < 1.02.10-r1
20060720 > 3.0.20060720
2.5.1-r8 < 2.5.1a-r1
3.9_pre20060124 > 0.01
6b-r7 > 1.12-r7
0.10.0-r1 > 0.10.0
0.10.0 < 0.10.1_rc1
1.1a < 1.3a
0.15.1b-r2 > 0.15.1b
22.7-r1 < 22.7.3-r1
2.10.1 > 02.08.01b
1.2.07.8 < 1.2.12.04
1.07-r1 < 1.07.5
0.1_pre20060810 < 0.1_pre20060817
0.59s-r11 < 0.65
0.20070118 < 0.20070207_rc1
3.7_p1 > 1.3
4.5_p1-r1 > 4.5_p1
0.9.8c-r1 < 0.9.8d
013 < 014-r1
1.7 < 1.7b
1.8.5 < 1.8.5_p2
2.9.11_pre20051101-r2 < 2.9.11_pre20051101-r3
0.9.28.1 < 087-r1
2.12r-r4 < 2.12r-r5
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
6.0_pre1 < 6.0
6.0_p1 > 6.0
8.2.0 < 8.2.001
8.2.0015 < 8.2.002
1.0~1234 < 1.0~2345
1.0~1234-r1 < 1.0~2345-r0
1.0~1234-r1 > 1.0~1234-r0
"""
# "23_foo > 4_beta" is a row about an invalid version (foo is no suffix): kept out below.
_SIGN = {"<": -1, "=": 0, ">": 1}


@pytest.mark.parametrize("row", [row for row in PUBLISHED.strip().splitlines() if "foo" not in row])
def test_published_vectors(row: str) -> None:
    a, op, b = row.split()
    assert SCHEME.compare(a, b) == _SIGN[op]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "1.0"),
        ("00.1", "0.1"),  # the first number always compares numerically
        ("1.0-r01", "1.0-r1"),  # so do suffix and revision numbers
        ("1.0_p01", "1.0_p1"),
        ("1.18446744073709551617", "1.1"),  # numbers wrap at 2**64, as apk's parser does
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0


@pytest.mark.parametrize(
    "version",
    [
        "",
        "a",
        ".1",
        "1.",
        "1..2",
        "v1.0",
        "1.0 ",
        "1.0A",  # apk's grammar, one rule each
        "1.0bc",
        "0.1a1",
        "0.1a.1",  # one letter, and nothing but suffixes etc. after it
        "0.1_foobar",
        "0.1_",
        "0.1__alpha",
        "0.1_1_alpha",
        "1_Alpha",  # known suffixes only
        "0.1-r",
        "0.1-r2-r3",
        "0.1-r2.1",
        "0.1-r2_p3",
        "0.1-pre1.1",
        "1-2",  # -rN, last
        "0.1_pre2~",
        "0.1_pre2~1234xbcd",
        "0.1_pre2~1234abcd_pre1",
        "0.1-r1~abc",
        "1~ABC",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion) as raised:
        key(version)
    assert str(raised.value).startswith(f"invalid apk version {version!r}: ")


def test_valid_shapes() -> None:
    for version in (
        "1.2",
        "0.1_pre2",
        "0.1_pre2~1234abcd",
        "0.1_p1_pre2",
        "0.1_alpha1_pre2",
        "0.1_git20240101_pre1",
        "1.0a_p1-r3",
        "2024.01.01",
    ):
        key(version)


@given(st.lists(strategies.APK_VERSIONS, min_size=3, max_size=3))
def test_total_order(versions: list[str]) -> None:
    a, b, c = (key(version) for version in versions)
    assert not (a < b and b < a)
    if a <= b and b <= c:
        assert a <= c
    if a == b:
        assert hash(a) == hash(b)


def test_ecosystems() -> None:
    for ecosystem in ("Alpine:v3.20", "Wolfi", "Chainguard"):
        assert scheme_for(ecosystem) is SCHEME
