"""The audit table: tokens issued and logins refused, with who and why (pushes, scans and
pulls are covered end to end in test_scan_on_push_e2e.py)."""

from __future__ import annotations

from typing import Any

import jwt

from tenlayer.registry.access import Role
from tests.registry.conftest import PASSWORD, App


def jti(body: dict[str, Any]) -> str:
    return str(jwt.decode(body["token"], options={"verify_signature": False})["jti"])


def test_tokens_and_refused_logins_are_audited(app: App) -> None:
    app.store.add_member("team", "user", "alice", Role.DEVELOPER)
    granted = app.client.get("/token", params=[
        ("service", app.config.service), ("scope", "repository:team/app:pull,push,delete"),
        ("scope", "repository:other/x:pull")], auth=("alice", PASSWORD))
    assert granted.status_code == 200
    anonymous = app.client.get("/token", params={"service": app.config.service,
                                                 "scope": "repository:team/app:pull"})
    assert anonymous.status_code == 200
    refused = app.client.get("/token", params={"service": app.config.service},
                             auth=("alice", "wrong-password"))
    assert refused.status_code == 401
    assert app.service.audit.flush()
    entries = [(e.identity, e.action, e.repository, e.reference, e.allowed, e.reason, e.client)
               for e in app.store.audit_log()]
    assert entries == [
        ("alice", "token", "other/x team/app", "", True,
         f"token {jti(granted.json())} asked repository:team/app:pull,push,delete;"
         "repository:other/x:pull, granted repository:team/app:pull,push", "testclient"),
        ("", "token", "team/app", "", True,
         f"token {jti(anonymous.json())} asked repository:team/app:pull, granted nothing",
         "testclient"),
        ("alice", "login", "", "", False, "invalid username or password", "testclient"),
    ]
    assert all(e.at == app.clock.now() for e in app.store.audit_log())


def test_throttled_logins_and_refused_refresh_tokens_are_audited(app: App) -> None:
    for _ in range(4):  # three free failures, the fourth locks for two seconds
        assert app.client.get("/token", params={"service": app.config.service},
                              auth=("alice", "wrong-password")).status_code == 401
    locked = app.client.get("/token", params={"service": app.config.service},
                            auth=("alice", PASSWORD))
    assert locked.status_code == 429
    refresh = app.client.post("/token", data={
        "grant_type": "refresh_token", "refresh_token": "not-a-refresh-token",
        "service": app.config.service, "client_id": "docker"})
    assert refresh.status_code == 401
    assert app.service.audit.flush()
    entries = [(e.identity, e.action, e.allowed, e.reason, e.client)
               for e in app.store.audit_log()]
    assert entries[-2:] == [
        ("alice", "login", False, "throttled: retry after 2 s", "testclient"),
        ("", "login", False, "invalid or expired refresh token", "testclient"),
    ]


def test_a_scope_asked_twice_is_granted_once(app: App) -> None:
    app.store.add_member("team", "user", "alice", Role.DEVELOPER)
    granted = app.client.get("/token", params=[
        ("service", app.config.service), ("scope", "repository:team/app:pull"),
        ("scope", "repository:team/app:pull,push")], auth=("alice", PASSWORD))
    claims = jwt.decode(granted.json()["token"], options={"verify_signature": False})
    assert claims["access"] == [
        {"type": "repository", "name": "team/app", "actions": ["pull", "push"]}]
