"""The repository layer over the registry's tables: identities, projects, members, robots.

Every method opens its own transaction and returns frozen records, never ORM rows. Errors
are `NotFound`, `Conflict` and `Invalid` (all `BadInput`: one line, exit 2 in the CLI; the
HTTP API maps them to 404, 409 and 400). Secrets go in and are stored hashed; the only
secret that comes out is a new robot's, once.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tenlayer.errors import BadInput
from tenlayer.model import Severity
from tenlayer.registry.access import (
    PROJECT_NAME,
    REPOSITORY_ACTIONS,
    Principal,
    ProjectFacts,
    Role,
    best_role,
)
from tenlayer.registry.models import (
    AuditRow,
    Base,
    GroupRow,
    GroupUserRow,
    ImageRow,
    MemberRow,
    ProjectRow,
    RefreshTokenRow,
    RobotPermissionRow,
    RobotRow,
    TagRow,
    UserRow,
)
from tenlayer.registry.passwords import hash_secret, lookup_hash, new_secret, verify_secret

ROBOT_PREFIX = "robot$"
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
GRADES = ("A", "B", "C", "D", "E", "F")
MIN_PASSWORD = 8


class NotFound(BadInput):
    pass


class Conflict(BadInput):
    pass


class Invalid(BadInput):
    pass


class Expired(Exception):
    """The robot's secret was right, but it expired (at `at`)."""

    def __init__(self, account: str, at: datetime.datetime) -> None:
        super().__init__(f"{account}: the robot's secret expired at "
                         f"{at.isoformat(timespec='seconds')}")
        self.account = account
        self.at = at


def _utc(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class User:
    name: str
    is_admin: bool
    groups: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "admin": self.is_admin, "groups": list(self.groups)}


@dataclass(frozen=True)
class Group:
    name: str
    users: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "users": list(self.users)}


@dataclass(frozen=True)
class ProjectSettings:
    """The pull gate's rules for one project (stored here, enforced by the gate)."""

    severity_threshold: str | None = None
    minimum_grade: str | None = None
    require_signatures: bool = False
    trusted_keys: tuple[str, ...] = ()
    cve_allowlist: tuple[str, ...] = ()
    immutable_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    name: str
    public: bool
    settings: ProjectSettings = field(default_factory=ProjectSettings)

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        return {
            "name": self.name, "public": self.public,
            "severity_threshold": s.severity_threshold, "minimum_grade": s.minimum_grade,
            "require_signatures": s.require_signatures, "trusted_keys": list(s.trusted_keys),
            "cve_allowlist": list(s.cve_allowlist), "immutable_tags": list(s.immutable_tags),
        }


@dataclass(frozen=True)
class Member:
    project: str
    kind: str  # "user" or "group"
    name: str
    role: Role

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "kind": self.kind, "name": self.name,
                "role": self.role.value}


@dataclass(frozen=True)
class Robot:
    name: str
    expires_at: datetime.datetime | None
    permissions: tuple[tuple[str, tuple[str, ...]], ...]
    description: str = ""

    @property
    def account(self) -> str:
        return ROBOT_PREFIX + self.name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.account, "description": self.description,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "permissions": [{"project": p, "actions": list(a)} for p, a in self.permissions],
        }


@dataclass(frozen=True)
class NewRobot:
    robot: Robot
    secret: str


def _check_account_name(name: str) -> None:
    if not ACCOUNT_NAME.match(name):
        raise Invalid(f"invalid name {name!r}: letters, digits, '.', '_', '@', '-' (max 128)")


def _check_project_name(name: str) -> None:
    if len(name) > 255 or not PROJECT_NAME.match(name):
        raise Invalid(
            f"invalid project name {name!r}: lower-case letters and digits, "
            "separated by '.', '_', '__' or '-'"
        )


