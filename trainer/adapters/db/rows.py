"""Table rows (trainer.adapters.db.tables) as the service layer's records (trainer.services.records)."""

from __future__ import annotations

from typing import Any

from trainer.adapters.db.tables import (
    AssignmentRow,
    DrillRow,
    GradeRow,
    OverrideRow,
    SessionRow,
    TeamRow,
    TurnRow,
    UserRow,
)
from trainer.services.records import (
    Assignment,
    Drill,
    Grade,
    GradeOverride,
    PracticeSession,
    Team,
    Timing,
    Turn,
    UserRecord,
)


def as_team(r: TeamRow) -> Team:
    return Team(r.id, r.name, r.created_at)


def as_user(r: UserRow) -> UserRecord:
    role: Any = r.role
    return UserRecord(r.id, r.username, r.display_name, role, r.team_id, r.password_hash, r.created_at, r.active)


def as_session(r: SessionRow) -> PracticeSession:
    return PracticeSession(
        id=r.id,
        user_id=r.user_id,
        drill_id=r.drill_id,
        persona_id=r.persona_id,
        scenario=r.scenario,
        difficulty=r.difficulty,
        rubric_id=r.rubric_id,
        seed=r.seed,
        state=r.state,  # type: ignore[arg-type]
        outcome=r.outcome,  # type: ignore[arg-type]
        started_at=r.started_at,
        ended_at=r.ended_at,
    )


def as_turn(r: TurnRow) -> Turn:
    return Turn(
        id=r.id,
        session_id=r.session_id,
        index=r.idx,
        speaker=r.speaker,  # type: ignore[arg-type]
        text=r.text,
        status=r.status,  # type: ignore[arg-type]
        created_at=r.created_at,
        timing=Timing(r.first_token_s, r.total_s),
        coo_state=r.coo_state,
        completed_at=r.completed_at,
    )


def as_grade(r: GradeRow) -> Grade:
    return Grade(
        id=r.id,
        session_id=r.session_id,
        version=r.version,
        status=r.status,  # type: ignore[arg-type]
        total=r.total,
        max_total=r.max_total,
        rubric_id=r.rubric_id,
        rubric_version=r.rubric_version,
        grader=r.grader,
        model_id=r.model_id,
        content_hashes=dict(r.content_hashes or {}),
        document=r.document,
        created_by=r.created_by,
        created_at=r.created_at,
    )


def as_override(r: OverrideRow) -> GradeOverride:
    return GradeOverride(r.id, r.grade_id, r.criterion_id, r.ai_score, r.score, r.comment, r.created_by, r.created_at)


def as_drill(r: DrillRow) -> Drill:
    return Drill(
        id=r.id,
        team_id=r.team_id,
        created_by=r.created_by,
        title=r.title,
        persona_id=r.persona_id,
        scenario=r.scenario,
        difficulty=r.difficulty,
        rubric_id=r.rubric_id,
        instructions=r.instructions,
        due_at=r.due_at,
        pass_mark=r.pass_mark,
        max_attempts=r.max_attempts,
        created_at=r.created_at,
    )


def as_assignment(r: AssignmentRow) -> Assignment:
    return Assignment(r.id, r.drill_id, r.user_id, r.team_id, r.assigned_by, r.created_at)
