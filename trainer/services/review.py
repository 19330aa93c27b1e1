"""Team review for coaches, managers and admins: team sessions with filters, per-criterion trends, CSV export.

A coach sees the team's reps; a manager sees everyone in the team; an admin any team. Scores are the effective ones
(latest grade version, manager overrides applied).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from trainer.errors import InputError
from trainer.services.access import require_actor, require_team_role
from trainer.services.grades import GradeView, grade_view
from trainer.services.records import SESSION_STATES, Actor, PracticeSession, SessionQuery, utcnow
from trainer.services.storage import Store

REVIEWERS = ("coach", "manager")  # and admins
MAX_ROWS = 5000


@dataclass(frozen=True)
class SessionFilter:
    rep_id: str | None = None
    persona_id: str | None = None
    scenario: str | None = None
    started_from: dt.date | dt.datetime | None = None  # inclusive
    started_to: dt.date | dt.datetime | None = None  # inclusive (a date means that whole day)
    states: tuple[str, ...] | None = None  # active / ended / abandoned


@dataclass(frozen=True)
class SessionRow:
    session: PracticeSession
    username: str
    display_name: str
    drill_title: str | None
    grade: GradeView | None  # latest version, overrides applied


@dataclass(frozen=True)
class TrendPoint:
    period_start: dt.date
    mean: float
    count: int


def _as_utc(value: dt.date | dt.datetime, end_of_day: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    day = value + dt.timedelta(days=1) if end_of_day else value
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def _csv_cell(value: object) -> object:
    """Keep a spreadsheet from running a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class ReviewService:
    def __init__(self, store: Store, clock: Callable = utcnow):
        self.store = store
        self.clock = clock

    def team_sessions(
        self, actor: Actor | None, team_id: str, filters: SessionFilter | None = None
    ) -> list[SessionRow]:
        """The team's sessions, newest first, with their latest grades."""
        actor = require_actor(actor)
        require_team_role(actor, team_id, REVIEWERS, "review the team's sessions")
        f = filters or SessionFilter()
        if f.states and any(s not in SESSION_STATES for s in f.states):
            raise InputError(f"unknown session state in {f.states}; valid states: {', '.join(SESSION_STATES)}")
        start = _as_utc(f.started_from, end_of_day=False) if f.started_from else None
        before = _as_utc(f.started_to, end_of_day=True) if f.started_to else None
        if start and before and start >= before:
            raise InputError("the date range ends before it starts")
        query = SessionQuery(
            user_id=f.rep_id,
            team_id=team_id,
            user_roles=("rep",) if actor.role == "coach" else None,
            persona_id=f.persona_id,
            scenario=f.scenario,
            states=f.states,
            started_from=start,
            started_before=before,
            limit=MAX_ROWS,
        )
        with self.store.unit_of_work() as uow:
            sessions = uow.sessions.query(query)
            users = uow.users.get_many({s.user_id for s in sessions})
            grades = uow.grades.latest([s.id for s in sessions])
            overrides = uow.grades.overrides([g.id for g in grades.values()])
            drills = {d.id: d for d in uow.drills.find(team_id=team_id)}
        rows = []
        for s in sessions:
            user = users[s.user_id]
            grade = grades.get(s.id)
            drill = drills.get(s.drill_id) if s.drill_id else None
            rows.append(
                SessionRow(
                    session=s,
                    username=user.username,
                    display_name=user.display_name,
                    drill_title=drill.title if drill else None,
                    grade=grade_view(grade, overrides) if grade else None,
                )
            )
        return rows

    def criterion_trends(
        self,
        actor: Actor | None,
        team_id: str,
        filters: SessionFilter | None = None,
        period: Literal["day", "week", "month"] = "week",
    ) -> dict[str, list[TrendPoint]]:
        """criterion id -> mean effective score per period (by the session's start), oldest first."""
        if period not in ("day", "week", "month"):
            raise InputError(f"a trend period is day, week or month, not {period!r}")
        buckets: dict[str, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(list))
        for row in self.team_sessions(actor, team_id, filters):
            if row.grade is None or row.grade.grade.status == "failed":
                continue
            day = row.session.started_at.astimezone(dt.UTC).date()
            if period == "week":
                day -= dt.timedelta(days=day.weekday())
            elif period == "month":
                day = day.replace(day=1)
            for cid, score in row.grade.scores.items():
                buckets[cid][day].append(score)
        return {
            cid: [TrendPoint(d, round(sum(v) / len(v), 3), len(v)) for d, v in sorted(per.items())]
            for cid, per in buckets.items()
        }

    def export_csv(self, actor: Actor | None, team_id: str, filters: SessionFilter | None = None) -> str:
        """One row per session: who, what, when, outcome, grade, and each criterion's effective and AI score."""
        rows = self.team_sessions(actor, team_id, filters)
        criteria: dict[str, None] = {}
        for r in rows:
            if r.grade:
                criteria.update(dict.fromkeys(r.grade.grade.criterion_scores()))
        head = [
            "session_id",
            "username",
            "display_name",
            "drill",
            "persona",
            "scenario",
            "difficulty",
            "state",
            "outcome",
            "started_at",
            "ended_at",
            "grade_version",
            "grade_status",
            "grader",
            "total",
            "max_total",
            "percent",
        ]
        for cid in criteria:
            head += [cid, f"{cid}_ai", f"{cid}_override_comment"]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(head)
        for r in rows:
            s, g = r.session, r.grade
            line: list[object] = [
                s.id,
                r.username,
                r.display_name,
                r.drill_title or "",
                s.persona_id,
                s.scenario,
                s.difficulty,
                s.state,
                s.outcome or "",
                s.started_at.isoformat(timespec="seconds"),
                s.ended_at.isoformat(timespec="seconds") if s.ended_at else "",
                g.grade.version if g else "",
                g.grade.status if g else "",
                g.grade.grader if g else "",
                "" if not g or g.total is None else g.total,
                "" if not g or g.grade.max_total is None else g.grade.max_total,
                "" if not g or g.percent is None else g.percent,
            ]
            ai = g.grade.criterion_scores() if g else {}
            for cid in criteria:
                o = g.overrides.get(cid) if g else None
                line += [
                    g.scores.get(cid, "") if g else "",
                    ai[cid][0] if cid in ai else "",
                    o.comment if o else "",
                ]
            writer.writerow([_csv_cell(v) for v in line])
        return out.getvalue()
