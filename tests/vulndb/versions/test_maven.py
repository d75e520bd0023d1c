"""Maven versions against Maven 3.8's own ComparableVersion, the oracle."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings

from tenlayer.vulndb.versions import InvalidVersion, scheme_for
from tenlayer.vulndb.versions.maven import SCHEME, key
from tests.vulndb.versions import oracles, strategies

ORACLE = settings.get_profile("oracle")


def _compare_keys(a: str, b: str) -> int:
    """The answer the key gives, which must be Maven's too."""
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


@ORACLE
@given(strategies.batches(strategies.MAVEN_PAIRS))
def test_agrees_with_maven(maven_oracle: object, batch: list[tuple[str, str]]) -> None:
    pairs = [(a, b) for a, b in batch if a and b]  # Maven reads "" as a version; we refuse it
    assert oracles.disagreements("maven", pairs, SCHEME.compare) == []


@ORACLE
@given(strategies.batches(strategies.MAVEN_PAIRS))
def test_keys_agree_with_maven(maven_oracle: object, batch: list[tuple[str, str]]) -> None:
    pairs = [(a, b) for a, b in batch if a and b]
    assert oracles.disagreements("maven", pairs, _compare_keys) == []


# ComparableVersion's documented order, reason by reason.
ORDERED = [
    "1-alpha",  # alpha < beta < milestone < rc = cr < snapshot < "" = ga = final < sp
    "1-alpha-1",  # "-1" after a qualifier is a nested list, which beats nothing
    "1-alpha2",  # (1-alpha1 is 1-alpha-1: a qualifier before a number opens a list)
    "1-beta",
    "1-milestone-1",
    "1-rc",
    "1-rc-1",
    "1-snapshot",
    "1",
    "1-sp",
    "1-abc",  # unknown qualifiers sort after sp, by name
    "1-xyz",
    "1-1",  # a list beats a qualifier
    "1.0.1",  # and a number beats a list
    "1.1",
    "1.9",
    "1.10",
    "2",
]


def test_documented_order() -> None:
    for lower, higher in itertools.pairwise(ORDERED):
        assert SCHEME.compare(lower, higher) == -1, (lower, higher)
        assert key(lower) < key(higher), (lower, higher)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1", "1.0"),  # trailing zeros are dropped
        ("1", "1.0.0"),
        ("1", "1-0"),
        ("1", "1-ga"),  # ga, final and release are the release itself
        ("1", "1.FINAL"),
        ("1", "1.0.0.RELEASE"),
        ("1-rc1", "1-cr1"),  # cr is rc
        ("1-a1", "1-alpha-1"),  # a, b and m right before a number
        ("1-b1", "1-beta-1"),
        ("1-m1", "1-milestone-1"),
        ("1.0-SNAPSHOT", "1-snapshot"),  # case does not matter
        ("1.0.0-RC1", "1.0.0.RC1"),  # ".X" before a number is read as "-X"
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0
    assert key(a) == key(b)
    assert hash(key(a)) == hash(key(b))


def test_maven_itself_is_not_transitive() -> None:
    """Cycles that Maven 3.8 shows; the key reproduces them rather than hide them."""
    for cycle in (["1.0.alpha.1", "1", "1.sp.1"], ["1-x", "1-x.sp.1", "1-x-alpha"]):
        for lower, higher in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            assert SCHEME.compare(lower, higher) == -1
            assert key(lower) < key(higher)


def test_cycles_match_the_oracle(maven_oracle: object) -> None:
    pairs = [
        ("1.0.alpha.1", "1"),
        ("1", "1.sp.1"),
        ("1.sp.1", "1.0.alpha.1"),
        ("1-x", "1-x.sp.1"),
        ("1-x.sp.1", "1-x-alpha"),
        ("1-x-alpha", "1-x"),
    ]
    assert oracles.disagreements("maven", pairs, SCHEME.compare) == []


def test_invalid() -> None:
    with pytest.raises(
        InvalidVersion, match=r"^invalid maven version '': version string is empty$"
    ):
        key("")
    assert scheme_for("Maven") is SCHEME


def test_edges_agree_with_maven(maven_oracle: object) -> None:
    versions = [
        "1",
        "1.٣",
        "1.3",
        "1.0000000000",
        "1.00000000000000000000",
        "1.1234567890",
        "1.1234567890123456789",
        "1.123456789012345678",
        "1.999999999",
        "1.1000000000",
        "1-İ",
        "1-i",
        "1-ß",
        "1-ss",
        "1.ǅ",
        "1-𝔘",
        "1-\ufb01",
        "1.-1",
        "1..1",
        "1--1",
        "-1",
        ".1",
        "1-",
        "1.",
        "a1",
        "b1",
        "m1",
        "a",
        "1a1",
        "1-a-1",
        "1.a.1",
        "sp",
        "1.sp1",
        "1-rc.1",
        "1-RC-1",
        "1.0.0-final",
        "1.0.0.final.1",
    ]
    pairs = [(a, b) for a in versions for b in versions]
    assert oracles.disagreements("maven", pairs, SCHEME.compare) == []
    assert oracles.disagreements("maven", pairs, _compare_keys) == []
