"""Levels and policy versions: parsing, printing, ordering."""

from __future__ import annotations

import pytest

from tenlayer.policy.pss import Level, PolicyVersion


@pytest.mark.parametrize("text", ["v1.0", "v1.8", "v1.25", "v1.37", "v1.120", "latest"])
def test_version_text_round_trips(text: str) -> None:
    assert str(PolicyVersion.parse(text)) == text


def test_parsed_versions_compare_by_number_and_latest_is_newest() -> None:
    versions = [PolicyVersion.parse(t) for t in ("latest", "v1.100", "v1.8", "v1.37", "v1.7")]
    assert [str(v) for v in sorted(versions)] == ["v1.7", "v1.8", "v1.37", "v1.100", "latest"]
    assert PolicyVersion.parse("v1.25") == PolicyVersion.of(25)
    assert PolicyVersion.parse("latest") == PolicyVersion.latest()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.25",
        "v1",
        "v1.",
        "v1.025",
        "v1.x",
        "v2.0",
        "V1.25",
        "v1.25 ",
        " latest",
        "Latest",
        "v1.٣",
    ],
)
def test_bad_version_text_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        PolicyVersion.parse(text)
    message = str(raised.value)
    assert repr(text) in message
    assert '"latest" or "v1.N"' in message


def test_levels_are_their_label_names() -> None:
    assert [level.value for level in Level] == ["privileged", "baseline", "restricted"]
    assert Level("restricted") is Level.RESTRICTED
