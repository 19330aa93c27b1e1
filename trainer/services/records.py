"""What the service layer stores and hands back: plain frozen records, no database types.

Ids are 32-character hex strings made by `new_id()`; times are timezone-aware UTC. The COO state and the grade are
JSON documents owned by the COO engine and the grader: the store keeps them as they are given.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Role = Literal["rep", "coach", "manager", "admin"]
SessionState = Literal["active", "ended", "abandoned"]
Outcome = Literal["working_session", "clean_exit", "deferred", "hung_up", "max_turns"]
Speaker = Literal["rep", "coo"]
TurnStatus = Literal["complete", "interrupted", "failed", "pending"]
GradeStatus = Literal["ok", "degraded", "failed"]
DrillStatus = Literal["not started", "in progress", "passed", "failed", "overdue"]

ROLES: tuple[str, ...] = get_args(Role)
SESSION_STATES: tuple[str, ...] = get_args(SessionState)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
TURN_STATUSES: tuple[str, ...] = get_args(TurnStatus)
GRADE_STATUSES: tuple[str, ...] = get_args(GradeStatus)


def clean_text(value: object) -> str:
    """A user's text as stored: a non-string is empty, NUL characters (PostgreSQL refuses them) are dropped, and
    surrounding whitespace is trimmed."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Actor:
    """The signed-in user a service call acts for. `None` in its place means nobody is signed in: no access."""

    id: str
    username: str
    role: Role
    team_id: str | None
    display_name: str = ""


@dataclass(frozen=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    role: Role
    team_id: str | None
    password_hash: str
    created_at: dt.datetime
    active: bool = True

    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.role, self.team_id, self.display_name)


@dataclass(frozen=True)
class PracticeSession:
    id: str
    user_id: str
    drill_id: str | None  # None: free practice
    persona_id: str
    scenario: str  # A | B | C
    difficulty: str
    rubric_id: str
    seed: int  # the COO engine is deterministic for a seed: replaying the rep turns rebuilds its state
    state: SessionState
    outcome: Outcome | None
    started_at: dt.datetime
    ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class Timing:
    first_token_s: float | None = None
    total_s: float | None = None


@dataclass(frozen=True)
class Turn:
    id: str
    session_id: str
    index: int
    speaker: Speaker
    text: str
    status: TurnStatus
    created_at: dt.datetime
    timing: Timing = field(default_factory=Timing)
    coo_state: dict[str, Any] | None = None  # the COO's state after this turn (COO turns only)
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class GradeInput:
    """A grade as the grader produced it, before it is stored. `document` is the grader's whole JSON."""

    status: GradeStatus
    total: float | None
    max_total: float | None
    rubric_id: str
    rubric_version: str
    grader: str
    model_id: str
    content_hashes: dict[str, str]
    document: dict[str, Any]

    @classmethod
    def from_document(cls, doc: dict[str, Any], *, rubric_id: str) -> GradeInput:
        """Read the grader's JSON (`criteria`, `total`, `status`, `grader`, `rubric_version`, ...)."""
        criteria = [c for c in doc.get("criteria") or [] if isinstance(c, dict)]
        max_total = doc.get("max_total")
        if max_total is None and criteria:
            max_total = sum(float(c.get("max", 0) or 0) for c in criteria)
        hashes = doc.get("content_hashes") or doc.get("hashes") or {}
        return cls(
            status=doc.get("status", "ok"),
            total=doc.get("total"),
            max_total=max_total,
            rubric_id=str(doc.get("rubric_id") or doc.get("rubric") or rubric_id),
            rubric_version=str(doc.get("rubric_version") or ""),
            grader=str(doc.get("grader") or ""),
            model_id=str(doc.get("model_id") or doc.get("model") or ""),
            content_hashes={str(k): str(v) for k, v in dict(hashes).items()},
            document=doc,
        )


@dataclass(frozen=True)
class Grade:
    """An immutable stored grade. A regrade adds a row with the next version; nothing is ever updated."""

    id: str
    session_id: str
    version: int
    status: GradeStatus
    total: float | None
    max_total: float | None
    rubric_id: str
    rubric_version: str
    grader: str
    model_id: str
    content_hashes: dict[str, str]
    document: dict[str, Any]
    created_by: str | None
    created_at: dt.datetime

    def criterion_scores(self) -> dict[str, tuple[int, int]]:
        """criterion id -> (AI score, max) as the grader wrote them; criteria without a score are left out."""
        out: dict[str, tuple[int, int]] = {}
        for c in self.document.get("criteria") or []:
            if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("score"), int | float):
                out[c["id"]] = (int(c["score"]), int(c.get("max") or 3))
        return out


@dataclass(frozen=True)
class GradeOverride:
    """A manager's score for one criterion of one grade; the AI score is kept beside it. The latest one counts."""

    id: str
    grade_id: str
    criterion_id: str
    ai_score: int | None
    score: int
    comment: str
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Drill:
    id: str
    team_id: str
    created_by: str
    title: str
    persona_id: str
    scenario: str
    difficulty: str
    rubric_id: str
    instructions: str
    due_at: dt.datetime | None
    pass_mark: int  # percent of the grade's maximum, 0-100
    max_attempts: int | None  # None: unlimited
    created_at: dt.datetime


@dataclass(frozen=True)
class Assignment:
    """A drill given to one rep (`user_id`) or to every rep of a team (`team_id`, later joiners included)."""

    id: str
    drill_id: str
    user_id: str | None
    team_id: str | None
    assigned_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class SessionQuery:
    """Filters for listing sessions; every field left None matches everything."""

    user_id: str | None = None
    team_id: str | None = None  # sessions of users in this team
    user_roles: tuple[str, ...] | None = None  # only sessions of users with these roles
    drill_id: str | None = None
    persona_id: str | None = None
    scenario: str | None = None
    states: tuple[str, ...] | None = None
    started_from: dt.datetime | None = None  # inclusive
    started_before: dt.datetime | None = None  # exclusive
    limit: int | None = None
