"""Harbor's role table, scope parsing and grants (pure), and secrets at rest."""

from __future__ import annotations

import pytest

from tenlayer.registry.access import (
    ANONYMOUS,
    Principal,
    ProjectFacts,
    Role,
    Scope,
    grant,
    parse_scopes,
    project_of,
)
from tenlayer.registry.passwords import hash_secret, verify_secret
from tenlayer.registry.tokens import AccessEntry

USER = Principal("u", "user")
ADMIN = Principal("a", "user", is_admin=True)
ROBOT = Principal("robot$r", "robot")
ALL = Scope("repository", "team/app", ("pull", "push", "delete"))


@pytest.mark.parametrize(("role", "actions"), [
    (Role.PROJECT_ADMIN, ("pull", "push", "delete")),
    (Role.MAINTAINER, ("pull", "push", "delete")),
    (Role.DEVELOPER, ("pull", "push")),
    (Role.GUEST, ("pull",)),
    (Role.LIMITED_GUEST, ("pull",)),
])
def test_harbor_role_table(role: Role, actions: tuple[str, ...]) -> None:
    private = ProjectFacts(exists=True, public=False, role=role)
    assert grant(ALL, USER, private) == AccessEntry("repository", "team/app", actions)


def test_no_role_public_and_private() -> None:
    assert grant(ALL, USER, ProjectFacts(True, False, None)) is None
    assert grant(ALL, USER, ProjectFacts(True, True, None)) == AccessEntry(
        "repository", "team/app", ("pull",))
    assert grant(ALL, ANONYMOUS, ProjectFacts(True, True, None)) == AccessEntry(
        "repository", "team/app", ("pull",))
    assert grant(ALL, ANONYMOUS, ProjectFacts(True, False, None)) is None


def test_admin_robot_and_unknown_project() -> None:
    assert grant(ALL, ADMIN, ProjectFacts(True, False, None)) == AccessEntry(
        "repository", "team/app", ("pull", "push", "delete"))
    assert grant(ALL, ADMIN, ProjectFacts(False, False, None)) is None
    assert grant(ALL, ADMIN, None) is None
    robot = ProjectFacts(True, True, None, frozenset({"push"}))
    # a robot has exactly its permissions: not even pull on a public project
    assert grant(ALL, ROBOT, robot) == AccessEntry("repository", "team/app", ("push",))


def test_catalog_and_other_types() -> None:
    catalog = Scope("registry", "catalog", ("*",))
    assert grant(catalog, ADMIN, None) == AccessEntry("registry", "catalog", ("*",))
    assert grant(catalog, USER, None) is None
    assert grant(Scope("registry", "other", ("*",)), ADMIN, None) is None
    assert grant(Scope("plugin", "x", ("*",)), ADMIN, None) is None


def test_parse_scopes() -> None:
    assert parse_scopes(["repository:team/app:pull,push", "repository(plugin):a/b:pull"]) == [
        Scope("repository", "team/app", ("pull", "push")),
        Scope("repository", "a/b", ("pull",)),
    ]
    assert parse_scopes(["repository:a/b:pull registry:catalog:*"]) == [
        Scope("repository", "a/b", ("pull",)), Scope("registry", "catalog", ("*",))]
    assert parse_scopes(["repository:x", "garbage", "::", "repository::pull"]) == []
    assert parse_scopes(["repository:localhost:5000/a/b:pull"])[0].name == "localhost:5000/a/b"


def test_project_of() -> None:
    assert project_of("team/app") == "team"
    assert project_of("team/sub/app") == "team"
    assert project_of("app") is None
    assert project_of("Team/app") is None
    assert project_of("team/../app") is None
    assert project_of("localhost:5000/a/b") is None


def test_secrets_hashed_with_scrypt() -> None:
    stored = hash_secret("hunter22")
    assert stored.startswith("scrypt$16384$8$1$") and "hunter22" not in stored
    assert stored != hash_secret("hunter22")  # salted
    assert verify_secret("hunter22", stored)
    assert not verify_secret("hunter23", stored)
    assert not verify_secret("hunter22", None)  # unknown account: runs the KDF, refuses
    assert not verify_secret("x", "md5$abc")
