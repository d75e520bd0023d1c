"""RPM versions against rpm 4.18's own comparison (`rpm.vercmp` in rpm's Lua), the oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from tenlayer.vulndb.versions import InvalidVersion, scheme_for
from tenlayer.vulndb.versions.rpm import SCHEME, key, split
from tests.vulndb.versions import oracles, strategies

ORACLE = settings.get_profile("oracle")


@ORACLE
@given(strategies.batches(strategies.RPM_PAIRS))
def test_agrees_with_rpm(rpm_oracle: object, batch: list[tuple[str, str]]) -> None:
    assert oracles.disagreements("rpm", batch, SCHEME.compare) == []


# rpmvercmp by example, each reason written out.
ORDERED = [
    "1.0~~",  # ~ sorts before everything, even the end; two before one
    "1.0~rc1",
    "1.0~rc1^git1",  # ^ sorts after the end...
    "1.0~rc2",
    "1.0",
    "1.0^",
    "1.0^git1~pre",
    "1.0^git1",  # ...and before anything else appended to the same base
    "1.0^git2",
    "1.0a",  # letters after ^ and after the end
    "1.0b",
    "1.0.0",  # numbers beat letters at the same place
    "1.0.1",
    "1.0.1a",
    "1.1",
    "1.9",
    "1.10",  # numbers compare as numbers
    "1.010.1",  # leading zeros do not count: 010 == 10, then ".1" beats the end
    "2",
    "0:3",  # epoch 0 is the absent epoch
    "1:0.1",  # any positive epoch beats every version without one
    "1:0.1-~1",  # any release, even "~1", beats no release at all
    "1:0.1-",  # an empty release beats "~1" (rpmvercmp("", "~1") is 1)
    "1:0.1-1",
    "1:0.1-1.el9",
    "1:0.1-1.el9_2",
    "1:0.1-2.el9",
    "2:0",
]


def test_rpmvercmp_order() -> None:
    keys = [key(version) for version in ORDERED]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "1_0"),  # separators do not count, whichever they are
        ("1.0", "1..0"),
        ("1.0", "1.0."),  # nor do trailing ones
        ("1.0", "1.00"),
        ("a", "a"),
        ("1.0-1", "0:1.0-1"),
        ("1.0-1", ":1.0-1"),  # an empty epoch is 0
        ("1.é", "1"),  # non-ASCII characters are separators, as in rpm
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0


def test_evr_split() -> None:
    assert split("1:2.3-4.el9") == (1, "2.3", "4.el9")
    assert split("2.3-4-5") == (0, "2.3-4", "5")  # the release follows the last '-'
    assert split("2.3") == (0, "2.3", None)
    assert split("a:2") == (0, "a:2", None)  # only digits before ':' make an epoch


@pytest.mark.parametrize(
    ("version", "reason"), [("", "version string is empty"), ("1\x00", "contains a NUL character")]
)
def test_invalid(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion, match=f"invalid rpm version .*: {reason}$"):
        key(version)


def test_ecosystems() -> None:
    for ecosystem in (
        "Red Hat:enterprise_linux:9::appstream",
        "Rocky Linux:9",
        "AlmaLinux:8",
        "Fedora:39",
        "openSUSE:Leap 15.5",
        "SUSE:Linux Enterprise Server 15",
    ):
        assert scheme_for(ecosystem) is SCHEME


def test_edges_agree_with_rpm(rpm_oracle: object) -> None:
    versions = [
        "1",
        "1:",
        ":",
        "-",
        "1-",
        "-1",
        ":-",
        "1:-",
        "01:1",
        "1:1:1",
        "1.0-1-1",
        "~",
        "^",
        "~^",
        "^~",
        "1.0^",
        "1.0~",
        "a",
        "A",
        "1a",
        "1A",
        "é",
        "1.é",
        " 1",
        "1 ",
        "0" * 30,
        "9" * 30,
        "1.0-1.el9_2",
    ]
    pairs = [(a, b) for a in versions for b in versions]
    assert oracles.disagreements("rpm", pairs, SCHEME.compare) == []
