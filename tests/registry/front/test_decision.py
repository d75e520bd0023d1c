"""The auth_request decision endpoint, driven over ASGI with real signed tokens.

The upstream address is one where nothing listens, so the "does distribution want a login"
probe always fails: these tests see the gate's own answers. The probe itself is exercised
against the real registry in test_front_registry.py.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import anyio
import httpx
import pytest

from tenlayer.registry.front.decision import DecisionApp
from tenlayer.registry.front.gate import (
    AuditRecord,
    AuditTrail,
    Decision,
    PullRequest,
    Rule,
    RuleSetGate,
)
from tenlayer.registry.front.identity import ring_from_certificates, ring_verifier
from tenlayer.registry.keys import KeyRing, load_key, write_key
from tenlayer.registry.tokens import AccessEntry, issue_token
from tests.support.registry import refused_address

REASON = "quarantine/app: critical CVE-2024-3094 at or above the project's threshold (high)"
AUDIENCE, ISSUER = "tenlayer-registry", "tenlayer-issuer"


def ring(directory: Path) -> KeyRing:
    key_path, cert_path = write_key(directory, ISSUER)
    return KeyRing((load_key(cert_path, key_path),))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return ring(tmp_path_factory.mktemp("keys"))


def token(
    keys: KeyRing, subject: str, *, minutes: int = 5, audience: str = AUDIENCE,
    access: tuple[AccessEntry, ...] = (),
) -> str:
    now = datetime.datetime.now(datetime.UTC)
    if minutes < 0:
        now += datetime.timedelta(minutes=minutes * 2)
    return issue_token(
        keys, issuer=ISSUER, audience=audience, subject=subject, access=list(access), now=now,
        lifetime=datetime.timedelta(minutes=abs(minutes)),
    ).token


def app(keys: KeyRing, audit: AuditTrail, gate: object | None = None) -> DecisionApp:
    verify = ring_verifier(
        ring_from_certificates([key.certificate for key in keys.keys]),
        audience=AUDIENCE, issuer=ISSUER,
    )
    rules = RuleSetGate([Rule("quarantine/*", REASON, frozenset({"robot$scanner"}))])
    return DecisionApp(
        gate or rules, f"http://{refused_address()}", verify=verify,  # type: ignore[arg-type]
        on_decision=audit,
    )


def ask(decision: DecisionApp, method: str, uri: str, bearer: str | None = None) -> httpx.Response:
    headers = {"X-Original-URI": uri, "X-Original-Method": method,
               "X-Real-IP": "192.0.2.7", "X-Real-Port": "40000"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=decision)
        async with httpx.AsyncClient(transport=transport, base_url="http://front") as client:
            return await client.get("/decide", headers=headers)

    return anyio.run(go)


def denied(code: str, message: str, detail: object = None) -> dict[str, object]:
    return {"errors": [{"code": code, "message": message, "detail": detail}]}


DETAIL = {"repository": "quarantine/app", "reference": "v1"}


def test_refused_pull_answers_distributions_error_document(keys: KeyRing) -> None:
    audit = AuditTrail()
    answer = ask(app(keys, audit), "GET", "/v2/quarantine/app/manifests/v1", token(keys, "alice"))
    assert answer.status_code == 403
    assert json.loads(answer.headers["x-tenlayer-denied"]) == denied("DENIED", REASON, DETAIL)
    assert audit.records == [
        AuditRecord("alice", "quarantine/app", "v1", "GET", False, REASON, "192.0.2.7:40000")
    ]


def test_exempt_robot_may_pull(keys: KeyRing) -> None:
    audit = AuditTrail()
    bearer = token(keys, "robot$scanner")
    answer = ask(app(keys, audit), "HEAD", "/v2/quarantine/app/manifests/v1", bearer)
    assert (answer.status_code, answer.headers.get("x-tenlayer-denied")) == (204, None)
    # allowed reads are not the front's to record: distribution's notifications say which
    # pulls happened (and it may still refuse one the gate allows)
    assert audit.records == []


@pytest.mark.parametrize("actions", [("delete",), ("*",), ("pull", "push", "delete")])
def test_a_token_that_may_delete_reads_a_refused_manifest(
    keys: KeyRing, actions: tuple[str, ...]
) -> None:
    """skopeo delete GETs the manifest before it DELETEs it: whoever may delete a refused
    image must get past the gate, and the audit says so."""
    audit = AuditTrail()
    bearer = token(keys, "maria", access=(AccessEntry("repository", "quarantine/app", actions),))
    answer = ask(app(keys, audit), "GET", "/v2/quarantine/app/manifests/v1", bearer)
    assert (answer.status_code, answer.headers.get("x-tenlayer-denied")) == (204, None)
    assert audit.records == [AuditRecord(
        "maria", "quarantine/app", "v1", "GET", True,
        f"{REASON}; let through: maria may delete quarantine/app (a delete reads the manifest "
        "first)", "192.0.2.7:40000")]


@pytest.mark.parametrize("access", [
    (AccessEntry("repository", "quarantine/app", ("pull", "push")),),
    (AccessEntry("repository", "quarantine/other", ("delete",)),),
    (AccessEntry("registry", "catalog", ("*",)),),
])
def test_a_token_without_delete_on_the_repository_is_refused(
    keys: KeyRing, access: tuple[AccessEntry, ...]
) -> None:
    audit = AuditTrail()
    answer = ask(app(keys, audit), "GET", "/v2/quarantine/app/manifests/v1",
                 token(keys, "maria", access=access))
    assert answer.status_code == 403
    assert [(r.identity, r.allowed, r.reason) for r in audit.records] == [
        ("maria", False, REASON)]


@pytest.mark.parametrize("kind", ["foreign key", "expired", "other audience", "garbage"])
def test_unverified_token_is_anonymous(keys: KeyRing, tmp_path: Path, kind: str) -> None:
    """A robot$scanner token the gate cannot verify gains nothing: the client is anonymous."""
    if kind == "foreign key":
        bearer = token(ring(tmp_path), "robot$scanner")
    elif kind == "expired":
        bearer = token(keys, "robot$scanner", minutes=-5)
    elif kind == "other audience":
        bearer = token(keys, "robot$scanner", audience="elsewhere")
    else:
        bearer = "not.a.token"
    audit = AuditTrail()
    answer = ask(app(keys, audit), "GET", "/v2/quarantine/app/manifests/v1", bearer)
    assert answer.status_code == 403
    assert [(r.identity, r.allowed) for r in audit.records] == [(None, False)]


@pytest.mark.parametrize(
    ("method", "uri"),
    [
        ("GET", "/v2/"),
        ("GET", "/v2/quarantine/app/blobs/sha256:" + "ab" * 32),
        ("PATCH", "/v2/quarantine/app/blobs/uploads/1234?_state=abc%3D%3D"),
        ("PUT", "/v2/quarantine/app/manifests/v1"),
        ("DELETE", "/v2/quarantine/app/manifests/sha256:" + "ab" * 32),
        ("GET", "/v2/quarantine/app/tags/list"),
        ("GET", "/v2/open/app/manifests/v1"),
    ],
)
def test_only_manifest_pulls_are_gated(keys: KeyRing, method: str, uri: str) -> None:
    audit, gate = AuditTrail(), AskedGate()
    answer = ask(app(keys, audit, gate), method, uri, token(keys, "alice"))
    assert answer.status_code == 204
    gated = uri.startswith("/v2/open/app/manifests/")
    assert gate.asked == ([("alice", "open/app", "v1", "GET")] if gated else [])
    assert audit.records == []


class AskedGate:
    """Allows everything outside quarantine/ and notes what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, str, str, str]] = []

    def decide(self, request: PullRequest) -> Decision:
        self.asked.append((request.identity, request.repository, request.reference,
                           request.method))
        return Decision(not request.repository.startswith("quarantine/"), "asked")


