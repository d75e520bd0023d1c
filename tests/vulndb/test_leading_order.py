"""The matcher's shortcut (versions whose leading numbers differ) agrees with every scheme's
full order, on the generated versions the comparator tests use."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenlayer.vulndb.versions import InvalidVersion, get_scheme
from tenlayer.vulndb.versions.leading import leading_order
from tests.vulndb.versions import strategies

CORPORA = {
    "dpkg": strategies.DPKG_VERSIONS,
    "rpm": strategies.RPM_VERSIONS,
    "apk": strategies.APK_VERSIONS,
    "semver": strategies.SEMVER_VERSIONS,
    "go": strategies.GO_VERSIONS,
    "pep440": st.from_regex(r"\A(\d{1,3}!)?\d{1,3}(\.\d{1,3}){0,3}((a|b|rc)\d{1,2})?"
                            r"(\.post\d{1,2})?(\.dev\d{1,2})?\Z"),
}


@pytest.mark.parametrize("scheme_name", sorted(CORPORA))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_shortcut_agrees_with_the_full_order(scheme_name: str, data: st.DataObject) -> None:
    corpus = CORPORA[scheme_name]
    a, b = data.draw(corpus), data.draw(corpus)
    shortcut = leading_order(a, b)
    if shortcut is None:
        return
    scheme = get_scheme(scheme_name)
    try:
        expected = scheme.key(a) < scheme.key(b)
    except InvalidVersion:
        return
    assert shortcut == expected, (a, b)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("5.2-1", "7.1-3", True), ("10.0", "9.9", False), ("1:1.0", "2.0", None),
     ("1!1.0", "2.0", None), ("2.0", "2.1", None), ("v1.2", "2.0", None), ("010", "9", False)],
)
def test_shortcut_cases(a: str, b: str, expected: bool | None) -> None:
    assert leading_order(a, b) is expected
