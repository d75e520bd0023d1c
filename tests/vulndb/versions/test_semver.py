"""SemVer (npm, crates.io, OSV SEMVER ranges) against node-semver, npm's own, as the oracle."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings

from tenlayer.vulndb.versions import InvalidVersion, scheme_for, scheme_for_range
from tenlayer.vulndb.versions.semver import SCHEME, key
from tests.vulndb.versions import oracles, strategies

ORACLE = settings.get_profile("oracle")


_HUGE_PRERELEASE_NUMBER = re.compile(r"-(?:[0-9A-Za-z-]+\.)*[0-9]{16,}(?:[.+]|$)")


def _exact_in_node(version: str) -> bool:
    """node-semver compares prerelease numbers as doubles: past 2**53 they lose precision."""
    return _HUGE_PRERELEASE_NUMBER.search(version) is None


@ORACLE
@given(strategies.batches(strategies.SEMVER_PAIRS))
def test_agrees_with_node_semver(semver_oracle: object, batch: list[tuple[str, str]]) -> None:
    pairs = [(a, b) for a, b in batch if _exact_in_node(a) and _exact_in_node(b)]
    assert oracles.disagreements("semver", pairs, SCHEME.compare) == []


# The precedence example of SemVer 2.0 §11, and around it.
ORDERED = [
    "0.0.0-0",
    "0.0.0",
    "1.0.0-0",  # numeric identifiers sort before alphanumeric ones
    "1.0.0-1",
    "1.0.0-10",  # ...and compare as numbers
    "1.0.0--",  # "-" is alphanumeric: after every number, first in ASCII among strings
    "1.0.0-Alpha",  # ASCII order: capitals first
    "1.0.0-alpha",
    "1.0.0-alpha.1",  # a longer list of identifiers wins when the shorter is its prefix
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",  # a release beats its prereleases
    "1.0.1-0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0-9007199254740993",  # prerelease numbers past 2**53 keep their order
    "2.0.0-9007199254740994",
    "2.0.0",
    "9007199254740991.0.0",  # npm's largest MAJOR
]


def test_precedence() -> None:
    for lower, higher in itertools.pairwise(ORDERED):
        assert SCHEME.compare(lower, higher) == -1, (lower, higher)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0.0", "1.0.0+build.1"),  # build metadata is ignored
        ("1.0.0+a", "1.0.0+b"),
        ("1.0.0-rc.1+a", "1.0.0-rc.1"),
        ("v1.2.3", "1.2.3"),  # npm's spellings
        ("=1.2.3", "1.2.3"),
        (" =v1.2.3 ", "1.2.3"),
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("", "version string is empty"),
        ("1.2", "needs MAJOR.MINOR.PATCH"),
        ("1.2.3.4", "needs MAJOR.MINOR.PATCH"),
        ("01.2.3", "MAJOR, MINOR and PATCH must be numbers without leading zeros"),
        ("1.2.3-01", "bad prerelease or build identifiers"),
        ("1.2.3-", "bad prerelease or build identifiers"),
        ("1.2.3+", "bad prerelease or build identifiers"),
        ("1.2.3-a..b", "bad prerelease or build identifiers"),
        ("9007199254740992.0.0", "MAJOR, MINOR and PATCH must be below 2**53"),
        ("1.0.0-" + "a" * 251, "longer than 256 characters"),
    ],
)
def test_invalid(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion) as raised:
        key(version)
    assert raised.value.reason.startswith(reason)
    assert str(raised.value).startswith("invalid semver version ")


def test_ecosystems_and_ranges() -> None:
    assert scheme_for("npm") is SCHEME
    assert scheme_for("crates.io") is SCHEME
    assert scheme_for_range("SEMVER", "npm") is SCHEME
    assert scheme_for_range("SEMVER", "PyPI") is SCHEME  # SEMVER ranges are SemVer anywhere
    assert scheme_for_range("ECOSYSTEM", "npm") is SCHEME


def test_edges_agree_with_node_semver(semver_oracle: object) -> None:
    versions = [
        "1.2.3",
        " 1.2.3",
        "1.2.3 ",
        "v1.2.3",
        "=1.2.3",
        "==vv1.2.3",
        "= v1.2.3",
        "v=1.2.3",
        "V1.2.3",
        "\u00a01.2.3",
        "\ufeff1.2.3",
        "1.2.3-0",
        "1.2.3-00",
        "1.2.3-0a",
        "1.2.3-a-",
        "1.2.3--",
        "1.2.3+01",
        "1.2.3-a+b+c",
        "01.2.3",
        "1.2",
        "9007199254740991.0.0",
        "9007199254740992.0.0",
        "1.2.3-" + "a" * 250,
        "1.2.3-" + "a" * 251,
    ]
    pairs = [(a, b) for a in versions for b in versions]
    assert oracles.disagreements("semver", pairs, SCHEME.compare) == []