@pytest.mark.parametrize(
    "uri",
    ["/v2/quarantine%2Fapp/manifests/v1", "/v2/quarantine/app/manifests/%76%31",
     "/v2/quarantine/app/manifests/sha256%3A" + "ab" * 32],
)
def test_encoded_paths_are_gated_as_distribution_routes_them(keys: KeyRing, uri: str) -> None:
    audit = AuditTrail()
    answer = ask(app(keys, audit), "GET", uri, token(keys, "alice"))
    assert answer.status_code == 403
    assert [(r.repository, r.allowed) for r in audit.records] == [("quarantine/app", False)]


def test_unclean_path_refused(keys: KeyRing) -> None:
    audit = AuditTrail()
    answer = ask(app(keys, audit), "GET", "/v2/open/../quarantine/app/manifests/v1")
    assert answer.status_code == 403
    assert json.loads(answer.headers["x-tenlayer-denied"]) == denied(
        "UNSUPPORTED",
        "tenlayer refuses the path: empty, '.' and '..' path segments are refused",
    )
    assert audit.records == []


class BrokenGate:
    def decide(self, request: PullRequest) -> Decision:
        raise RuntimeError("the rules database is gone")


def test_failing_gate_refuses(keys: KeyRing) -> None:
    audit = AuditTrail()
    answer = ask(app(keys, audit, BrokenGate()), "GET", "/v2/open/app/manifests/v1")
    assert answer.status_code == 403
    message = "the pull gate failed; pulls are refused until it works"
    detail = {"repository": "open/app", "reference": "v1"}
    assert json.loads(answer.headers["x-tenlayer-denied"]) == denied("DENIED", message, detail)
    assert [(r.allowed, r.reason) for r in audit.records] == [(False, message)]


