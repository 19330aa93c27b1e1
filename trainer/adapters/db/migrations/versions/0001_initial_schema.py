"""Initial schema: teams, users, drills and assignments, practice sessions, turns, grades and overrides.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id(name: str = "id", nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=32), nullable=nullable)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "teams",
        _id(),
        sa.Column("name", sa.String(length=80), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        _id("team_id", nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.CheckConstraint("role IN ('rep', 'coach', 'manager', 'admin')", name=op.f("ck_users_role")),
        _fk("users", "team_id", "teams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_team_id"), "users", ["team_id"])
    op.create_table(
        "drills",
        _id(),
        _id("team_id"),
        _id("created_by"),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("persona_id", sa.String(length=64), nullable=False),
        sa.Column("scenario", sa.String(length=1), nullable=False),
        sa.Column("difficulty", sa.String(length=16), nullable=False),
        sa.Column("rubric_id", sa.String(length=64), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        _ts("due_at", nullable=True),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint("scenario IN ('A', 'B', 'C')", name=op.f("ck_drills_scenario")),
        sa.CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name=op.f("ck_drills_max_attempts")),
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name=op.f("ck_drills_pass_mark")),
        _fk("drills", "created_by", "users"),
        _fk("drills", "team_id", "teams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
    )
    op.create_index(op.f("ix_drills_team_id"), "drills", ["team_id"])
    op.create_table(
        "drill_assignments",
        _id(),
        _id("drill_id"),
        _id("user_id", nullable=True),
        _id("team_id", nullable=True),
        _id("assigned_by"),
        _ts("created_at"),
        sa.CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_drill_assignments_one_target")),
        _fk("drill_assignments", "assigned_by", "users"),
        _fk("drill_assignments", "drill_id", "drills", ondelete="CASCADE"),
        _fk("drill_assignments", "team_id", "teams"),
        _fk("drill_assignments", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_assignments")),
        sa.UniqueConstraint("drill_id", "team_id", name="uq_drill_assignments_drill_team"),
        sa.UniqueConstraint("drill_id", "user_id", name="uq_drill_assignments_drill_user"),
    )
    for column in ("drill_id", "team_id", "user_id"):
        op.create_index(op.f(f"ix_drill_assignments_{column}"), "drill_assignments", [column])
    op.create_table(
        "practice_sessions",
        _id(),
        _id("user_id"),
        _id("drill_id", nullable=True),
        sa.Column("persona_id", sa.String(length=64), nullable=False),
        sa.Column("scenario", sa.String(length=1), nullable=False),
        sa.Column("difficulty", sa.String(length=16), nullable=False),
        sa.Column("rubric_id", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        _ts("started_at"),
        _ts("ended_at", nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('working_session', 'clean_exit', 'deferred', 'hung_up', 'max_turns')",
            name=op.f("ck_practice_sessions_outcome"),
        ),
        sa.CheckConstraint("scenario IN ('A', 'B', 'C')", name=op.f("ck_practice_sessions_scenario")),
        sa.CheckConstraint("state IN ('active', 'ended', 'abandoned')", name=op.f("ck_practice_sessions_state")),
        _fk("practice_sessions", "drill_id", "drills"),
        _fk("practice_sessions", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_sessions")),
    )
    op.create_index(op.f("ix_practice_sessions_drill_id"), "practice_sessions", ["drill_id"])
    op.create_index(op.f("ix_practice_sessions_started_at"), "practice_sessions", ["started_at"])
    op.create_index("ix_practice_sessions_user_started", "practice_sessions", ["user_id", "started_at"])
    op.create_table(
        "turns",
        _id(),
        _id("session_id"),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_token_s", sa.Float(), nullable=True),
        sa.Column("total_s", sa.Float(), nullable=True),
        sa.Column("coo_state", JSON_DOC, nullable=True),
        _ts("created_at"),
        _ts("completed_at", nullable=True),
        sa.CheckConstraint("speaker IN ('rep', 'coo')", name=op.f("ck_turns_speaker")),
        sa.CheckConstraint("status IN ('complete', 'interrupted', 'failed', 'pending')", name=op.f("ck_turns_status")),
        _fk("turns", "session_id", "practice_sessions", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turns")),
        sa.UniqueConstraint("session_id", "idx", name="uq_turns_session_idx"),
    )
    op.create_table(
        "grades",
        _id(),
        _id("session_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("max_total", sa.Float(), nullable=True),
        sa.Column("rubric_id", sa.String(length=64), nullable=False),
        sa.Column("rubric_version", sa.String(length=32), nullable=False),
        sa.Column("grader", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=255), nullable=False),
        sa.Column("content_hashes", JSON_DOC, nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        _id("created_by", nullable=True),
        _ts("created_at"),
        sa.CheckConstraint("status IN ('ok', 'degraded', 'failed')", name=op.f("ck_grades_status")),
        _fk("grades", "created_by", "users"),
        _fk("grades", "session_id", "practice_sessions", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grades")),
        sa.UniqueConstraint("session_id", "version", name="uq_grades_session_version"),
    )
    op.create_table(
        "grade_overrides",
        _id(),
        _id("grade_id"),
        sa.Column("criterion_id", sa.String(length=64), nullable=False),
        sa.Column("ai_score", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _id("created_by"),
        _ts("created_at"),
        sa.CheckConstraint("score >= 0", name=op.f("ck_grade_overrides_score")),
        _fk("grade_overrides", "created_by", "users"),
        _fk("grade_overrides", "grade_id", "grades", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_overrides")),
    )
    op.create_index(op.f("ix_grade_overrides_grade_id"), "grade_overrides", ["grade_id"])
    _immutable("grades")
    _immutable("grade_overrides")


def _immutable(table: str) -> None:
    """Stored grades and overrides are never edited: the database itself refuses an UPDATE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION trainer_refuse_update() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% rows are immutable: add a new version instead', TG_TABLE_NAME; END; $$ "
            "LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION trainer_refuse_update()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable: add a new version instead'); END"
        )


def downgrade() -> None:
    for table in ("grade_overrides", "grades"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable" + (f" ON {table}" if _pg() else ""))
    if _pg():
        op.execute("DROP FUNCTION IF EXISTS trainer_refuse_update()")
    for table in (
        "grade_overrides",
        "grades",
        "turns",
        "practice_sessions",
        "drill_assignments",
        "drills",
        "users",
        "teams",
    ):
        op.drop_table(table)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"