def validate_settings(settings: ProjectSettings) -> ProjectSettings:
    """Normalised settings, or `Invalid` naming the bad one."""
    from tenlayer.signing.keys import load_public_key

    threshold = settings.severity_threshold
    if threshold is not None:
        try:
            threshold = Severity.parse(threshold).name.lower()
        except ValueError as error:
            raise Invalid(f"severity_threshold: {error}") from None
    grade = settings.minimum_grade
    if grade is not None:
        grade = grade.upper()
        if grade not in GRADES:
            raise Invalid(f"minimum_grade: {settings.minimum_grade!r} is not one of A-F")
    for number, pem in enumerate(settings.trusted_keys):
        try:
            load_public_key(pem.encode(), context=f"trusted_keys[{number}]")
        except BadInput as error:
            raise Invalid(str(error)) from None
    for cve in settings.cve_allowlist:
        if not re.match(r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$", cve):
            raise Invalid(f"cve_allowlist: {cve!r} is not a vulnerability id (CVE-2024-1234)")
    for pattern in settings.immutable_tags:
        if not pattern or len(pattern) > 128 or not re.match(r"^[A-Za-z0-9_.*?\[\]-]+$", pattern):
            raise Invalid(f"immutable_tags: {pattern!r} is not a tag pattern (glob of a tag)")
        fnmatch.translate(pattern)
    if settings.require_signatures and not settings.trusted_keys:
        raise Invalid("require_signatures needs at least one trusted key")
    return ProjectSettings(
        threshold, grade, settings.require_signatures, tuple(settings.trusted_keys),
        tuple(dict.fromkeys(c.upper() for c in settings.cve_allowlist)),
        tuple(dict.fromkeys(settings.immutable_tags)),
    )


def database_engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


class VerifiedCache:
    """Recently verified credentials, so a client asking for a token per request does not
    pay the KDF each time (scrypt is ~50 ms of CPU by design).

    Keyed by HMAC-SHA256(per-process random key, account NUL secret); the value is the stored
    hash that verified it, so a changed password, a removed account or a rotated secret no
    longer matches (the row is read on every login). Successes only; entries live `ttl`
    seconds; at most `size` entries. Never persisted.
    """

    def __init__(self, ttl: float = 60.0, size: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.ttl = ttl
        self.size = size

    def _digest(self, account: str, secret: str) -> bytes:
        message = account.encode("utf-8") + b"\0" + secret.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def verify(self, account: str, secret: str, stored: str | None) -> bool:
        if stored is None:
            verify_secret(secret, None)  # as long as a wrong password takes
            return False
        digest = self._digest(account, secret)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and hit[1] > now and hmac.compare_digest(hit[0], stored):
            return True
        if not verify_secret(secret, stored):
            return False
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
                if len(self._entries) >= self.size:
                    self._entries.clear()
            self._entries[digest] = (stored, now + self.ttl)
        return True


class Store:
    def __init__(self, url: str) -> None:
        self.engine = database_engine(url)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.verified = VerifiedCache()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except IntegrityError:
                session.rollback()
                raise Conflict("conflicts with an existing entry") from None
            except BaseException:
                session.rollback()
                raise

    # -- users -----------------------------------------------------------------------

    def _user(self, session: Session, name: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise NotFound(f"no user {name!r}")
        return row

    def add_user(self, name: str, password: str, *, admin: bool = False) -> User:
        _check_account_name(name)
        if len(password) < MIN_PASSWORD:
            raise Invalid(f"the password is too short (at least {MIN_PASSWORD} characters)")
        hashed = hash_secret(password)
        with self._session() as session:
            if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise Conflict(f"user {name!r} already exists")
            session.add(UserRow(name=name, password_hash=hashed, is_admin=admin,
                                created_at=datetime.datetime.now(datetime.UTC)))
        return User(name, admin)

    def list_users(self) -> list[User]:
        with self._session() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name)).all()
            groups: dict[int, list[str]] = {}
            for group_name, user_id in session.execute(
                select(GroupRow.name, GroupUserRow.user_id).join(
                    GroupUserRow, GroupUserRow.group_id == GroupRow.id
                ).order_by(GroupRow.name)
            ):
                groups.setdefault(user_id, []).append(group_name)
            return [User(r.name, r.is_admin, tuple(groups.get(r.id, []))) for r in rows]

    def get_user(self, name: str) -> User:
        with self._session() as session:
            row = self._user(session, name)
            return User(row.name, row.is_admin)

    def remove_user(self, name: str) -> None:
        with self._session() as session:
            row = self._user(session, name)
            session.execute(delete(MemberRow).where(MemberRow.user_id == row.id))
            session.execute(delete(GroupUserRow).where(GroupUserRow.user_id == row.id))
            session.execute(delete(RefreshTokenRow).where(
                RefreshTokenRow.subject == name, RefreshTokenRow.kind == "user"))
            session.delete(row)

    def update_user(
        self, name: str, *, password: str | None = None, admin: bool | None = None
    ) -> User:
        """A new password (refresh tokens are revoked) or administrator flag."""
        if password is not None and len(password) < MIN_PASSWORD:
            raise Invalid(f"the password is too short (at least {MIN_PASSWORD} characters)")
        hashed = hash_secret(password) if password is not None else None
        with self._session() as session:
            row = self._user(session, name)
            if admin is False and row.is_admin:
                others = session.scalars(
                    select(UserRow.id).where(UserRow.is_admin, UserRow.id != row.id)
                ).first()
                if others is None:
                    raise Conflict("the last system administrator stays one")
            if admin is not None:
                row.is_admin = admin
            if hashed is not None:
                row.password_hash = hashed
                session.execute(delete(RefreshTokenRow).where(
                    RefreshTokenRow.subject == name, RefreshTokenRow.kind == "user"))
            return User(row.name, row.is_admin)

    def count_admins(self) -> int:
        with self._session() as session:
            return len(session.scalars(select(UserRow.id).where(UserRow.is_admin)).all())

    # -- authentication ----------------------------------------------------------------

    def authenticate(
        self, account: str, password: str, *, now: datetime.datetime
    ) -> Principal | None:
        """The principal when the password (or a robot's secret, unexpired) matches; a
        robot's right secret past its expiry raises Expired (so the robot's owner learns
        why, which a guess cannot: the secret had to be right)."""
        with self._session() as session:
            if account.startswith(ROBOT_PREFIX):
                robot = session.scalar(
                    select(RobotRow).where(RobotRow.name == account[len(ROBOT_PREFIX):])
                )
                stored = robot.secret_hash if robot else None
                if not self.verified.verify(account, password, stored) or robot is None:
                    return None
                expires = _utc(robot.expires_at)
                if expires is not None and expires <= now:
                    raise Expired(account, expires)
                return Principal(account, "robot")
            user = session.scalar(select(UserRow).where(UserRow.name == account))
            stored = user.password_hash if user else None
            if not self.verified.verify(account, password, stored) or not user:
                return None
            return Principal(user.name, "user", user.is_admin)

    def principal(self, account: str, *, now: datetime.datetime) -> Principal | None:
        """The principal named `account` if it still exists (and, a robot, is unexpired)."""
        with self._session() as session:
            if account.startswith(ROBOT_PREFIX):
                robot = session.scalar(
                    select(RobotRow).where(RobotRow.name == account[len(ROBOT_PREFIX):])
                )
                expires = _utc(robot.expires_at) if robot else None
                if robot is None or (expires is not None and expires <= now):
                    return None
                return Principal(account, "robot")
            user = session.scalar(select(UserRow).where(UserRow.name == account))
            return Principal(user.name, "user", user.is_admin) if user else None

    def facts(self, principal: Principal, project: str) -> ProjectFacts:
        """What `allowed_actions` needs to know about `principal` in `project`."""
        with self._session() as session:
            row = session.scalar(select(ProjectRow).where(ProjectRow.name == project))
            if row is None:
                return ProjectFacts(exists=False, public=False, role=None)
            if principal.kind == "robot":
                actions = session.scalar(
                    select(RobotPermissionRow.actions)
                    .join(RobotRow, RobotRow.id == RobotPermissionRow.robot_id)
                    .where(RobotRow.name == principal.name[len(ROBOT_PREFIX):],
                           RobotPermissionRow.project_id == row.id)
                )
                return ProjectFacts(True, row.public, None, frozenset(actions or ()))
            role = None
            if principal.kind == "user":
                role = self._role(session, principal.name, row.id)
            return ProjectFacts(True, row.public, role)

    def _role(self, session: Session, user: str, project_id: int) -> Role | None:
        user_id = session.scalar(select(UserRow.id).where(UserRow.name == user))
        if user_id is None:
            return None
        groups = select(GroupUserRow.group_id).where(GroupUserRow.user_id == user_id)
        roles = session.scalars(
            select(MemberRow.role).where(
                MemberRow.project_id == project_id,
                (MemberRow.user_id == user_id) | MemberRow.group_id.in_(groups),
            )
        ).all()
        return best_role([Role(role) for role in roles])

    def role(self, user: str, project: str) -> Role | None:
        with self._session() as session:
            row = self._project(session, project)
            return self._role(session, user, row.id)

    # -- refresh tokens (OAuth2) -------------------------------------------------------

    def new_refresh_token(
        self, principal: Principal, *, now: datetime.datetime, lifetime: datetime.timedelta
    ) -> str:
        token = new_secret()
        with self._session() as session:
            session.execute(delete(RefreshTokenRow).where(RefreshTokenRow.expires_at <= now))
            session.add(RefreshTokenRow(token_hash=lookup_hash(token), subject=principal.name,
                                        kind=principal.kind, expires_at=now + lifetime))
        return token

    def redeem_refresh_token(self, token: str, *, now: datetime.datetime) -> Principal | None:
        with self._session() as session:
            row = session.get(RefreshTokenRow, lookup_hash(token))
            expires = _utc(row.expires_at) if row else None
            if row is None or expires is None or expires <= now:
                return None
            subject = row.subject
        return self.principal(subject, now=now)

    # -- groups ------------------------------------------------------------------------

    def _group(self, session: Session, name: str) -> GroupRow:
        row = session.scalar(select(GroupRow).where(GroupRow.name == name))
        if row is None:
            raise NotFound(f"no group {name!r}")
        return row

    def add_group(self, name: str, users: list[str] | None = None) -> Group:
        _check_account_name(name)
        with self._session() as session:
            if session.scalar(select(GroupRow.id).where(GroupRow.name == name)) is not None:
                raise Conflict(f"group {name!r} already exists")
            group = GroupRow(name=name)
            session.add(group)
            session.flush()
            for user in dict.fromkeys(users or []):
                session.add(GroupUserRow(group_id=group.id, user_id=self._user(session, user).id))
        return Group(name, tuple(sorted(set(users or []))))

    def add_group_user(self, group: str, user: str) -> None:
        with self._session() as session:
            group_row, user_row = self._group(session, group), self._user(session, user)
            if session.get(GroupUserRow, (group_row.id, user_row.id)) is not None:
                raise Conflict(f"user {user!r} is already in group {group!r}")
            session.add(GroupUserRow(group_id=group_row.id, user_id=user_row.id))

    def remove_group_user(self, group: str, user: str) -> None:
        with self._session() as session:
            group_row, user_row = self._group(session, group), self._user(session, user)
            row = session.get(GroupUserRow, (group_row.id, user_row.id))
            if row is None:
                raise NotFound(f"user {user!r} is not in group {group!r}")
            session.delete(row)

    def list_groups(self) -> list[Group]:
        with self._session() as session:
            groups = session.scalars(select(GroupRow).order_by(GroupRow.name)).all()
            result = []
            for group in groups:
                users = session.scalars(
                    select(UserRow.name).join(GroupUserRow, GroupUserRow.user_id == UserRow.id)
                    .where(GroupUserRow.group_id == group.id).order_by(UserRow.name)
                ).all()
                result.append(Group(group.name, tuple(users)))
            return result

    def remove_group(self, name: str) -> None:
        with self._session() as session:
            row = self._group(session, name)
            session.execute(delete(MemberRow).where(MemberRow.group_id == row.id))
            session.execute(delete(GroupUserRow).where(GroupUserRow.group_id == row.id))
            session.delete(row)

    # -- projects ----------------------------------------------------------------------

    def _project(self, session: Session, name: str) -> ProjectRow:
        row = session.scalar(select(ProjectRow).where(ProjectRow.name == name))
        if row is None:
            raise NotFound(f"no project {name!r}")
        return row

    @staticmethod
    def _project_record(row: ProjectRow) -> Project:
        return Project(row.name, row.public, ProjectSettings(
            row.severity_threshold, row.minimum_grade, row.require_signatures,
            tuple(row.trusted_keys or ()), tuple(row.cve_allowlist or ()),
            tuple(row.immutable_tags or ()),
        ))

    def add_project(
        self, name: str, *, public: bool = False, settings: ProjectSettings | None = None
    ) -> Project:
        _check_project_name(name)
        checked = validate_settings(settings or ProjectSettings())
        with self._session() as session:
            if session.scalar(select(ProjectRow.id).where(ProjectRow.name == name)):
                raise Conflict(f"project {name!r} already exists")
            row = ProjectRow(name=name, public=public)
            self._apply(row, checked)
            session.add(row)
        return Project(name, public, checked)

    @staticmethod
    def _apply(row: ProjectRow, settings: ProjectSettings) -> None:
        row.severity_threshold = settings.severity_threshold
        row.minimum_grade = settings.minimum_grade
        row.require_signatures = settings.require_signatures
        row.trusted_keys = list(settings.trusted_keys)
        row.cve_allowlist = list(settings.cve_allowlist)
        row.immutable_tags = list(settings.immutable_tags)

    def update_project(
        self, name: str, *, public: bool | None = None, settings: ProjectSettings | None = None
    ) -> Project:
        checked = validate_settings(settings) if settings is not None else None
        with self._session() as session:
            row = self._project(session, name)
            if public is not None:
                row.public = public
            if checked is not None:
                self._apply(row, checked)
            return self._project_record(row)

    def get_project(self, name: str) -> Project:
        with self._session() as session:
            return self._project_record(self._project(session, name))

    def list_projects(self) -> list[Project]:
        with self._session() as session:
            rows = session.scalars(select(ProjectRow).order_by(ProjectRow.name)).all()
            return [self._project_record(row) for row in rows]

    def remove_project(self, name: str) -> None:
        with self._session() as session:
            row = self._project(session, name)
            session.execute(delete(MemberRow).where(MemberRow.project_id == row.id))
            session.execute(
                delete(RobotPermissionRow).where(RobotPermissionRow.project_id == row.id)
            )
            session.delete(row)

    # -- members -----------------------------------------------------------------------

    def _principal_column(self, session: Session, kind: str, name: str) -> dict[str, int]:
        if kind == "user":
            return {"user_id": self._user(session, name).id}
        if kind == "group":
            return {"group_id": self._group(session, name).id}
        raise Invalid(f"a member is a user or a group, not {kind!r}")

    def add_member(self, project: str, kind: str, name: str, role: Role) -> Member:
        with self._session() as session:
            row = self._project(session, project)
            column = self._principal_column(session, kind, name)
            existing = session.scalar(select(MemberRow).filter_by(project_id=row.id, **column))
            if existing is not None:
                raise Conflict(f"{kind} {name!r} is already a member of {project!r}")
            session.add(MemberRow(project_id=row.id, role=role.value, **column))
        return Member(project, kind, name, role)

    def list_members(self, project: str) -> list[Member]:
        with self._session() as session:
            row = self._project(session, project)
            members = []
            for user, role in session.execute(
                select(UserRow.name, MemberRow.role)
                .join(MemberRow, MemberRow.user_id == UserRow.id)
                .where(MemberRow.project_id == row.id)
            ):
                members.append(Member(project, "user", user, Role(role)))
            for group, role in session.execute(
                select(GroupRow.name, MemberRow.role)
                .join(MemberRow, MemberRow.group_id == GroupRow.id)
                .where(MemberRow.project_id == row.id)
            ):
                members.append(Member(project, "group", group, Role(role)))
            return sorted(members, key=lambda m: (m.kind, m.name))

    def remove_member(self, project: str, kind: str, name: str) -> None:
        with self._session() as session:
            row = self._project(session, project)
            column = self._principal_column(session, kind, name)
            existing = session.scalar(select(MemberRow).filter_by(project_id=row.id, **column))
            if existing is None:
                raise NotFound(f"{kind} {name!r} is not a member of {project!r}")
            session.delete(existing)

    # -- robots ------------------------------------------------------------------------

    def add_robot(
        self,
        name: str,
        permissions: dict[str, list[str]],
        *,
        expires_at: datetime.datetime | None,
        description: str = "",
    ) -> NewRobot:
        if name.startswith(ROBOT_PREFIX):
            name = name[len(ROBOT_PREFIX):]
        _check_account_name(name)
        if not permissions:
            raise Invalid("a robot needs at least one project permission")
        for project, actions in permissions.items():
            unknown = set(actions) - REPOSITORY_ACTIONS
            if unknown or not actions:
                raise Invalid(
                    f"robot permission on {project!r}: actions are pull, push, delete"
                )
        secret = new_secret()
        with self._session() as session:
            if session.scalar(select(RobotRow.id).where(RobotRow.name == name)) is not None:
                raise Conflict(f"robot {ROBOT_PREFIX}{name} already exists")
            robot = RobotRow(name=name, secret_hash=hash_secret(secret), expires_at=expires_at,
                             description=description)
            session.add(robot)
            session.flush()
            for project, actions in sorted(permissions.items()):
                project_row = self._project(session, project)
                ordered = sorted(set(actions), key=["pull", "push", "delete"].index)
                session.add(RobotPermissionRow(robot_id=robot.id, project_id=project_row.id,
                                               actions=ordered))
        record = Robot(name, expires_at, tuple(
            (p, tuple(sorted(set(a), key=["pull", "push", "delete"].index)))
            for p, a in sorted(permissions.items())
        ), description)
        return NewRobot(record, secret)

    def list_robots(self) -> list[Robot]:
        with self._session() as session:
            robots = session.scalars(select(RobotRow).order_by(RobotRow.name)).all()
            result = []
            for robot in robots:
                permissions = session.execute(
                    select(ProjectRow.name, RobotPermissionRow.actions)
                    .join(RobotPermissionRow, RobotPermissionRow.project_id == ProjectRow.id)
                    .where(RobotPermissionRow.robot_id == robot.id).order_by(ProjectRow.name)
                ).all()
                result.append(Robot(robot.name, _utc(robot.expires_at), tuple(
                    (project, tuple(actions)) for project, actions in permissions
                ), robot.description))
            return result

    def remove_robot(self, name: str) -> None:
        if name.startswith(ROBOT_PREFIX):
            name = name[len(ROBOT_PREFIX):]
        with self._session() as session:
            row = session.scalar(select(RobotRow).where(RobotRow.name == name))
            if row is None:
                raise NotFound(f"no robot {ROBOT_PREFIX}{name}")
            session.execute(
                delete(RobotPermissionRow).where(RobotPermissionRow.robot_id == row.id)
            )
            session.execute(delete(RefreshTokenRow).where(
                RefreshTokenRow.subject == ROBOT_PREFIX + name))
            session.delete(row)

    # -- images, scans and tags (scan on push) -----------------------------------------

    def record_push(
        self, repository: str, digest: str, tag: str | None, *, now: datetime.datetime
    ) -> bool:
        """Note a pushed manifest (and the tag it was pushed as); True when the digest is
        new to the repository (so it needs a scan), False when it was seen before."""
        with self._session() as session:
            row = session.scalar(select(ImageRow).where(
                ImageRow.repository == repository, ImageRow.digest == digest))
            new = row is None
            if row is None:
                row = ImageRow(repository=repository, digest=digest, tag=tag, pushed_at=now,
                               status="pending", findings=[], manifests=[], error="")
                session.add(row)
            else:
                row.pushed_at = now
                if tag is not None:
                    row.tag = tag
            if tag is not None:
                existing = session.get(TagRow, (repository, tag))
                if existing is None:
                    session.add(TagRow(repository=repository, tag=tag, digest=digest,
                                       pushed_at=now))
                else:
                    existing.digest, existing.pushed_at = digest, now
        return new

    def record_scan(self, repository: str, digest: str, outcome: ScanOutcome) -> None:
        """Store a scan's result (or its failure) for a pushed manifest."""
        with self._session() as session:
            row = session.scalar(select(ImageRow).where(
                ImageRow.repository == repository, ImageRow.digest == digest))
            if row is None:
                row = ImageRow(repository=repository, digest=digest, tag=None,
                               pushed_at=outcome.at, findings=[], manifests=[])
                session.add(row)
            row.status = ("failed" if outcome.error else
                          "signature" if outcome.signature else "scanned")
            row.scanned_at = outcome.at
            row.grade = outcome.grade
            row.worst_severity = outcome.worst_severity
            row.findings = [f.to_json() for f in outcome.findings]
            row.manifests = list(outcome.manifests)
            row.error = outcome.error[:2000]

    def record_delete(self, repository: str, *, digest: str | None, tag: str | None) -> bool:
        """Forget a deleted manifest (its scan and every tag naming it) or a deleted tag,
        as distribution's delete notifications say; True when something was known."""
        with self._session() as session:
            statements = []
            if digest is not None:
                statements += [
                    delete(ImageRow).where(ImageRow.repository == repository,
                                           ImageRow.digest == digest),
                    delete(TagRow).where(TagRow.repository == repository,
                                         TagRow.digest == digest),
                ]
            if tag is not None:
                statements.append(delete(TagRow).where(TagRow.repository == repository,
                                                        TagRow.tag == tag))
            forgotten = 0
            for statement in statements:
                result = session.execute(statement)
                forgotten += result.rowcount if isinstance(result, CursorResult) else 0
            return forgotten > 0

    def tag_digest(self, repository: str, tag: str) -> str | None:
        with self._session() as session:
            row = session.get(TagRow, (repository, tag))
            return row.digest if row else None

    def image(self, repository: str, digest: str) -> StoredImage | None:
        """The stored image whose manifest (or the platform manifest its scan chose) is
        `digest`."""
        with self._session() as session:
            row = session.scalar(select(ImageRow).where(
                ImageRow.repository == repository, ImageRow.digest == digest))
            if row is None:  # only the small manifests column is read for the search
                found = next((
                    image_id for image_id, manifests in session.execute(
                        select(ImageRow.id, ImageRow.manifests).where(
                            ImageRow.repository == repository, ImageRow.status == "scanned"))
                    if digest in (manifests or ())
                ), None)
                row = session.get(ImageRow, found) if found is not None else None
            if row is None:
                return None
            tags = session.scalars(select(TagRow.tag).where(
                TagRow.repository == row.repository, TagRow.digest == row.digest)).all()
            return _stored_image(row, tuple(sorted(tags)))

    def list_images(self) -> list[StoredImage]:
        with self._session() as session:
            rows = session.scalars(
                select(ImageRow).order_by(ImageRow.repository, ImageRow.digest)).all()
            tags: dict[tuple[str, str], list[str]] = {}
            for repository, tag, digest in session.execute(
                    select(TagRow.repository, TagRow.tag, TagRow.digest).order_by(TagRow.tag)):
                tags.setdefault((repository, digest), []).append(tag)
            return [_stored_image(row, tuple(tags.get((row.repository, row.digest), ())))
                    for row in rows]

    # -- audit -------------------------------------------------------------------------

    def audit(self, entry: AuditEntry) -> None:
        self.audit_many([entry])

    def audit_many(self, entries: list[AuditEntry]) -> None:
        """Write audit records in one transaction."""
        with self._session() as session:
            session.add_all([AuditRow(
                at=entry.at, identity=entry.identity[:255], action=entry.action,
                repository=entry.repository[:255], reference=entry.reference[:255],
                allowed=entry.allowed, reason=entry.reason[:2000], client=entry.client[:64],
            ) for entry in entries])

    def audit_log(self, *, limit: int = 1000) -> list[AuditEntry]:
        """The newest `limit` entries, oldest first (by time: the token service, the front
        and the notifications write in batches of their own, so ids are not in order)."""
        with self._session() as session:
            rows = session.scalars(select(AuditRow).order_by(
                AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)).all()
            return [
                AuditEntry(_utc(r.at) or r.at, r.identity, r.action, r.repository,
                           r.reference, r.allowed, r.reason, r.client)
                for r in reversed(rows)
            ]


@dataclass(frozen=True)
class StoredFinding:
    """One vulnerability of a scanned image, as the gate needs it."""

    id: str
    aliases: tuple[str, ...]
    package: str
    version: str
    severity: str
    """critical, high, medium, low, info or unknown."""
    status: str
    fixed_version: str | None
    published: str
    modified: str
    platform: str = ""
    """For a multi-platform image, the platform whose image has it (`linux/arm64`)."""

    @property
    def where(self) -> str:
        """The package, and the platform when there is one: `xz-utils, linux/arm64`."""
        return f"{self.package}, {self.platform}" if self.platform else self.package

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "id": self.id, "aliases": list(self.aliases), "package": self.package,
            "version": self.version, "severity": self.severity, "status": self.status,
            "fixed_version": self.fixed_version, "published": self.published,
            "modified": self.modified,
        }
        if self.platform:
            document["platform"] = self.platform
        return document

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredFinding:
        return cls(
            str(data["id"]), tuple(str(a) for a in data.get("aliases", ())),
            str(data.get("package", "")), str(data.get("version", "")),
            str(data.get("severity", "unknown")), str(data.get("status", "")),
            data.get("fixed_version"), str(data.get("published", "")),
            str(data.get("modified", "")), str(data.get("platform", "")),
        )


