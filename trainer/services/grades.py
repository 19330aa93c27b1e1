"""Grades (immutable, versioned) and manager overrides.

A grade is stored as the grader produced it and never changes: a regrade adds the next version, and the latest
version is the one that counts. A manager's override records a score and a comment for one criterion of the latest
grade, beside the AI score; the newest override of a criterion counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from trainer.errors import AccessDenied, InputError
from trainer.services.access import grade_not_found, require_actor, sees_user
from trainer.services.progress import effective_percent, effective_scores, effective_total, latest_overrides
from trainer.services.records import (
    GRADE_STATUSES,
    Actor,
    Grade,
    GradeInput,
    GradeOverride,
    clean_text,
    new_id,
    utcnow,
)
from trainer.services.sessions import check_json_document, visible_session
from trainer.services.storage import Store, StoreConflict, UnitOfWork

MAX_COMMENT = 1000
REGRADERS = ("coach", "manager", "admin")
OVERRIDERS = ("manager", "admin")


@dataclass(frozen=True)
class GradeView:
    """A stored grade with the overrides that count and the scores that result."""

    grade: Grade
    overrides: dict[str, GradeOverride]  # criterion id -> the override in force
    scores: dict[str, int]  # criterion id -> effective score
    total: float | None  # effective total
    percent: float | None  # effective total as a percentage of the maximum
    replaced: list[GradeOverride] = field(default_factory=list)  # earlier overrides a newer one replaced, oldest first


def grade_view(grade: Grade, overrides: list[GradeOverride]) -> GradeView:
    mine = sorted((o for o in overrides if o.grade_id == grade.id), key=lambda o: o.created_at)
    counted = latest_overrides(mine)
    in_force = {o.id for o in counted.values()}
    return GradeView(
        grade=grade,
        overrides={cid: o for (_gid, cid), o in counted.items()},
        scores=effective_scores(grade, counted),
        total=effective_total(grade, counted),
        percent=effective_percent(grade, counted),
        replaced=[o for o in mine if o.id not in in_force],
    )


def _check_input(grade: GradeInput) -> None:
    if grade.status not in GRADE_STATUSES:
        raise InputError(f"unknown grade status {grade.status!r}; valid: {', '.join(GRADE_STATUSES)}")
    for name in ("total", "max_total"):
        value = getattr(grade, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0
        ):
            raise InputError(f"a grade's {name} is a number of at least 0, not {value!r}")
    if grade.status != "failed":
        if grade.total is None or not grade.max_total:
            raise InputError("a grade that did not fail needs a total and a maximum above 0")
        if grade.total > grade.max_total:
            raise InputError(f"the total {grade.total} is above the maximum {grade.max_total}")
    if not grade.rubric_id or len(grade.rubric_id) > 64:
        raise InputError("a grade names the rubric it used (at most 64 characters)")
    for name, limit in (("rubric_version", 32), ("grader", 64), ("model_id", 255)):
        if len(getattr(grade, name) or "") > limit:
            raise InputError(f"a grade's {name} can be at most {limit} characters")
    if not isinstance(grade.document, dict):
        raise InputError("a grade must be a JSON object")
    check_json_document(grade.document, "a grade")
    check_json_document(grade.content_hashes, "a grade's content hashes")


class GradeService:
    def __init__(self, store: Store, clock: Callable = utcnow):
        self.store = store
        self.clock = clock

    def store_grade(self, actor: Actor | None, session_id: str, grade: GradeInput) -> Grade:
        """Store a grade of an ended session as the next version.

        The rep stores the first grade of their own session (or a new one after a failed grade); a regrade is for
        the coach or manager who can see the session, or an admin.
        """
        actor = require_actor(actor)
        _check_input(grade)
        for _ in range(5):
            with self.store.unit_of_work(write=True) as uow:
                session = visible_session(uow, actor, session_id, lock=True)
                versions = uow.grades.versions(session_id)
                first_or_retry = not versions or versions[-1].status == "failed"
                if not (actor.role in REGRADERS or (session.user_id == actor.id and first_or_retry)):
                    raise AccessDenied("a regrade is for a coach or a manager")
                if session.state != "ended":
                    raise InputError(f"session {session_id!r} is {session.state}: only an ended call is graded")
                row = Grade(
                    id=new_id(),
                    session_id=session_id,
                    version=(versions[-1].version + 1) if versions else 1,
                    status=grade.status,
                    total=None if grade.total is None else float(grade.total),
                    max_total=None if grade.max_total is None else float(grade.max_total),
                    rubric_id=grade.rubric_id,
                    rubric_version=grade.rubric_version,
                    grader=grade.grader,
                    model_id=grade.model_id,
                    content_hashes=dict(grade.content_hashes),
                    document=grade.document,
                    created_by=actor.id,
                    created_at=self.clock(),
                )
                uow.grades.add(row)
                try:
                    uow.commit()
                except StoreConflict:
                    continue  # a concurrent regrade took this version number
                return row
        raise InputError("this session is being regraded by someone else right now: try again")

    def latest(self, actor: Actor | None, session_id: str) -> GradeView | None:
        """The grade that counts (latest version, overrides applied), or None when not graded yet."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            visible_session(uow, actor, session_id)
            grade = uow.grades.latest([session_id]).get(session_id)
            if grade is None:
                return None
            return grade_view(grade, uow.grades.overrides([grade.id]))

    def versions(self, actor: Actor | None, session_id: str) -> list[GradeView]:
        """Every stored version, oldest first."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            visible_session(uow, actor, session_id)
            grades = uow.grades.versions(session_id)
            overrides = uow.grades.overrides([g.id for g in grades])
        return [grade_view(g, overrides) for g in grades]

    def override(
        self, actor: Actor | None, grade_id: str, criterion_id: str, score: int, comment: str
    ) -> GradeOverride:
        """A manager replaces one criterion's score with a comment; the AI score is kept beside it."""
        actor = require_actor(actor)
        with self.store.unit_of_work(write=True) as uow:
            grade = self._visible_grade(uow, actor, grade_id)
            if actor.role not in OVERRIDERS:
                raise AccessDenied("only a manager can override a score")
            latest = uow.grades.latest([grade.session_id])[grade.session_id]
            if latest.id != grade.id:
                raise InputError(f"a newer grade (version {latest.version}) exists: override that one")
            scores = grade.criterion_scores()
            if criterion_id not in scores:
                valid = ", ".join(scores) or "none: this grade has no scores"
                raise InputError(f"unknown criterion {criterion_id!r} for this grade; valid criteria: {valid}")
            ai_score, top = scores[criterion_id]
            if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= top:
                label = criterion_id.replace("_", " ")
                raise InputError(f"a score for {label} is a whole number from 0 to {top}, not {score!r}")
            comment = clean_text(comment)
            if not comment:
                raise InputError("say why: an override needs a comment")
            if len(comment) > MAX_COMMENT:
                raise InputError(f"a comment can be at most {MAX_COMMENT} characters (this one has {len(comment)})")
            row = GradeOverride(new_id(), grade.id, criterion_id, ai_score, score, comment, actor.id, self.clock())
            uow.grades.add_override(row)
            uow.commit()
        return row

    @staticmethod
    def _visible_grade(uow: UnitOfWork, actor: Actor, grade_id: str) -> Grade:
        grade = uow.grades.get(grade_id) if isinstance(grade_id, str) else None
        session = uow.sessions.get(grade.session_id) if grade else None
        owner = uow.users.get(session.user_id) if session else None
        if grade is None or owner is None or not sees_user(actor, owner):
            raise grade_not_found(str(grade_id))
        return grade
