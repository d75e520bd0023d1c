"""The administration API in process: who may call what, strict JSON, error statuses."""

from __future__ import annotations

from typing import Any

from tenlayer.registry.access import Role
from tests.registry.conftest import PASSWORD, SERVICE, App

ROOT = ("root", PASSWORD)
ALICE = ("alice", PASSWORD)
PEM_KEY = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbsQgHAqUyNjfbldYZN2jwuu8q8y4IfqXXhHh7uX7KEUVvYFc2x+R3W9d
2xkzqwVSUEhj5Hx0FG93aCWxbW3Yyw==
-----END PUBLIC KEY-----
"""


def call(app: App, method: str, path: str, auth: Any = ROOT, body: Any = None) -> Any:
    return app.client.request(method, f"/api/v1{path}", auth=auth, json=body)


def test_authentication_required(app: App) -> None:
    answer = app.client.get("/api/v1/users")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert answer.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert call(app, "GET", "/users", auth=("root", "nope")).status_code == 401
    bad = app.client.get("/api/v1/users", headers={"Authorization": "Bearer x.y.z"})
    assert bad.status_code == 401


def test_bearer_token_of_the_service(app: App) -> None:
    token = app.client.get("/token", params={"service": SERVICE}, auth=ROOT).json()["token"]
    answer = app.client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert [u["name"] for u in answer.json()] == ["alice", "bob", "root"]
    anonymous = app.client.get("/token", params={"service": SERVICE}).json()["token"]
    refused = app.client.get("/api/v1/users", headers={"Authorization": f"Bearer {anonymous}"})
    assert refused.status_code == 401
    app.clock.advance(301)
    expired = app.client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]["message"]


def test_users_admin_only_and_no_secrets(app: App) -> None:
    assert call(app, "GET", "/users", auth=ALICE).status_code == 403
    made = call(app, "POST", "/users", body={"name": "carol", "password": "long enough pw"})
    assert made.status_code == 201
    assert made.json() == {"name": "carol", "admin": False, "groups": []}
    listing = call(app, "GET", "/users").text
    assert "long enough" not in listing and "scrypt" not in listing
    assert call(app, "POST", "/users", body={"name": "carol", "password": "x" * 9}
                ).status_code == 409
    assert call(app, "DELETE", "/users/carol").status_code == 204
    assert call(app, "DELETE", "/users/carol").status_code == 404
    assert call(app, "DELETE", "/users/root").status_code == 409  # the last administrator


def test_strict_json(app: App) -> None:
    cases: list[Any] = [
        {"name": "x"},  # missing password
        {"name": "x", "password": "long enough", "admin": "yes"},  # wrong type
        {"name": "x", "password": "long enough", "extra": 1},  # unknown field
        {"name": "x y", "password": "long enough"},  # bad name
        {"name": "x", "password": "short"},  # too short
        ["not", "an", "object"],
        {"name": 5, "password": "long enough"},
    ]
    for body in cases:
        answer = call(app, "POST", "/users", body=body)
        assert answer.status_code == 400, body
        assert answer.json()["errors"][0]["message"]
    raw = app.client.post("/api/v1/users", auth=ROOT, content=b"{not json",
                          headers={"Content-Type": "application/json"})
    assert raw.status_code == 400
    deep = app.client.post("/api/v1/users", auth=ROOT, content=b"[" * 30000 + b"]" * 30000,
                           headers={"Content-Type": "application/json"})
    assert deep.status_code == 400  # not a RecursionError and a 500
    assert deep.json()["errors"][0]["message"] == "the body is nested too deeply"
    assert raw.json()["errors"][0]["code"] == "INVALID_REQUEST"  # distribution's case
    twice = app.client.post("/api/v1/users", auth=ROOT, headers={
        "Content-Type": "application/json"},
        content=b'{"name": "mallory", "password": "long enough", "admin": false, '
                b'"admin": true}')
    assert twice.status_code == 400
    assert twice.json()["errors"][0]["message"] == "the body repeats the key 'admin'"
    assert "mallory" not in [u["name"] for u in call(app, "GET", "/users").json()]
    form = app.client.post("/api/v1/users", auth=ROOT, content=b"a=b",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    huge = app.client.post("/api/v1/users", auth=ROOT, content=b"[" + b"1," * 40000 + b"1]",
                           headers={"Content-Type": "application/json"})
    assert huge.status_code == 413


def test_projects_and_settings(app: App) -> None:
    made = call(app, "POST", "/projects", body={
        "name": "secure", "severity_threshold": "HIGH", "minimum_grade": "c",
        "require_signatures": True, "trusted_keys": [PEM_KEY],
        "cve_allowlist": ["cve-2024-1234"], "immutable_tags": ["v*"],
    })
    assert made.status_code == 201, made.text
    assert made.json() == {
        "name": "secure", "public": False, "severity_threshold": "high", "minimum_grade": "C",
        "require_signatures": True, "trusted_keys": [PEM_KEY],
        "cve_allowlist": ["CVE-2024-1234"], "immutable_tags": ["v*"],
    }
    for bad in ({"severity_threshold": "urgent"}, {"minimum_grade": "Z"},
                {"trusted_keys": ["not a key"]}, {"require_signatures": True},
                {"cve_allowlist": ["nope"]}, {"immutable_tags": ["a/b"]}, {"public": "no"}):
        answer = call(app, "POST", "/projects", body={"name": "p2", **bad})
        assert answer.status_code == 400, bad
    assert call(app, "POST", "/projects", body={"name": "Upper"}).status_code == 400
    assert call(app, "POST", "/projects", body={"name": "secure"}).status_code == 409
    # a project admin may change settings; a developer may not; others cannot see it
    app.store.add_member("secure", "user", "alice", Role.PROJECT_ADMIN)
    app.store.add_member("secure", "user", "bob", Role.DEVELOPER)
    changed = call(app, "PATCH", "/projects/secure", auth=ALICE,
                   body={"public": True, "cve_allowlist": []})
    assert changed.status_code == 200
    assert changed.json()["public"] is True and changed.json()["cve_allowlist"] == []
    assert changed.json()["minimum_grade"] == "C"  # untouched
    bob = ("bob", PASSWORD)
    assert call(app, "PATCH", "/projects/secure", auth=bob, body={}).status_code == 403
    assert call(app, "PATCH", "/projects/ghost", auth=ALICE, body={}).status_code == 404
    assert call(app, "DELETE", "/projects/secure", auth=ALICE).status_code == 403
    assert call(app, "GET", "/projects/team", auth=bob).status_code == 403
    assert call(app, "GET", "/projects/pub", auth=bob).status_code == 200
    assert [p["name"] for p in call(app, "GET", "/projects", auth=bob).json()] == [
        "pub", "secure"]
    assert call(app, "DELETE", "/projects/secure").status_code == 204


def test_members(app: App) -> None:
    app.store.add_member("team", "user", "alice", Role.PROJECT_ADMIN)
    added = call(app, "POST", "/projects/team/members", auth=ALICE,
                 body={"user": "bob", "role": "guest"})
    assert added.status_code == 201
    assert added.json() == {"project": "team", "kind": "user", "name": "bob", "role": "guest"}
    assert call(app, "POST", "/projects/team/members", auth=ALICE,
                body={"user": "bob", "role": "guest"}).status_code == 409
    for bad in ({"user": "bob", "role": "owner"}, {"role": "guest"},
                {"user": "bob", "group": "g", "role": "guest"}):
        assert call(app, "POST", "/projects/team/members", auth=ALICE, body=bad
                    ).status_code == 400
    assert call(app, "POST", "/projects/team/members", auth=ALICE,
                body={"user": "ghost", "role": "guest"}).status_code == 404
    call(app, "POST", "/groups", body={"name": "devs", "users": ["bob"]})
    assert call(app, "POST", "/projects/team/members", auth=ALICE,
                body={"group": "devs", "role": "developer"}).status_code == 201
    listing = call(app, "GET", "/projects/team/members", auth=ALICE).json()
    assert [(m["kind"], m["name"], m["role"]) for m in listing] == [
        ("group", "devs", "developer"), ("user", "alice", "projectAdmin"),
        ("user", "bob", "guest")]
    assert app.store.role("bob", "team") is Role.DEVELOPER  # the better of user and group
    bob = ("bob", PASSWORD)
    assert call(app, "GET", "/projects/team/members", auth=bob).status_code == 403
    assert call(app, "DELETE", "/projects/team/members/user/bob", auth=ALICE).status_code == 204
    assert call(app, "DELETE", "/projects/team/members/user/bob", auth=ALICE).status_code == 404
    assert call(app, "DELETE", "/projects/team/members/robot/x", auth=ALICE).status_code == 404


def test_groups(app: App) -> None:
    assert call(app, "POST", "/groups", body={"name": "ops", "users": ["ghost"]}
                ).status_code == 404
    assert call(app, "POST", "/groups", body={"name": "ops"}).status_code == 201
    assert call(app, "POST", "/groups/ops/users", body={"name": "alice"}).status_code == 204
    assert call(app, "POST", "/groups/ops/users", body={"name": "alice"}).status_code == 409
    assert call(app, "GET", "/groups").json() == [{"name": "ops", "users": ["alice"]}]
    assert call(app, "DELETE", "/groups/ops/users/alice").status_code == 204
    assert call(app, "DELETE", "/groups/ops").status_code == 204
    assert call(app, "GET", "/groups", auth=ALICE).status_code == 403


def test_robots(app: App) -> None:
    made = call(app, "POST", "/robots", body={
        "name": "ci", "permissions": [{"project": "team", "actions": ["pull", "push"]}],
        "expires_in": 3600, "description": "CI pipeline"})
    assert made.status_code == 201, made.text
    body = made.json()
    secret = body.pop("secret")
    assert len(secret) >= 40
    assert body == {"name": "robot$ci", "description": "CI pipeline",
                    "expires_at": "2026-11-26T13:00:00+00:00",
                    "permissions": [{"project": "team", "actions": ["pull", "push"]}]}
    assert secret not in call(app, "GET", "/robots").text
    token = app.client.get("/token", params={"service": SERVICE},
                           auth=("robot$ci", secret)).json()["token"]
    robot_call = app.client.get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
    assert robot_call.status_code == 403  # robots administer nothing
    for bad in (
        {"name": "r", "permissions": []},
        {"name": "r", "permissions": [{"project": "team", "actions": ["admin"]}]},
        {"name": "r", "permissions": [{"project": "team"}]},
        {"name": "r", "permissions": [{"project": "team", "actions": ["pull"]}],
         "expires_in": -5},
        {"name": "r", "permissions": [{"project": "team", "actions": ["pull"]}],
         "expires_at": "tomorrow"},
        {"name": "r", "permissions": "team:pull"},
    ):
        assert call(app, "POST", "/robots", body=bad).status_code == 400, bad
    assert call(app, "POST", "/robots", body={
        "name": "r", "permissions": [{"project": "ghost", "actions": ["pull"]}]}
    ).status_code == 404
    assert call(app, "POST", "/robots", auth=ALICE, body={}).status_code == 403
    assert call(app, "DELETE", "/robots/robot$ci").status_code == 204
    answer = app.client.get("/token", params={"service": SERVICE}, auth=("robot$ci", secret))
    assert answer.status_code == 401


def test_change_password_and_admin_flag(app: App) -> None:
    refresh = app.client.get("/token", params={"offline_token": "true"},
                             auth=ALICE).json()["refresh_token"]
    changed = call(app, "PATCH", "/users/alice", auth=ALICE, body={"password": "new password!"})
    assert changed.status_code == 200
    assert call(app, "GET", "/projects", auth=ALICE).status_code == 401
    assert call(app, "GET", "/projects", auth=("alice", "new password!")).status_code == 200
    renewed = app.client.post("/token", data={"grant_type": "refresh_token",
                                              "refresh_token": refresh, "client_id": "x"})
    assert renewed.status_code == 401  # a new password revokes refresh tokens
    alice = ("alice", "new password!")
    assert call(app, "PATCH", "/users/alice", auth=alice, body={"admin": True}
                ).status_code == 403
    assert call(app, "PATCH", "/users/bob", auth=alice, body={"password": "x" * 12}
                ).status_code == 403
    assert call(app, "PATCH", "/users/alice", body={"admin": True}).json()["admin"] is True
    assert call(app, "PATCH", "/users/alice", body={"password": "short"}).status_code == 400
    assert call(app, "PATCH", "/users/root", body={"admin": False}).status_code == 200
    assert call(app, "PATCH", "/users/alice", auth=alice, body={"admin": False}
                ).status_code == 409  # the last administrator
    assert call(app, "PATCH", "/users/ghost", auth=alice, body={}).status_code == 404


def test_unknown_paths_methods_and_numbers_answer_json(app: App) -> None:
    missing = app.client.get("/api/v1/nothing-here", auth=ROOT)
    assert (missing.status_code, missing.json()["errors"][0]) == (
        404, {"code": "NOT_FOUND", "message": "no such endpoint: /api/v1/nothing-here"})
    wrong = app.client.put("/token")
    assert (wrong.status_code, wrong.json()["errors"][0]) == (
        405, {"code": "METHOD_NOT_ALLOWED", "message": "PUT is not allowed on /token"})
    for content, message in ((b'{"name": NaN}', "the body has NaN, which is not JSON"),
                             (b'{"name": -Infinity}', "the body has -Infinity, which is not JSON"),
                             (b'{"name": ' + b"9" * 5000 + b"}",
                              "the body has a number too long to read")):
        answer = app.client.post("/api/v1/users", auth=ROOT, content=content,
                                 headers={"Content-Type": "application/json"})
        assert (answer.status_code, answer.json()["errors"][0]["message"]) == (400, message)