def challenge(repository: str, action: str, reason: str) -> str:
    return (f'Bearer realm="http://tokens/token",scope="repository:{repository}:{action}",'
            f'error_description="{reason}"')


def checking_app(keys: KeyRing, audit: AuditTrail) -> DecisionApp:
    decision = app(keys, audit)
    decision.challenge = challenge
    return decision


BLOB = "/v2/quarantine/app/blobs/sha256:" + "ab" * 32


@pytest.mark.parametrize(("method", "uri", "action"), [
    ("GET", BLOB, "pull"),
    ("POST", "/v2/quarantine/app/blobs/uploads/", "push"),
    ("PATCH", "/v2/quarantine/app/blobs/uploads/0e2a-11", "push"),
    ("PUT", "/v2/quarantine/app/manifests/v1", "push"),
    ("DELETE", "/v2/quarantine/app/manifests/sha256:" + "ab" * 32, "delete"),
    ("GET", "/v2/quarantine/app/tags/list", "pull"),
])
def test_a_token_without_the_action_is_answered_401_with_a_challenge(
    keys: KeyRing, method: str, uri: str, action: str
) -> None:
    audit = AuditTrail()
    bearer = token(keys, "alice", access=(AccessEntry("repository", "quarantine/other",
                                                      ("pull", "push", "delete")),))
    answer = ask(checking_app(keys, audit), method, uri, bearer)
    assert answer.status_code == 401
    reason = f"alice may not {action} quarantine/app"
    assert answer.headers["x-tenlayer-challenge"] == challenge("quarantine/app", action, reason)
    assert json.loads(answer.headers["x-tenlayer-denied"]) == denied(
        "DENIED", reason, {"repository": "quarantine/app", "action": action})
    assert [(r.identity, r.method, r.allowed, r.reason) for r in audit.records] == [
        ("alice", method, False, reason)]


def test_a_token_with_the_action_goes_on_to_the_gate(keys: KeyRing) -> None:
    audit = AuditTrail()
    bearer = token(keys, "alice", access=(AccessEntry("repository", "quarantine/app",
                                                      ("pull",)),))
    answer = ask(checking_app(keys, audit), "GET", BLOB, bearer)
    assert answer.status_code == 204
    answer = ask(checking_app(keys, audit), "GET", "/v2/quarantine/app/manifests/v1", bearer)
    assert answer.status_code == 403  # the project's rule, for a client that may pull
    assert json.loads(answer.headers["x-tenlayer-denied"])["errors"][0]["message"] == REASON


@pytest.mark.parametrize("kind", ["foreign key", "expired", "garbage"])
def test_a_token_that_does_not_verify_is_answered_401(
    keys: KeyRing, tmp_path: Path, kind: str
) -> None:
    if kind == "foreign key":
        bearer = token(ring(tmp_path), "alice")
    elif kind == "expired":
        bearer = token(keys, "alice", minutes=-5)
    else:
        bearer = "not.a.token"
    audit = AuditTrail()
    answer = ask(checking_app(keys, audit), "GET", BLOB, bearer)
    assert answer.status_code == 401
    message = json.loads(answer.headers["x-tenlayer-denied"])["errors"][0]["message"]
    assert message.startswith("the token is not valid (") and message.endswith("); sign in again")
    assert [(r.identity, r.allowed) for r in audit.records] == [(None, False)]


def test_no_token_is_left_to_distribution(keys: KeyRing) -> None:
    """The first request of a client carries no token: distribution's 401 tells it where to
    get one (the login probe covers manifest reads)."""
    audit = AuditTrail()
    answer = ask(checking_app(keys, audit), "GET", BLOB)
    assert answer.status_code == 204
    assert audit.records == []
