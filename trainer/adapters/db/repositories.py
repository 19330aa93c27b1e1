"""The SQLAlchemy implementation of the service layer's repositories (trainer.services.storage)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from trainer.adapters.db.rows import (
    as_assignment,
    as_drill,
    as_grade,
    as_override,
    as_session,
    as_team,
    as_turn,
    as_user,
)
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
    Outcome,
    PracticeSession,
    SessionQuery,
    SessionState,
    Team,
    Timing,
    Turn,
    TurnStatus,
    UserRecord,
)


class _Repo:
    def __init__(self, db: Session):
        self.db = db


class SqlTeams(_Repo):
    def add(self, team: Team) -> None:
        self.db.add(TeamRow(id=team.id, name=team.name, created_at=team.created_at))

    def get(self, team_id: str) -> Team | None:
        r = self.db.get(TeamRow, team_id)
        return as_team(r) if r else None

    def by_name(self, name: str) -> Team | None:
        r = self.db.scalar(select(TeamRow).where(TeamRow.name == name))
        return as_team(r) if r else None

    def all(self) -> list[Team]:
        return [as_team(r) for r in self.db.scalars(select(TeamRow).order_by(TeamRow.name))]


class SqlUsers(_Repo):
    def add(self, user: UserRecord) -> None:
        self.db.add(
            UserRow(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                team_id=user.team_id,
                password_hash=user.password_hash,
                active=user.active,
                created_at=user.created_at,
            )
        )

    def get(self, user_id: str, *, lock: bool = False) -> UserRecord | None:
        r = self.db.get(UserRow, user_id, populate_existing=lock, with_for_update=lock or None)
        return as_user(r) if r else None

    def by_username(self, username: str) -> UserRecord | None:
        r = self.db.scalar(select(UserRow).where(UserRow.username == username))
        return as_user(r) if r else None

    def find(self, team_id: str | None = None, role: str | None = None) -> list[UserRecord]:
        q = select(UserRow).order_by(UserRow.username)
        if team_id is not None:
            q = q.where(UserRow.team_id == team_id)
        if role is not None:
            q = q.where(UserRow.role == role)
        return [as_user(r) for r in self.db.scalars(q)]

    def get_many(self, user_ids: Iterable[str]) -> dict[str, UserRecord]:
        ids = [i for i in dict.fromkeys(user_ids) if isinstance(i, str)]
        if not ids:
            return {}
        return {r.id: as_user(r) for r in self.db.scalars(select(UserRow).where(UserRow.id.in_(ids)))}


class SqlSessions(_Repo):
    def add(self, session: PracticeSession) -> None:
        self.db.add(
            SessionRow(
                id=session.id,
                user_id=session.user_id,
                drill_id=session.drill_id,
                persona_id=session.persona_id,
                scenario=session.scenario,
                difficulty=session.difficulty,
                rubric_id=session.rubric_id,
                seed=session.seed,
                state=session.state,
                outcome=session.outcome,
                started_at=session.started_at,
                ended_at=session.ended_at,
            )
        )

    def get(self, session_id: str, *, lock: bool = False) -> PracticeSession | None:
        self.db.flush()
        r = self.db.get(SessionRow, session_id, populate_existing=True, with_for_update=lock or None)
        return as_session(r) if r else None

    def set_state(
        self, session_id: str, state: SessionState, outcome: Outcome | None, ended_at: dt.datetime | None
    ) -> None:
        self.db.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id)
            .values(state=state, outcome=outcome, ended_at=ended_at)
            .execution_options(synchronize_session=False)
        )

    def query(self, q: SessionQuery) -> list[PracticeSession]:
        stmt = select(SessionRow).order_by(SessionRow.started_at.desc(), SessionRow.id)
        if q.team_id is not None or q.user_roles is not None:
            stmt = stmt.join(UserRow, UserRow.id == SessionRow.user_id)
            if q.team_id is not None:
                stmt = stmt.where(UserRow.team_id == q.team_id)
            if q.user_roles is not None:
                stmt = stmt.where(UserRow.role.in_(q.user_roles))
        for column, value in (
            (SessionRow.user_id, q.user_id),
            (SessionRow.drill_id, q.drill_id),
            (SessionRow.persona_id, q.persona_id),
            (SessionRow.scenario, q.scenario),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if q.states is not None:
            stmt = stmt.where(SessionRow.state.in_(q.states))
        if q.started_from is not None:
            stmt = stmt.where(SessionRow.started_at >= q.started_from)
        if q.started_before is not None:
            stmt = stmt.where(SessionRow.started_at < q.started_before)
        if q.limit is not None:
            stmt = stmt.limit(q.limit)
        return [as_session(r) for r in self.db.scalars(stmt)]


class SqlTurns(_Repo):
    def add(self, turn: Turn) -> None:
        self.db.add(
            TurnRow(
                id=turn.id,
                session_id=turn.session_id,
                idx=turn.index,
                speaker=turn.speaker,
                text=turn.text,
                status=turn.status,
                first_token_s=turn.timing.first_token_s,
                total_s=turn.timing.total_s,
                coo_state=turn.coo_state,
                created_at=turn.created_at,
                completed_at=turn.completed_at,
            )
        )

    def for_session(self, session_id: str) -> list[Turn]:
        rows = self.db.scalars(select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx))
        return [as_turn(r) for r in rows]

    def last(self, session_id: str) -> Turn | None:
        r = self.db.scalar(
            select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx.desc()).limit(1)
        )
        return as_turn(r) if r else None

    def complete(
        self,
        turn_id: str,
        text: str,
        status: TurnStatus,
        timing: Timing,
        coo_state: dict[str, Any] | None,
        completed_at: dt.datetime,
    ) -> None:
        self.db.execute(
            update(TurnRow)
            .where(TurnRow.id == turn_id)
            .values(
                text=text,
                status=status,
                first_token_s=timing.first_token_s,
                total_s=timing.total_s,
                coo_state=coo_state,
                completed_at=completed_at,
            )
            .execution_options(synchronize_session=False)
        )

    def set_status(self, turn_id: str, status: TurnStatus) -> None:
        self.db.execute(
            update(TurnRow)
            .where(TurnRow.id == turn_id)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


class SqlGrades(_Repo):
    def add(self, grade: Grade) -> None:
        self.db.add(
            GradeRow(
                id=grade.id,
                session_id=grade.session_id,
                version=grade.version,
                status=grade.status,
                total=grade.total,
                max_total=grade.max_total,
                rubric_id=grade.rubric_id,
                rubric_version=grade.rubric_version,
                grader=grade.grader,
                model_id=grade.model_id,
                content_hashes=grade.content_hashes,
                document=grade.document,
                created_by=grade.created_by,
                created_at=grade.created_at,
            )
        )

    def versions(self, session_id: str) -> list[Grade]:
        rows = self.db.scalars(select(GradeRow).where(GradeRow.session_id == session_id).order_by(GradeRow.version))
        return [as_grade(r) for r in rows]

    def latest(self, session_ids: Sequence[str]) -> dict[str, Grade]:
        if not session_ids:
            return {}
        newest = (
            select(GradeRow.session_id, func.max(GradeRow.version).label("v"))
            .where(GradeRow.session_id.in_(list(session_ids)))
            .group_by(GradeRow.session_id)
            .subquery()
        )
        rows = self.db.scalars(
            select(GradeRow).join(
                newest, (GradeRow.session_id == newest.c.session_id) & (GradeRow.version == newest.c.v)
            )
        )
        return {r.session_id: as_grade(r) for r in rows}

    def get(self, grade_id: str) -> Grade | None:
        r = self.db.get(GradeRow, grade_id)
        return as_grade(r) if r else None

    def add_override(self, override: GradeOverride) -> None:
        self.db.add(
            OverrideRow(
                id=override.id,
                grade_id=override.grade_id,
                criterion_id=override.criterion_id,
                ai_score=override.ai_score,
                score=override.score,
                comment=override.comment,
                created_by=override.created_by,
                created_at=override.created_at,
            )
        )

    def overrides(self, grade_ids: Sequence[str]) -> list[GradeOverride]:
        if not grade_ids:
            return []
        rows = self.db.scalars(
            select(OverrideRow).where(OverrideRow.grade_id.in_(list(grade_ids))).order_by(OverrideRow.created_at)
        )
        return [as_override(r) for r in rows]


class SqlDrills(_Repo):
    def add(self, drill: Drill) -> None:
        self.db.add(
            DrillRow(
                id=drill.id,
                team_id=drill.team_id,
                created_by=drill.created_by,
                title=drill.title,
                persona_id=drill.persona_id,
                scenario=drill.scenario,
                difficulty=drill.difficulty,
                rubric_id=drill.rubric_id,
                instructions=drill.instructions,
                due_at=drill.due_at,
                pass_mark=drill.pass_mark,
                max_attempts=drill.max_attempts,
                created_at=drill.created_at,
            )
        )

    def get(self, drill_id: str) -> Drill | None:
        r = self.db.get(DrillRow, drill_id)
        return as_drill(r) if r else None

    def find(self, team_id: str | None = None) -> list[Drill]:
        q = select(DrillRow).order_by(DrillRow.created_at.desc())
        if team_id is not None:
            q = q.where(DrillRow.team_id == team_id)
        return [as_drill(r) for r in self.db.scalars(q)]

    def by_title(self, team_id: str, title: str) -> Drill | None:
        r = self.db.scalar(select(DrillRow).where(DrillRow.team_id == team_id, DrillRow.title == title).limit(1))
        return as_drill(r) if r else None

    def assign(self, assignment: Assignment) -> None:
        self.db.add(
            AssignmentRow(
                id=assignment.id,
                drill_id=assignment.drill_id,
                user_id=assignment.user_id,
                team_id=assignment.team_id,
                assigned_by=assignment.assigned_by,
                created_at=assignment.created_at,
            )
        )

    def assignments(self, drill_ids: Sequence[str] | None = None) -> list[Assignment]:
        q = select(AssignmentRow).order_by(AssignmentRow.created_at)
        if drill_ids is not None:
            q = q.where(AssignmentRow.drill_id.in_(list(drill_ids)))
        return [as_assignment(r) for r in self.db.scalars(q)]

    def assigned_to(self, user_id: str, team_id: str | None) -> list[Drill]:
        """Drills assigned to the user by name, or (when `team_id` is given) to that whole team."""
        target = AssignmentRow.user_id == user_id
        if team_id is not None:
            target = or_(target, AssignmentRow.team_id == team_id)
        ids = select(AssignmentRow.drill_id).where(target)
        q = select(DrillRow).where(DrillRow.id.in_(ids)).order_by(DrillRow.created_at)
        return [as_drill(r) for r in self.db.scalars(q)]
