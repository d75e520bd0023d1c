"""GET and POST /token in process: grants, OAuth2 grants, refresh tokens, throttling."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

from tenlayer.registry.access import Role
from tenlayer.registry.config import ScannerConfig
from tenlayer.registry.tokens import verify_token
from tests.registry.conftest import PASSWORD, SERVICE, App


def claims(app: App, token: str) -> Any:
    return verify_token(token, app.service.keys, audience=SERVICE, issuer=app.config.issuer,
                        now=app.clock.now())


def get(app: App, *scopes: str, auth: tuple[str, str] | None = None, **params: str) -> Any:
    query: list[tuple[str, str]] = [("service", SERVICE), *(("scope", s) for s in scopes)]
    query += list(params.items())
    return app.client.get("/token", params=query, auth=auth)


def test_intersection_of_requested_and_allowed(app: App) -> None:
    app.store.add_member("team", "user", "alice", Role.GUEST)
    answer = get(app, "repository:team/app:pull,push,delete", "repository:pub/x:pull,push",
                 "repository:nope/x:pull", "repository:Bad Name:pull", "registry:catalog:*",
                 auth=("alice", PASSWORD))
    assert answer.status_code == 200
    body = answer.json()
    assert body["token"] == body["access_token"]
    assert body["expires_in"] == 300
    assert body["issued_at"] == "2026-11-26T12:00:00Z"
    assert "refresh_token" not in body
    got = claims(app, body["token"])
    assert got.subject == "alice"
    assert [(a.name, a.actions) for a in got.access] == [
        ("team/app", ("pull",)), ("pub/x", ("pull",)),
    ]


def test_space_separated_scopes_and_wildcard(app: App) -> None:
    app.store.add_member("team", "user", "alice", Role.MAINTAINER)
    body = get(app, "repository:team/a:pull repository:team/b:*", auth=("alice", PASSWORD)).json()
    assert [(a.name, a.actions) for a in claims(app, body["token"]).access] == [
        ("team/a", ("pull",)), ("team/b", ("*",)),
    ]
    app.store.add_member("team", "user", "bob", Role.DEVELOPER)
    body = get(app, "repository:team/b:*", auth=("bob", PASSWORD)).json()
    assert claims(app, body["token"]).access == ()


def test_anonymous(app: App) -> None:
    body = get(app, "repository:pub/x:pull,push", "repository:team/x:pull").json()
    got = claims(app, body["token"])
    assert got.subject == ""
    assert [(a.name, a.actions) for a in got.access] == [("pub/x", ("pull",))]


def test_catalog_only_for_admins(app: App) -> None:
    admin = claims(app, get(app, "registry:catalog:*", auth=("root", PASSWORD)).json()["token"])
    assert [(a.type, a.name, a.actions) for a in admin.access] == [
        ("registry", "catalog", ("*",))]
    # a system administrator gets everything on existing projects only
    got = claims(app, get(app, "repository:team/x:pull,push,delete",
                          "repository:ghost/x:pull", auth=("root", PASSWORD)).json()["token"])
    assert [(a.name, a.actions) for a in got.access] == [
        ("team/x", ("pull", "push", "delete"))]


def test_wrong_password_and_service_and_account(app: App) -> None:
    answer = get(app, auth=("alice", "nope"))
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["message"] == "invalid username or password"
    assert get(app, auth=("nobody", "nope")).status_code == 401
    assert app.client.get("/token", params={"service": "other"}).status_code == 400
    answer = get(app, auth=("alice", PASSWORD), account="bob")
    assert answer.status_code == 400
    assert get(app, auth=("alice", PASSWORD), account="alice").status_code == 200
    bad = app.client.get("/token", headers={"Authorization": "Basic !!!"})
    assert bad.status_code == 400


def test_throttle_per_account_with_backoff(app: App) -> None:
    for _ in range(3):  # free failures
        assert get(app, auth=("alice", "nope")).status_code == 401
    assert get(app, auth=("alice", "nope")).status_code == 401  # the 4th locks for 2 s
    locked = get(app, auth=("alice", PASSWORD))  # even the right password waits
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "2"
    assert "retry after 2 s" in locked.json()["errors"][0]["message"]
    app.clock.advance(2)
    assert get(app, auth=("alice", "nope")).status_code == 401  # the 5th: 4 s
    assert get(app, auth=("alice", PASSWORD)).headers["retry-after"] == "4"
    app.clock.advance(4)
    assert get(app, auth=("alice", PASSWORD)).status_code == 200  # success clears the account


def test_throttle_per_client_address(app: App) -> None:
    # one client guessing many accounts is throttled by its address
    for name in ("u1", "u2", "u3", "u4"):
        assert get(app, auth=(name, "guess")).status_code == 401
    answer = get(app, auth=("bob", PASSWORD))
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) >= 1


def test_throttle_cap_and_forgetting(app: App) -> None:
    waits = []
    for _ in range(10):
        assert get(app, auth=("alice", "nope")).status_code == 401
        answer = get(app, auth=("alice", PASSWORD))
        wait = int(answer.headers.get("retry-after", 0))
        waits.append(wait)
        app.clock.advance(wait)
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 60, 60]
    app.clock.advance(61)  # a quiet minute (the cap) forgets the failures
    assert get(app, auth=("alice", "nope")).status_code == 401
    assert get(app, auth=("alice", PASSWORD)).status_code == 200


def test_offline_token_gives_refresh_token(app: App) -> None:
    body = get(app, auth=("alice", PASSWORD), offline_token="true", client_id="docker").json()
    refresh = body["refresh_token"]
    assert refresh
    assert refresh not in str(app.store.engine.url)
    answer = app.client.post("/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh, "service": SERVICE,
        "client_id": "docker", "scope": "repository:pub/x:pull",
    })
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert claims(app, token).subject == "alice"
    assert answer.json()["scope"] == "repository:pub/x:pull"


def test_oauth_password_grant(app: App) -> None:
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD,
            "service": SERVICE, "client_id": "skopeo", "access_type": "offline",
            "scope": "repository:pub/x:pull repository:team/x:pull"}
    answer = app.client.post("/token", data=form)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    assert [a.name for a in claims(app, body["access_token"]).access] == ["pub/x"]
    wrong = app.client.post("/token", data={**form, "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_grant"
    assert wrong.json()["error_description"] == "invalid username or password"
    assert app.client.post("/token", data={**form, "client_id": ""}).status_code == 400
    unsupported = app.client.post("/token", data={**form, "grant_type": "implicit"})
    assert unsupported.json()["error"] == "unsupported_grant_type"


def test_refresh_token_refused_after_removal_or_expiry(app: App) -> None:
    def refresh(token: str) -> int:
        return int(app.client.post("/token", data={
            "grant_type": "refresh_token", "refresh_token": token, "client_id": "x",
        }).status_code)

    body = get(app, auth=("bob", PASSWORD), offline_token="true").json()
    assert refresh(body["refresh_token"]) == 200
    assert refresh("made-up") == 401
    app.store.remove_user("bob")
    assert refresh(body["refresh_token"]) == 401
    alice = get(app, auth=("alice", PASSWORD), offline_token="true").json()["refresh_token"]
    app.clock.advance(8 * 86400)
    assert refresh(alice) == 401


def test_robot_login_and_expiry(app: App) -> None:
    expires = app.clock.now() + datetime.timedelta(hours=1)
    new = app.store.add_robot("ci", {"team": ["pull"]}, expires_at=expires)
    body = get(app, "repository:team/x:pull,push", auth=("robot$ci", new.secret)).json()
    got = claims(app, body["token"])
    assert got.subject == "robot$ci"
    assert [(a.name, a.actions) for a in got.access] == [("team/x", ("pull",))]
    app.clock.advance(3600)
    assert get(app, auth=("robot$ci", new.secret)).status_code == 401


def test_rotation_keeps_old_tokens_valid_until_retired(app: App, tmp_path: Any) -> None:
    from tenlayer.registry.config import load_config
    from tenlayer.registry.keys import write_key
    from tenlayer.registry.tokens import RetiredKey, TokenError
    from tests.registry.conftest import write_config

    old_token = get(app, auth=("alice", PASSWORD)).json()["token"]
    write_key(tmp_path / "keys2", "next")
    keys = [{"certificate": "keys/token.crt", "key": "keys/token.key"},
            {"certificate": "keys2/token.crt", "key": "keys2/token.key"}]
    rotated = load_config(write_config(tmp_path, keys=keys)).key_ring()
    assert rotated.signer().kid != app.service.keys.signer().kid
    verify = verify_token(old_token, rotated, audience=SERVICE, issuer=app.config.issuer,
                          now=app.clock.now())
    assert verify.subject == "alice"
    keys[0] = {"certificate": "keys/token.crt", "retired": True}  # type: ignore[dict-item]
    retired = load_config(write_config(tmp_path, keys=keys)).key_ring()
    try:
        verify_token(old_token, retired, audience=SERVICE, issuer=app.config.issuer,
                     now=app.clock.now())
    except TokenError as error:
        assert isinstance(error, RetiredKey)
    else:
        raise AssertionError("a retired key's token verified")


def test_the_scanner_robot_is_never_locked_out(app: App) -> None:
    """Failed logins from the scanner's address, or against its name, must not stop scans."""
    scanner = app.store.add_robot("scanner", {"team": ["pull"]}, expires_at=None)
    secret_file = app.config.path.parent / "scanner.secret"
    secret_file.write_text(scanner.secret + "\n")
    app.service.config = replace(app.config, scanner=ScannerConfig("robot$scanner", secret_file))
    for n in range(10):
        assert get(app, auth=(f"nobody{n}", "wrong")).status_code in (401, 429)
        assert get(app, auth=("robot$scanner", "wrong")).status_code == 401
    assert get(app, auth=("alice", PASSWORD)).status_code == 429  # the address is locked
    answer = get(app, "repository:team/x:pull", auth=("robot$scanner", scanner.secret))
    assert answer.status_code == 200
    assert claims(app, answer.json()["token"]).subject == "robot$scanner"


