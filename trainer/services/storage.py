"""What the services need from storage: a unit of work holding small repositories. `trainer/adapters/db` implements
it with SQLAlchemy; the services never see a database type.

A unit of work is one transaction: nothing is written until `commit()`; leaving the `with` block without committing
(or with an exception) rolls everything back, so a rejected request writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from trainer.errors import RunError
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


class StoreConflict(RunError):
    """A write broke a uniqueness rule (a taken username, a turn index another writer took first)."""


class DatabaseUnavailable(RunError):
    """The database cannot be reached, or its schema is not the one this code expects."""


class TeamRepo(Protocol):
    def add(self, team: Team) -> None: ...
    def get(self, team_id: str) -> Team | None: ...
    def by_name(self, name: str) -> Team | None: ...
    def all(self) -> list[Team]: ...


class UserRepo(Protocol):
    def add(self, user: UserRecord) -> None: ...
    def get(self, user_id: str, *, lock: bool = False) -> UserRecord | None:
        """`lock=True` holds the user's row until the unit of work ends (one drill start at a time per user)."""
        ...

    def by_username(self, username: str) -> UserRecord | None: ...
    def find(self, team_id: str | None = None, role: str | None = None) -> list[UserRecord]: ...
    def get_many(self, user_ids: Iterable[str]) -> dict[str, UserRecord]: ...


class SessionRepo(Protocol):
    def add(self, session: PracticeSession) -> None: ...
    def get(self, session_id: str, *, lock: bool = False) -> PracticeSession | None:
        """`lock=True` holds the row until the unit of work ends, so writers of one session queue up."""
        ...

    def set_state(
        self, session_id: str, state: SessionState, outcome: Outcome | None, ended_at: dt.datetime | None
    ) -> None: ...
    def query(self, q: SessionQuery) -> list[PracticeSession]: ...


class TurnRepo(Protocol):
    def add(self, turn: Turn) -> None: ...
    def for_session(self, session_id: str) -> list[Turn]: ...
    def last(self, session_id: str) -> Turn | None: ...
    def complete(
        self,
        turn_id: str,
        text: str,
        status: TurnStatus,
        timing: Timing,
        coo_state: dict[str, Any] | None,
        completed_at: dt.datetime,
    ) -> None: ...
    def set_status(self, turn_id: str, status: TurnStatus) -> None: ...


class GradeRepo(Protocol):
    def add(self, grade: Grade) -> None: ...
    def versions(self, session_id: str) -> list[Grade]: ...
    def latest(self, session_ids: Sequence[str]) -> dict[str, Grade]: ...
    def get(self, grade_id: str) -> Grade | None: ...
    def add_override(self, override: GradeOverride) -> None: ...
    def overrides(self, grade_ids: Sequence[str]) -> list[GradeOverride]: ...


class DrillRepo(Protocol):
    def add(self, drill: Drill) -> None: ...
    def get(self, drill_id: str) -> Drill | None: ...
    def find(self, team_id: str | None = None) -> list[Drill]: ...
    def by_title(self, team_id: str, title: str) -> Drill | None: ...
    def assign(self, assignment: Assignment) -> None: ...
    def assignments(self, drill_ids: Sequence[str] | None = None) -> list[Assignment]: ...
    def assigned_to(self, user_id: str, team_id: str | None) -> list[Drill]: ...


class UnitOfWork(Protocol):
    teams: TeamRepo
    users: UserRepo
    sessions: SessionRepo
    turns: TurnRepo
    grades: GradeRepo
    drills: DrillRepo

    def commit(self) -> None:
        """Make every write so far durable. Raises StoreConflict when a uniqueness rule is broken."""
        ...


class Store(Protocol):
    def unit_of_work(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]:
        """One transaction. `write=True` takes the write lock up front (SQLite), so writers queue, not fail."""
        ...
