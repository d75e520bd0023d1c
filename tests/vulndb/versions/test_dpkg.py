"""dpkg versions against `dpkg --compare-versions`, the oracle, on generated pairs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from tenlayer.vulndb.versions import InvalidVersion, scheme_for
from tenlayer.vulndb.versions.dpkg import SCHEME, key
from tests.vulndb.versions import oracles, strategies

ORACLE = settings.get_profile("oracle")


@ORACLE
@given(strategies.batches(strategies.DPKG_PAIRS))
def test_agrees_with_dpkg(dpkg_oracle: object, batch: list[tuple[str, str]]) -> None:
    # dpkg --compare-versions reads "" as "no version" (a blank one); tenlayer refuses it
    pairs = [(a, b) for a, b in batch if a and b]
    assert oracles.disagreements("dpkg", pairs, SCHEME.compare) == []


def _well_formed(version: str) -> bool:
    """Debian policy §5.6.12 syntax, without which dpkg only warns."""
    epoch, colon, rest = version.partition(":")
    if colon and not epoch.isdigit():
        return False
    body = rest if colon else version
    upstream, hyphen, revision = body.rpartition("-") if "-" in body else (body, "", "")
    if not upstream or not upstream[0].isdigit():
        return False
    allowed_upstream = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~-")
    if colon:
        allowed_upstream.add(":")
    if not set(upstream) <= allowed_upstream:
        return False
    return not hyphen or (bool(revision) and set(revision) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~"))


@ORACLE
@given(strategies.batches(strategies.DPKG_PAIRS))
def test_python_debian_agrees_where_dpkg_accepts(batch: list[tuple[str, str]]) -> None:
    """A second opinion: python-debian's Version orders what dpkg accepts the same way."""
    support = pytest.importorskip(
        "debian.debian_support", reason="python-debian (the second opinion) is not installed"
    )
    for a, b in batch:
        if not (_well_formed(a) and _well_formed(b)):
            continue  # dpkg orders what it only warns about; python-debian may not (00:0-x:)
        try:
            ours = SCHEME.compare(a, b)
        except InvalidVersion:
            continue
        try:
            theirs = support.version_compare(a, b)
        except ValueError:
            continue  # python-debian refuses some versions that dpkg only warns about
        assert ours == (theirs > 0) - (theirs < 0), (a, b)


# Policy §5.6.12 by example, each reason written out.
ORDERED = [
    "0:0~",  # ~ sorts before the end, so 0~ is below 0
    "0",
    "0.0",  # the extra ".0" is a non-digit run "." (after the end) then 0
    "0.1",
    "1.0~~",  # two tildes sort before one
    "1.0~~a",
    "1.0~",
    "1.0~rc1",
    "1.0~rc1+b1",
    "1.0~rc2",
    "1.0",
    "1.0-0.1",  # revision "0.1" > the absent revision ("" counts as 0)
    "1.0-1",
    "1.0-1+b1",  # + sorts after the end of the revision
    "1.0-1.1",
    "1.0-2",
    "1.0-10",  # digit runs compare numerically
    "1.0a",  # a letter sorts after the end...
    "1.0z",
    "1.0+dfsg",  # ...and non-letters after letters
    "1.0+dfsg1",
    "1.0.0",  # "." sorts after "+" (ASCII, both non-letters)
    "1.00.1",  # leading zeros do not count: 00 == 0 and 1.00.1 > 1.0.0
    "1.1",
    "1.9",
    "1.10",
    "1:0.1",  # any epoch beats every version without one
    "1:0.1-1",
    "2:0",
]


def test_policy_order() -> None:
    keys = [key(version) for version in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "0:1.0"),  # epoch 0 is the absent epoch
        ("1.0-0", "1.0"),  # revision 0 is the absent revision
        ("1.00", "1.0"),
        ("1.0", " 1.0"),  # dpkg trims leading blanks and trailing whitespace
        ("1.0", "1.0\n"),
        ("+1:2", "1:2"),  # dpkg reads the epoch with strtol, which takes a sign
        ("1.0-1-1", "1.0-1-01"),  # the revision follows the last hyphen
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0
    assert key(a) == key(b)


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("", "version string is empty"),
        ("  ", "version string is empty"),
        ("1 0", "version string has embedded spaces"),
        (":1", "epoch in version is empty"),
        ("a:1", "epoch in version is empty"),
        ("1a:1", "epoch in version is not number"),
        ("-1:1", "epoch in version is negative"),
        ("99999999999:1", "epoch in version is too big"),
        ("1:", "nothing after colon in version number"),
        ("1.0-", "revision number is empty"),
        ("-1", "version number is empty"),
        ("1:-1", "version number is empty"),
        ("1\x002", "contains a NUL character"),
    ],
)
def test_invalid(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion) as raised:
        key(version)
    assert raised.value.reason == reason
    assert str(raised.value) == f"invalid dpkg version {version!r}: {reason}"
    assert "\n" not in str(raised.value)


def test_warnings_are_ordered_as_dpkg_does() -> None:
    # dpkg warns about these but still compares them; so does tenlayer
    assert SCHEME.compare("a1", "1") == 1  # 'a' is a letter, beats the digit's empty run
    assert SCHEME.compare("1.0_1", "1.0.1") == 1  # non-letters sort by ASCII: "_" after "."
    assert scheme_for("Debian:12") is SCHEME


def test_edges_agree_with_dpkg(dpkg_oracle: object) -> None:
    versions = [
        " 1.0",
        "1.0 ",
        "  1.0  ",
        "1 .0",
        "1.0-1 ",
        "+1:1.0",
        "-0:1.0",
        "0x1:1",
        "1:1:1",
        "1:1-1-1",
        "~",
        "~~1",
        "1~",
        "1.0-~",
        "1.0-+",
        "é1",
        "1.0é",
        "1.0\x7f",
        "2147483647:1",
        "2147483648:1",
        "00000000000000000000000000000001",
        "1" * 40,
    ]
    pairs = [(a, b) for a in versions for b in versions]
    assert oracles.disagreements("dpkg", pairs, SCHEME.compare) == []
