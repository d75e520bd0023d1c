"""The pull gate: who may pull which manifest, decided by a plain Python object.

The front asks a `Gate` about every manifest GET and HEAD (and about nothing else). A gate
is any object with `decide(PullRequest) -> Decision`; it sees only plain data, so the
scan-on-push rules (threshold, grade, signatures) plug in without knowing about HTTP.
`RuleSetGate` is the simple in-memory policy used until then, and by the tests.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class PullRequest:
    """One manifest request as the gate sees it."""

    identity: str | None
    """The verified token's subject; None for an anonymous (or unverifiable) client."""
    repository: str
    reference: str
    """A tag or a digest (`sha256:…`), exactly as in the request path."""
    method: str
    """`GET` or `HEAD` (`PUT` for a `PushGate`'s `decide_push`)."""

    @property
    def by_digest(self) -> bool:
        return ":" in self.reference


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    """Why: shown to the client on a refusal, written to the audit log either way."""


ALLOW = Decision(True, "allowed")


class Gate(Protocol):
    def decide(self, request: PullRequest) -> Decision: ...


@runtime_checkable
class PushGate(Protocol):
    """A gate that also judges manifest pushes (`PUT /v2/NAME/manifests/REF`; the request's
    method is `PUT`): the front asks `decide_push` about them, and lets other pushes by."""

    def decide(self, request: PullRequest) -> Decision: ...

    def decide_push(self, request: PullRequest) -> Decision: ...


@dataclass(frozen=True)
class Rule:
    """Refuse pulls of repositories matching `repository` (an fnmatch pattern) with
    `reason`, except to the identities in `exempt` (the scanner's own robot, say)."""

    repository: str
    reason: str
    exempt: frozenset[str] = frozenset()

    def matches(self, repository: str) -> bool:
        return fnmatch.fnmatchcase(repository, self.repository)


@dataclass
class RuleSetGate:
    """An in-memory policy: the first rule whose pattern matches refuses, unless the
    identity is exempt from it; a repository no rule matches may be pulled.

    `exempt_everywhere` names identities no rule refuses (the scanner's robot must still
    pull what it is asked to scan). Rules may be replaced at any time (`rules = [...]`):
    each decision reads the list once.
    """

    rules: Sequence[Rule] = ()
    exempt_everywhere: frozenset[str] = frozenset()

    def decide(self, request: PullRequest) -> Decision:
        if request.identity is not None and request.identity in self.exempt_everywhere:
            return Decision(True, f"{request.identity} is exempt from the pull rules")
        for rule in self.rules:
            if not rule.matches(request.repository):
                continue
            if request.identity is not None and request.identity in rule.exempt:
                return Decision(True, f"{request.identity} is exempt: {rule.reason}")
            return Decision(False, rule.reason)
        return ALLOW


@dataclass(frozen=True)
class AuditRecord:
    """Who asked for what, and what the gate said and why."""

    identity: str | None
    repository: str
    reference: str
    method: str
    allowed: bool
    reason: str
    client: str
    """The client's address as the front saw it (`host:port`)."""


OnDecision = Callable[[AuditRecord], None]


@dataclass
class AuditTrail:
    """An `on_decision` hook that keeps every record in memory, for tests and small setups."""

    records: list[AuditRecord] = field(default_factory=list)

    def __call__(self, record: AuditRecord) -> None:
        self.records.append(record)


def rules_from_document(document: Iterable[dict[str, object]]) -> list[Rule]:
    """Rules from a JSON-like list: `{"repository": "secret/*", "reason": "…",
    "exempt": ["robot$scanner"]}`."""
    rules = []
    for entry in document:
        exempt = entry.get("exempt", [])
        if not isinstance(exempt, list) or not all(isinstance(e, str) for e in exempt):
            raise ValueError(f"rule {entry!r}: exempt must be a list of names")
        repository, reason = entry.get("repository"), entry.get("reason")
        if not isinstance(repository, str) or not isinstance(reason, str):
            raise ValueError(f"rule {entry!r}: repository and reason must be strings")
        rules.append(Rule(repository, reason, frozenset(exempt)))
    return rules