@dataclass(frozen=True)
class ScanOutcome:
    at: datetime.datetime
    grade: str | None
    worst_severity: str | None
    findings: tuple[StoredFinding, ...] = ()
    manifests: tuple[str, ...] = ()
    error: str = ""
    signature: bool = False
    """A cosign signature manifest (simple-signing layers only): nothing to scan or run."""
    transient: bool = False
    """The scan failed for a reason that may pass (the registry unreachable): retried."""


@dataclass(frozen=True)
class StoredImage:
    repository: str
    digest: str
    tag: str | None
    pushed_at: datetime.datetime
    status: str
    scanned_at: datetime.datetime | None
    grade: str | None
    worst_severity: str | None
    findings: tuple[StoredFinding, ...]
    manifests: tuple[str, ...]
    error: str
    tags: tuple[str, ...] = ()
    """Every tag that names this digest now (`tag` is the one it was last pushed as)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository, "digest": self.digest, "tag": self.tag,
            "tags": list(self.tags),
            "pushed_at": self.pushed_at.isoformat(), "status": self.status,
            "scanned_at": self.scanned_at.isoformat() if self.scanned_at else None,
            "grade": self.grade, "worst_severity": self.worst_severity,
            "findings": [f.to_json() for f in self.findings],
            "manifests": list(self.manifests), "error": self.error,
        }


def _stored_image(row: ImageRow, tags: tuple[str, ...]) -> StoredImage:
    return StoredImage(
        row.repository, row.digest, row.tag, _utc(row.pushed_at) or row.pushed_at, row.status,
        _utc(row.scanned_at), row.grade, row.worst_severity,
        tuple(StoredFinding.from_json(f) for f in row.findings or ()),
        tuple(row.manifests or ()), row.error or "", tags,
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime.datetime
    identity: str
    """The account, or "" for anonymous."""
    action: str
    """token, pull, push, delete, scan."""
    repository: str
    reference: str
    allowed: bool
    reason: str
    client: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "identity": self.identity, "action": self.action,
            "repository": self.repository, "reference": self.reference,
            "allowed": self.allowed, "reason": self.reason, "client": self.client,
        }
