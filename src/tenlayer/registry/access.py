"""Who may do what: Harbor's project roles, scopes, and the granted actions (pure).

Harbor's "user permissions by role": limited guest and guest pull; developer pulls and
pushes; maintainer and project admin pull, push and delete. System administrators may do
everything on every existing project and list the catalog. Anonymous clients and every
signed-in user may pull from public projects. Robots have the actions they were given.
A repository's project is its first path component (`team/app` -> `team`); a name without
a project, an unknown project or an invalid name is granted nothing.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from tenlayer.registry.tokens import AccessEntry

PULL, PUSH, DELETE = "pull", "push", "delete"
REPOSITORY_ACTIONS = frozenset({PULL, PUSH, DELETE})

# distribution's reference grammar: path components separated by "/"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY_NAME = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
PROJECT_NAME = re.compile(rf"^{_COMPONENT}$")


class Role(enum.Enum):
    PROJECT_ADMIN = "projectAdmin"
    MAINTAINER = "maintainer"
    DEVELOPER = "developer"
    GUEST = "guest"
    LIMITED_GUEST = "limitedGuest"

    @property
    def actions(self) -> frozenset[str]:
        return ROLE_ACTIONS[self]

    @property
    def rank(self) -> int:
        return list(Role).index(self)


ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    Role.PROJECT_ADMIN: frozenset({PULL, PUSH, DELETE}),
    Role.MAINTAINER: frozenset({PULL, PUSH, DELETE}),
    Role.DEVELOPER: frozenset({PULL, PUSH}),
    Role.GUEST: frozenset({PULL}),
    Role.LIMITED_GUEST: frozenset({PULL}),
}


def best_role(roles: list[Role]) -> Role | None:
    return min(roles, key=lambda role: role.rank) if roles else None


@dataclass(frozen=True)
class Principal:
    """Who asks: a user, a robot, or nobody (`kind == "anonymous"`, name "")."""

    name: str
    kind: str
    is_admin: bool = False

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"


ANONYMOUS = Principal("", "anonymous")


@dataclass(frozen=True)
class Scope:
    type: str
    name: str
    actions: tuple[str, ...]


def parse_scopes(values: list[str]) -> list[Scope]:
    """`type[(class)]:name:action,action` scopes; several may share one value, space-separated.

    Unparseable scopes are dropped (they are granted nothing, as an unknown repository)."""
    scopes = []
    for value in values:
        for text in value.split():
            kind, _, rest = text.partition(":")
            name, _, actions = rest.rpartition(":")
            kind = kind.split("(", 1)[0]
            if not kind or not name or not actions:
                continue
            scopes.append(Scope(kind, name, tuple(a for a in actions.split(",") if a)))
    return scopes


def project_of(repository: str) -> str | None:
    if not REPOSITORY_NAME.match(repository) or "/" not in repository:
        return None
    return repository.split("/", 1)[0]


@dataclass(frozen=True)
class ProjectFacts:
    """What the store knows about the principal and one project."""

    exists: bool
    public: bool
    role: Role | None
    robot_actions: frozenset[str] = frozenset()


def allowed_actions(principal: Principal, facts: ProjectFacts) -> frozenset[str]:
    if not facts.exists:
        return frozenset()
    if principal.kind == "robot":
        return facts.robot_actions & REPOSITORY_ACTIONS
    if principal.is_admin:
        return REPOSITORY_ACTIONS
    allowed: set[str] = set(facts.role.actions) if facts.role else set()
    if facts.public:
        allowed.add(PULL)
    return frozenset(allowed)


def grant(scope: Scope, principal: Principal, facts: ProjectFacts | None) -> AccessEntry | None:
    """The intersection of what `scope` asks and what is allowed; None when nothing is."""
    if scope.type == "registry":
        if scope.name == "catalog" and principal.is_admin and "*" in scope.actions:
            return AccessEntry("registry", "catalog", ("*",))
        return None
    if scope.type != "repository" or facts is None:
        return None
    allowed = allowed_actions(principal, facts)
    granted = [action for action in scope.actions if action in allowed]
    if "*" in scope.actions and allowed >= REPOSITORY_ACTIONS:
        granted.append("*")
    granted = list(dict.fromkeys(granted))
    return AccessEntry("repository", scope.name, tuple(granted)) if granted else None
