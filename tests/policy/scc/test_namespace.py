"""Namespace annotations: uid blocks, MCS levels, supplemental groups."""

from __future__ import annotations

import pytest

from tenlayer.errors import BadInput
from tenlayer.policy.scc.namespace import AllocationError, Block, Namespace, parse_block


@pytest.mark.parametrize(
    ("text", "block"),
    [
        ("1000680000/10000", Block(1000680000, 1000689999)),
        ("1000680000-1000689999", Block(1000680000, 1000689999)),
        ("5/1", Block(5, 5)),
        ("5/10trailing", Block(5, 14)),
    ],
)
def test_parse_block(text: str, block: Block) -> None:
    assert parse_block(text) == block


@pytest.mark.parametrize("text", ["", "abc", "1/x", "-5-3", "99999999999/1"])
def test_parse_block_refuses(text: str) -> None:
    with pytest.raises(AllocationError):
        parse_block(text)


def test_namespace_object_types_are_checked() -> None:
    with pytest.raises(BadInput, match="Namespace/team: metadata.annotations"):
        Namespace.from_object({"metadata": {"annotations": ["x"]}}, "team")
    with pytest.raises(BadInput, match="Namespace/team"):
        Namespace.from_object("team", "team")  # type: ignore[arg-type]
    assert Namespace.from_object(None, "team").annotations == {}
