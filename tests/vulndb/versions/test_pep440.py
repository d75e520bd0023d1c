"""PEP 440: `packaging` is the implementation, so the tuple key is checked against its order
(on generated versions in every spelling PEP 440 normalises) and against the spec's rules."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from tenlayer.vulndb.versions import InvalidVersion, scheme_for
from tenlayer.vulndb.versions.pep440 import SCHEME, key


@st.composite
def pep440_versions(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(("", "", "", "0!", "1!", "v")))
    text += ".".join(
        draw(st.lists(st.sampled_from(("0", "1", "2", "10", "01", "00")), min_size=1, max_size=4))
    )
    if draw(st.booleans()):
        text += draw(
            st.sampled_from(
                ("a", "b", "rc", "c", "alpha", "beta", "pre", "preview", ".a", "-rc", "_b")
            )
        )
        text += draw(st.sampled_from(("", "0", "1", "2", "10")))
    if draw(st.booleans()):
        text += draw(st.sampled_from((".post", "post", "-post", ".rev", ".r", "-")))
        text += draw(
            st.sampled_from(("", "0", "1", "3")) if not text.endswith("-") else st.just("1")
        )
    if draw(st.booleans()):
        text += draw(st.sampled_from((".dev", "dev", "-dev", "_dev")))
        text += draw(st.sampled_from(("", "0", "1", "5")))
    if draw(st.integers(0, 3)) == 0:
        text += "+" + draw(
            st.sampled_from(
                ("ubuntu", "1", "abc.5", "abc.7", "5", "cpu", "a-b_c", "deb12u1", "1.0", "0")
            )
        )
    return text


@given(pep440_versions(), pep440_versions())
def test_key_orders_as_packaging(a: str, b: str) -> None:
    va, vb = Version(a), Version(b)
    ka, kb = key(a), key(b)
    assert (ka < kb) == (va < vb)
    assert (ka == kb) == (va == vb)
    assert SCHEME.compare(a, b) == (va > vb) - (va < vb)


@given(st.text(max_size=20))
def test_any_text(text: str) -> None:
    try:
        expected = Version(text)
    except Exception:
        with pytest.raises(InvalidVersion):
            key(text)
        return
    assert key(text) == key(str(expected))


# PEP 440's summary of suffixes and their relative order, with local labels after it.
ORDERED = [
    "1.dev0",
    "1.0.dev456",  # a development release of 1.0 sorts before its pre-releases
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0rc1.dev456",
    "1.0rc1",
    "1.0",
    "1.0+abc.5",  # local labels sort after the public version...
    "1.0+abc.7",  # ...part by part, numbers numerically
    "1.0+5",  # a number part beats a text part
    "1.0.post456.dev34",
    "1.0.post456",
    "1.0.15",
    "1.1.dev1",
    "1!0.1",  # an epoch beats everything
]


def test_spec_order() -> None:
    for lower, higher in itertools.pairwise(ORDERED):
        assert SCHEME.compare(lower, higher) == -1, (lower, higher)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "1"),
        ("1.0.0", "1"),
        ("1.0alpha1", "1.0a1"),
        ("1.0c1", "1.0rc1"),
        ("1.0-1", "1.0.post1"),
        ("v1.0", "1.0"),
        ("1.0.DEV", "1.0.dev0"),
        ("0!1.0", "1.0"),
        (" 1.0 ", "1.0"),
    ],
)
def test_equal(a: str, b: str) -> None:
    assert SCHEME.compare(a, b) == 0


@pytest.mark.parametrize(
    "version",
    [
        "",
        "latest",
        "1.0-SNAPSHOT",
        "2.0.0-beta-x",
        "1.0 .1",
        "1..0",
        "1.0+",
        "1.0+a+b",
        "1!",
        "dev",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match=r"^invalid pep440 version .*: not a PEP 440 version$"):
        key(version)


def test_ecosystem() -> None:
    assert scheme_for("PyPI") is SCHEME
