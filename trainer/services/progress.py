"""Pure calculations on stored rows: a grade's effective scores (manager overrides applied) and a rep's progress on
a drill. No storage here, so the rules are easy to read and test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from trainer.services.records import Drill, DrillStatus, Grade, GradeOverride, PracticeSession


def latest_overrides(overrides: Iterable[GradeOverride]) -> dict[tuple[str, str], GradeOverride]:
    """(grade id, criterion id) -> the override that counts (the newest)."""
    out: dict[tuple[str, str], GradeOverride] = {}
    for o in sorted(overrides, key=lambda o: o.created_at):
        out[(o.grade_id, o.criterion_id)] = o
    return out


def effective_scores(grade: Grade, overrides: dict[tuple[str, str], GradeOverride]) -> dict[str, int]:
    """criterion id -> score, a manager's override replacing the AI score."""
    scores = {cid: score for cid, (score, _max) in grade.criterion_scores().items()}
    for cid in scores:
        o = overrides.get((grade.id, cid))
        if o is not None:
            scores[cid] = o.score
    return scores


def effective_total(grade: Grade, overrides: dict[tuple[str, str], GradeOverride]) -> float | None:
    """The grade's total with overrides applied (each override moves the total by its difference to the AI score)."""
    if grade.status == "failed" or grade.total is None:
        return None
    delta = 0
    for cid, (ai_score, _max) in grade.criterion_scores().items():
        o = overrides.get((grade.id, cid))
        if o is not None:
            delta += o.score - ai_score
    return float(grade.total) + delta


def effective_percent(grade: Grade | None, overrides: dict[tuple[str, str], GradeOverride]) -> float | None:
    if grade is None or not grade.max_total:
        return None
    total = effective_total(grade, overrides)
    return None if total is None else round(100.0 * total / float(grade.max_total), 1)


@dataclass(frozen=True)
class DrillProgress:
    drill: Drill
    user_id: str
    username: str
    status: DrillStatus
    attempts: int  # sessions started and not abandoned
    attempts_left: int | None  # None: unlimited
    first_score: float | None  # percent of the grade's maximum
    best_score: float | None
    latest_score: float | None
    active_session_id: str | None


def drill_progress(
    drill: Drill,
    user_id: str,
    username: str,
    sessions: list[PracticeSession],
    percents: dict[str, float | None],
    now: dt.datetime,
) -> DrillProgress:
    """Status of one rep on one drill from their sessions of it and each session's effective score (percent).

    passed: the best score reaches the pass mark. failed: every attempt used, all scored, none passed.
    overdue: past the due date and not passed. in progress: started. not started: no attempt yet.
    """
    mine = sorted((s for s in sessions if s.user_id == user_id and s.drill_id == drill.id), key=lambda s: s.started_at)
    counted = [s for s in mine if s.state != "abandoned"]
    active = next((s for s in counted if s.state == "active"), None)
    scores = [p for s in counted if s.state == "ended" and (p := percents.get(s.id)) is not None]
    unscored = [s for s in counted if s.state == "ended" and percents.get(s.id) is None]
    best = max(scores) if scores else None
    left = None if drill.max_attempts is None else max(0, drill.max_attempts - len(counted))
    status: DrillStatus
    if best is not None and best >= drill.pass_mark:
        status = "passed"
    elif left == 0 and active is None and not unscored:
        status = "failed"
    elif drill.due_at is not None and now > drill.due_at:
        status = "overdue"
    elif counted:
        status = "in progress"
    else:
        status = "not started"
    return DrillProgress(
        drill=drill,
        user_id=user_id,
        username=username,
        status=status,
        attempts=len(counted),
        attempts_left=left,
        first_score=scores[0] if scores else None,
        best_score=best,
        latest_score=scores[-1] if scores else None,
        active_session_id=active.id if active else None,
    )
