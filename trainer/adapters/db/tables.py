"""SQLAlchemy 2 tables. The Alembic migrations in `migrations/versions` create exactly these (a test compares them).

Times are stored in UTC (timezone-aware on PostgreSQL; SQLite keeps the UTC wall time and we re-attach UTC).
JSON documents (COO state, grades, content hashes) are JSON on SQLite and JSONB on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(32)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TeamRow(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ("rep", "coach", "manager", "admin")), name="role"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str | None] = mapped_column(ID, ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DrillRow(Base):
    __tablename__ = "drills"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark"),
        CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name="max_attempts"),
        CheckConstraint(_in("scenario", ("A", "B", "C")), name="scenario"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(ID, ForeignKey("teams.id"), index=True)
    created_by: Mapped[str] = mapped_column(ID, ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120))
    persona_id: Mapped[str] = mapped_column(String(64))
    scenario: Mapped[str] = mapped_column(String(1))
    difficulty: Mapped[str] = mapped_column(String(16))
    rubric_id: Mapped[str] = mapped_column(String(64))
    instructions: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    pass_mark: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AssignmentRow(Base):
    __tablename__ = "drill_assignments"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="one_target"),
        UniqueConstraint("drill_id", "user_id", name="uq_drill_assignments_drill_user"),
        UniqueConstraint("drill_id", "team_id", name="uq_drill_assignments_drill_team"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    drill_id: Mapped[str] = mapped_column(ID, ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ID, ForeignKey("teams.id"), index=True)
    assigned_by: Mapped[str] = mapped_column(ID, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SessionRow(Base):
    __tablename__ = "practice_sessions"
    __table_args__ = (
        CheckConstraint(_in("state", ("active", "ended", "abandoned")), name="state"),
        CheckConstraint(
            "outcome IS NULL OR "
            + _in("outcome", ("working_session", "clean_exit", "deferred", "hung_up", "max_turns")),
            name="outcome",
        ),
        CheckConstraint(_in("scenario", ("A", "B", "C")), name="scenario"),
        Index("ix_practice_sessions_user_started", "user_id", "started_at"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id"))
    drill_id: Mapped[str | None] = mapped_column(ID, ForeignKey("drills.id"), index=True)
    persona_id: Mapped[str] = mapped_column(String(64))
    scenario: Mapped[str] = mapped_column(String(1))
    difficulty: Mapped[str] = mapped_column(String(16))
    rubric_id: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("session_id", "idx", name="uq_turns_session_idx"),
        CheckConstraint(_in("speaker", ("rep", "coo")), name="speaker"),
        CheckConstraint(_in("status", ("complete", "interrupted", "failed", "pending")), name="status"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(ID, ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    first_token_s: Mapped[float | None] = mapped_column(Float)
    total_s: Mapped[float | None] = mapped_column(Float)
    coo_state: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class GradeRow(Base):
    """Immutable: a database trigger refuses UPDATE (see the first migration); a regrade inserts a new version."""

    __tablename__ = "grades"
    __table_args__ = (
        UniqueConstraint("session_id", "version", name="uq_grades_session_version"),
        CheckConstraint(_in("status", ("ok", "degraded", "failed")), name="status"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(ID, ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[float | None] = mapped_column(Float)
    max_total: Mapped[float | None] = mapped_column(Float)
    rubric_id: Mapped[str] = mapped_column(String(64))
    rubric_version: Mapped[str] = mapped_column(String(32))
    grader: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(255))
    content_hashes: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OverrideRow(Base):
    __tablename__ = "grade_overrides"
    __table_args__ = (CheckConstraint("score >= 0", name="score"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    grade_id: Mapped[str] = mapped_column(ID, ForeignKey("grades.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(64))
    ai_score: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ID, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
