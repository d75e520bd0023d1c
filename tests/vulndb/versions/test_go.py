"""Go module and toolchain versions: no Go toolchain runs here, so vectors written from the
rules of golang.org/x/mod/semver and of Go's pseudo-versions, each with its reason, plus
order properties over generated versions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenlayer.vulndb.versions import InvalidVersion, scheme_for, scheme_for_range
from tenlayer.vulndb.versions.go import SCHEME, key, tag_to_semver
from tests.vulndb.versions import strategies

STAMP = "20210101010101-abcdef123456"

ORDERED = [
    # v0.0.0-<time>-<commit>: a pseudo-version with no earlier tag, below every release
    "v0.0.0-20200101000000-aaaaaaaaaaaa",
    f"v0.0.0-{STAMP}",  # later timestamps sort later (same length, compared as text)
    "v0.0.0",
    "v0.0.1",
    "v1.0.0-rc.1",
    "v1.0.0",
    "v1.2.3",
    # vX.Y.(Z+1)-0.<time>-<commit>: after v1.2.3 and before v1.2.4 and its prereleases,
    # since "0" is numeric and sorts before every alphanumeric identifier
    f"v1.2.4-0.{STAMP}",
    "v1.2.4-alpha",
    # vX.Y.Z-pre.0.<time>-<commit>: after v1.2.4-pre and before v1.2.4-pre.1
    "v1.2.4-pre",
    f"v1.2.4-pre.0.{STAMP}",
    "v1.2.4-pre.1",
    "v1.2.4",
    "v1.10.0",  # numbers compare as numbers
    "v2.0.0",
    "v2.0.1+incompatible",  # +incompatible is build metadata: ordered as v2.0.1
    "v10.0.0",
]


def test_module_order() -> None:
    for lower, higher in itertools.pairwise(ORDERED):
        assert SCHEME.compare(lower, higher) == -1, (lower, higher)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("v1.6.0", "1.6.0"),  # OSV's Go records drop the v
        ("v1", "v1.0.0"),  # Go's shorthands
        ("v1.2", "v1.2.0"),
        ("0", "v0.0.0"),  # OSV's "introduced": "0"
        ("v2.0.0+incompatible", "v2.0.0"),
        ("v1.2.3+meta", "v1.2.3"),
        # toolchain tags, mapped as the Go vulnerability database maps them
        ("go1.22.5", "v1.22.5"),
        ("go1.20", "1.20.0"),
        ("go1.21rc2", "1.21.0-rc.2"),
        ("go1.9beta2", "1.9.0-beta.2"),
        ("go1.20-pre4", "1.20.0-pre.4"),
        ("go1", "1.0.0"),
        ("go1.22.5 X:boringcrypto", "1.22.5"),  # runtime.Version() with an experiment
        ("go1.21.0-rc.2", "1.21.0-rc.2"),  # other go-prefixed text: the SemVer after "go"
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0
    assert key(a) == key(b)


def test_toolchain_order() -> None:
    # a release candidate comes before its release; beta before rc (b < r)
    chain = [
        "go1.9beta2",
        "go1.9rc1",
        "go1.9",
        "go1.9.1",
        "go1.20-pre4",
        "go1.20rc1",
        "go1.20",
        "go1.21rc2",
        "go1.21.0",
        "go1.21.1",
        "go1.22.5",
    ]
    for lower, higher in itertools.pairwise(chain):
        assert SCHEME.compare(lower, higher) == -1, (lower, higher)


def test_tag_to_semver() -> None:
    assert tag_to_semver("go1.21rc2") == "1.21.0-rc.2"
    assert tag_to_semver("go1.19") == "1.19.0"
    assert tag_to_semver("v1.2.3") is None
    assert tag_to_semver("") is None


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("", "version string is empty"),
        ("v", "version string is empty"),
        ("v1.2.3.4", "needs MAJOR[.MINOR[.PATCH]], numbers without leading zeros"),
        ("v01.2.3", "needs MAJOR[.MINOR[.PATCH]], numbers without leading zeros"),
        ("v1.2-pre", "a prerelease or build needs MAJOR.MINOR.PATCH"),
        ("v1+meta", "a prerelease or build needs MAJOR.MINOR.PATCH"),
        ("v1.2.3-01", "bad prerelease or build identifiers"),
        ("v1.2.3-", "bad prerelease or build identifiers"),
        ("latest", "needs MAJOR[.MINOR[.PATCH]], numbers without leading zeros"),
        ("go1.09", "needs MAJOR[.MINOR[.PATCH]], numbers without leading zeros"),
    ],
)
def test_invalid(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion) as raised:
        key(version)
    assert raised.value.reason.startswith(reason)


@given(st.lists(strategies.GO_VERSIONS, min_size=3, max_size=3))
def test_total_order(versions: list[str]) -> None:
    keys = []
    for version in versions:
        try:
            keys.append(key(version))
        except InvalidVersion:
            return
    a, b, c = keys
    assert (a < b) == (b > a)
    assert not (a < b and b < a)
    if a <= b and b <= c:
        assert a <= c
    if a == b:
        assert hash(a) == hash(b)


def test_ecosystem_and_ranges() -> None:
    assert scheme_for("Go") is SCHEME
    assert scheme_for_range("SEMVER", "Go") is SCHEME
    assert scheme_for_range("ECOSYSTEM", "Go") is SCHEME