def test_the_scanner_robot_pulls_from_every_project_and_nothing_more(app: App) -> None:
    scanner = app.store.add_robot("scanner", {"team": ["pull"]}, expires_at=None)
    app.store.add_project("other")
    ask = ("repository:other/app:pull,push,delete", "repository:pub/x:pull",
           "repository:missing/x:pull", "repository:team/app:push")
    body = get(app, *ask, auth=("robot$scanner", scanner.secret)).json()
    access = {(entry.name, entry.actions) for entry in claims(app, body["token"]).access}
    assert access == {("other/app", ("pull",)), ("pub/x", ("pull",))}
    ci = app.store.add_robot("ci", {"team": ["pull"]}, expires_at=None)  # another robot: no
    body = get(app, "repository:other/app:pull", auth=("robot$ci", ci.secret)).json()
    assert claims(app, body["token"]).access == ()


def test_an_expired_robots_right_secret_is_not_a_guess(app: App) -> None:
    robot = app.store.add_robot("old", {"team": ["pull"]},
                                expires_at=app.clock.now() - datetime.timedelta(seconds=1))
    answers = [get(app, auth=("robot$old", robot.secret)) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 6  # never throttled
    assert {a.json()["details"] for a in answers} == {
        "robot$old: the robot's secret expired at 2026-11-26T11:59:59+00:00"}


def test_what_was_asked_beyond_the_grant_rides_in_a_private_claim(app: App) -> None:
    """distribution ignores `tenlayer_asked`; the front reads it to tell a delete the role
    forbids (skopeo delete asks `*`) from a pull."""
    app.store.add_member("team", "user", "alice", Role.DEVELOPER)
    body = get(app, "repository:team/app:*,pull", "repository:team/lib:pull",
               auth=("alice", PASSWORD)).json()
    claims = verify_token(body["token"], app.service.keys, audience=SERVICE,
                          issuer=app.config.issuer, now=app.clock.now())
    assert [(a.name, a.actions) for a in claims.access] == [
        ("team/app", ("pull",)), ("team/lib", ("pull",))]
    assert [(a.name, a.actions) for a in claims.asked] == [("team/app", ("*", "pull"))]
