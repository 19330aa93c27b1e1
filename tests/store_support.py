"""Fixtures and helpers for the store tests, on SQLite and on PostgreSQL.

A test module re-exports the fixtures it uses (`db = store_support.db`). Each PostgreSQL database lives in its own
schema (search_path in the URL), dropped at the end, so test runs and modules never see each other. Tests that
share a migrated database start from emptied tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, require_service
from trainer.adapters.db import Database
from trainer.content.loader import Content, load_content
from trainer.services.facade import COMMAND_LINE, Services
from trainer.services.passwords import Passwords
from trainer.services.records import Actor, GradeInput

BACKENDS = ["sqlite", "postgresql"]
TABLES_CHILD_FIRST = (
    "grade_overrides",
    "grades",
    "turns",
    "practice_sessions",
    "drill_assignments",
    "drills",
    "users",
    "teams",
)
PASSWORD = "correct horse battery"


@functools.cache
def content() -> Content:
    return load_content(ROOT)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)  # strictly increasing, like real time
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


def new_database_url(backend: str, folder: Path) -> tuple[str, object]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema. Returns (url, cleanup handle)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'store-{uuid.uuid4().hex[:8]}.sqlite3'}", None
    base = require_service("TRAINER_TEST_DATABASE_URL")
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", (admin, schema)


def drop_database(handle: object) -> None:
    if handle is None:
        return
    admin, schema = handle  # type: ignore[misc]
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database per backend, shared by a module's tests (each `db` test empties it first)."""
    url, handle = new_database_url(request.param, tmp_path_factory.mktemp("db"))
    db = Database(url)
    db.upgrade()
    db.dispose()
    yield url
    drop_database(handle)


@pytest.fixture
def db(migrated_url: str) -> Iterator[Database]:
    database = Database(migrated_url)
    with database.engine.begin() as conn:
        for table in TABLES_CHILD_FIRST:
            conn.execute(text(f"DELETE FROM {table}"))
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(db: Database, clock: Clock) -> Services:
    return make_services(db, clock)


def make_services(db: Database, clock: Clock | None = None) -> Services:
    return Services(db, content(), passwords=Passwords.fast(), max_message_chars=2000, clock=clock or Clock())


@dataclass
class World:
    """Two teams, each with a manager, a coach and two reps; an admin without a team."""

    services: Services
    admin: Actor
    team1: str
    team2: str
    people: dict[str, Actor]  # "manager1", "coach1", "rep1a", "rep1b", "manager2", ...

    def __getitem__(self, name: str) -> Actor:
        return self.people[name]


def build_world(services: Services) -> World:
    users = services.users
    admin = users.add_user(COMMAND_LINE, "admin", PASSWORD, "admin", None)
    people: dict[str, Actor] = {}
    team_ids = []
    for n in ("1", "2"):
        team = users.ensure_team(COMMAND_LINE, f"Team {n}")
        team_ids.append(team.id)
        for role, suffix in (("manager", ""), ("coach", ""), ("rep", "a"), ("rep", "b")):
            name = f"{role}{n}{suffix}"
            people[name] = users.add_user(COMMAND_LINE, name, PASSWORD, role, team.id)
    return World(services, admin, team_ids[0], team_ids[1], people)


def grade_doc(scores: dict[str, int], status: str = "ok") -> GradeInput:
    """A grade as the grader writes it (its JSON), for the four quality-check criteria."""
    criteria = [
        {"id": cid, "score": s, "max": 3, "rationale": "r", "evidence": [], "citations": []}
        for cid, s in scores.items()
    ]
    doc = {
        "status": status,
        "grader": "signal",
        "rubric_version": "1.0",
        "criteria": criteria if status != "failed" else [],
        "total": sum(scores.values()) if status != "failed" else None,
        "content_hashes": {"rubric": "abc", "playbook": "def"},
    }
    return GradeInput.from_document(doc, rubric_id="coo_quality_check")


FOUR = ("operational_terms", "real_constraint", "disruption_risk", "clarity")


def scores(*values: int) -> dict[str, int]:
    return dict(zip(FOUR, values, strict=True))


def ended_session(
    services: Services, rep: Actor, *, drill_id: str | None = None, grade: dict[str, int] | None = None
) -> str:
    """A finished call with one exchange, graded when `grade` is given. Returns the session id."""
    s = services.sessions
    if drill_id:
        session = s.start(rep, drill_id=drill_id, seed=7)
    else:
        session = s.start(rep, persona_id="dana_okafor", scenario="B", seed=7)
    s.append_rep_turn(rep, session.id, "Is admin time eating your nurses' week?")
    s.complete_coo_turn(rep, session.id, "Go on.", "complete", None, {"interest": 4})
    s.end(rep, session.id, "working_session")
    if grade is not None:
        services.grades.store_grade(rep, session.id, grade_doc(grade))
    return session.id


def row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES_CHILD_FIRST}
