"""Requesters: users and service accounts."""

from __future__ import annotations

import pytest

from tenlayer.errors import BadInput
from tenlayer.policy.scc import Requester


def test_parse_user() -> None:
    assert Requester.parse_user("alice") == Requester("alice", ("system:authenticated",))
    assert Requester.parse_user(" system:serviceaccount:ci:builder ") == Requester(
        "system:serviceaccount:ci:builder",
        ("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"),
    )
    assert Requester.service_account("ci", "builder") == Requester.parse_user(
        "system:serviceaccount:ci:builder"
    )


@pytest.mark.parametrize(
    "text",
    ["", "  ", "system:serviceaccount:", "system:serviceaccount:ns", "system:serviceaccount::x"],
)
def test_parse_user_refuses(text: str) -> None:
    with pytest.raises(BadInput):
        Requester.parse_user(text)


def test_groups_become_a_tuple() -> None:
    assert Requester("bob", ["g"]).groups == ("g",)  # type: ignore[arg-type]
    with pytest.raises(BadInput):
        Requester("bob", (1,))  # type: ignore[arg-type]
