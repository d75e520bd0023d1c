"""The registry's tables (SQLAlchemy 2; SQLite by default, PostgreSQL works the same)."""

from __future__ import annotations

import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "registry_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class GroupRow(Base):
    __tablename__ = "registry_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class GroupUserRow(Base):
    __tablename__ = "registry_group_users"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("registry_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("registry_users.id", ondelete="CASCADE"), primary_key=True
    )


class ProjectRow(Base):
    __tablename__ = "registry_projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # settings of the pull gate (stored now, enforced by the gate)
    severity_threshold: Mapped[str | None] = mapped_column(String(16), nullable=True)
    minimum_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    require_signatures: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    cve_allowlist: Mapped[list[str]] = mapped_column(JSON, default=list)
    immutable_tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class MemberRow(Base):
    __tablename__ = "registry_members"
    __table_args__ = (
        UniqueConstraint("project_id", "user_id"),
        UniqueConstraint("project_id", "group_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("registry_projects.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_users.id", ondelete="CASCADE"), nullable=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_groups.id", ondelete="CASCADE"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(32))


class RobotRow(Base):
    __tablename__ = "registry_robots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    description: Mapped[str] = mapped_column(String(1024), default="")


class RobotPermissionRow(Base):
    __tablename__ = "registry_robot_permissions"
    robot_id: Mapped[int] = mapped_column(
        ForeignKey("registry_robots.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("registry_projects.id", ondelete="CASCADE"), primary_key=True
    )
    actions: Mapped[list[str]] = mapped_column(JSON)


class RefreshTokenRow(Base):
    __tablename__ = "registry_refresh_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class ImageRow(Base):
    """One manifest pushed to a repository, and what its last scan found."""

    __tablename__ = "registry_images"
    __table_args__ = (UniqueConstraint("repository", "digest"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(160))
    tag: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The tag of the last push of this digest, if it was pushed by tag."""
    pushed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    """`pending` (queued), `scanned`, `failed`, or `signature` (a cosign signature
    manifest: simple-signing layers, nothing to scan or run)."""
    scanned_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    worst_severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    findings: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    manifests: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Digests of the manifests the scan read (an index and the platform manifest it chose)."""
    error: Mapped[str] = mapped_column(String(2048), default="")


class TagRow(Base):
    """Which digest a tag names now, as the registry's push notifications said."""

    __tablename__ = "registry_tags"
    repository: Mapped[str] = mapped_column(String(255), primary_key=True)
    tag: Mapped[str] = mapped_column(String(128), primary_key=True)
    digest: Mapped[str] = mapped_column(String(160))
    pushed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Who did what (pull, push, scan, token), whether it was allowed, and why."""

    __tablename__ = "registry_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    identity: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))
    repository: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str] = mapped_column(String(255))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(2048))
    client: Mapped[str] = mapped_column(String(64), default="")
