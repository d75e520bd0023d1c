"""The in-memory rule-set gate and its policy document."""

from __future__ import annotations

import pytest

from tenlayer.registry.front.gate import (
    Decision,
    PullRequest,
    Rule,
    RuleSetGate,
    rules_from_document,
)

REASON = "quarantine/app has critical vulnerabilities (CVE-2024-3094, threshold high)"
GATE = RuleSetGate(
    rules=[
        Rule("quarantine/*", REASON, frozenset({"robot$scanner"})),
        Rule("closed", "closed for everyone"),
    ],
    exempt_everywhere=frozenset({"admin"}),
)


def pull(identity: str | None, repository: str, reference: str = "v1") -> PullRequest:
    return PullRequest(identity, repository, reference, "GET")


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (pull("alice", "quarantine/app"), Decision(False, REASON)),
        (pull(None, "quarantine/app"), Decision(False, REASON)),
        (pull("alice", "quarantine/app", "sha256:" + "0" * 64), Decision(False, REASON)),
        (pull("robot$scanner", "quarantine/app"),
         Decision(True, f"robot$scanner is exempt: {REASON}")),
        (pull("robot$scanner", "closed"), Decision(False, "closed for everyone")),
        (pull("admin", "closed"), Decision(True, "admin is exempt from the pull rules")),
        (pull("alice", "open/app"), Decision(True, "allowed")),
        (pull("alice", "quarantine"), Decision(True, "allowed")),  # the pattern needs a /
    ],
)
def test_rule_set_gate(request_: PullRequest, expected: Decision) -> None:
    assert GATE.decide(request_) == expected


def test_rules_from_document() -> None:
    rules = rules_from_document(
        [{"repository": "q/*", "reason": "why", "exempt": ["robot$scanner"]},
         {"repository": "x", "reason": "because"}]
    )
    assert rules == [Rule("q/*", "why", frozenset({"robot$scanner"})), Rule("x", "because")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"repository": "q", "reason": "r", "exempt": "robot"},
         "rule {'repository': 'q', 'reason': 'r', 'exempt': 'robot'}: "
         "exempt must be a list of names"),
        ({"repository": 3, "reason": "r"},
         "rule {'repository': 3, 'reason': 'r'}: repository and reason must be strings"),
    ],
)
def test_bad_rules_refused(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        rules_from_document([entry])
    assert str(refused.value) == message
