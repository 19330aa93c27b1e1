"""The authorisation matrix: every service action x every role x (own / own team / other team), and no user at all.

The expected answers are written out by hand below (not derived from the code under test): a rep sees only their
own sessions and grades, a coach their team's reps, a manager their team, an admin everything. A denied call raises
NotFoundError or AccessDenied and writes nothing; an allowed one succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests import store_support
from tests.store_support import World, build_world, ended_session, grade_doc, make_services, row_counts, scores
from trainer.adapters.db import Database
from trainer.errors import AccessDenied, NotFoundError
from trainer.services.facade import Services
from trainer.services.records import Actor

migrated_url = store_support.migrated_url

ACTING = {"rep": "rep1a", "coach": "coach1", "manager": "manager1", "admin": "admin"}
ROLES = tuple(ACTING)
SCOPES = ("mine", "my_team", "other_team")

# --------------------------------------------------------------------------------------------- who may do what
EVERYONE_OWN = {(r, "mine") for r in ROLES}
SEE_SESSION = EVERYONE_OWN | {
    ("coach", "my_team"),
    ("manager", "my_team"),
    ("admin", "my_team"),
    ("admin", "other_team"),
}
REGRADE = SEE_SESSION - {("rep", "mine")}
OVERRIDE = {
    ("manager", "mine"),
    ("admin", "mine"),
    ("manager", "my_team"),
    ("admin", "my_team"),
    ("admin", "other_team"),
}
TEAM_REVIEW = {("coach", "my_team"), ("manager", "my_team"), ("admin", "my_team"), ("admin", "other_team")}
DRILL_AUTHOR = {("coach", "my_team"), ("admin", "my_team"), ("admin", "other_team")}
ADD_USER = {("manager", "my_team"), ("admin", "my_team"), ("admin", "other_team")}
SEE_DRILL = TEAM_REVIEW | {("rep", "my_team")}  # a rep sees a drill assigned to them (here: to their team)
START_DRILL = {("rep", "my_team")}  # only the reps it is assigned to
ADMIN_ONLY = {("admin", "mine")}


@dataclass
class Ctx:
    services: Services
    world: World
    actor: Actor | None
    owner: Actor  # whose session / grade the action targets
    team_id: str  # which team the action targets


@dataclass(frozen=True)
class Action:
    scopes: tuple[str, ...]
    allowed: set[tuple[str, str]]
    prepare: Callable[[Ctx], Any]
    call: Callable[[Ctx, Any], object]


def _active(c: Ctx) -> str:
    return c.services.sessions.start(c.owner, persona_id="dana_okafor", scenario="A").id


def _with_rep_turn(c: Ctx) -> str:
    sid = _active(c)
    c.services.sessions.append_rep_turn(c.owner, sid, "Quick one on handoffs?")
    return sid


def _ended(c: Ctx) -> str:
    return ended_session(c.services, c.owner)


def _graded(c: Ctx) -> str:
    return ended_session(c.services, c.owner, grade=scores(1, 2, 1, 2))


def _grade_id(c: Ctx) -> str:
    sid = _graded(c)
    with c.services.store.unit_of_work() as uow:
        return uow.grades.versions(sid)[-1].id


def _team_drill(c: Ctx) -> str:
    coach = c.world["coach1" if c.team_id == c.world.team1 else "coach2"]
    drill = c.services.drills.create(coach, persona_id="priya_raman", scenario="B")
    c.services.drills.assign(coach, drill.id, whole_team=True)
    return drill.id


def _none(c: Ctx) -> None:
    return None


def _team_rep(c: Ctx) -> str:
    return c.world["rep1b" if c.team_id == c.world.team1 else "rep2b"].id


S3 = SCOPES
T2 = ("my_team", "other_team")
ME = ("mine",)
_counter = iter(range(10**6))

ACTIONS: dict[str, Action] = {
    # sessions and turns
    "sessions.get": Action(S3, SEE_SESSION, _active, lambda c, sid: c.services.sessions.get(c.actor, sid)),
    "sessions.transcript": Action(
        S3, SEE_SESSION, _active, lambda c, sid: c.services.sessions.transcript(c.actor, sid)
    ),
    "sessions.resume": Action(S3, EVERYONE_OWN, _active, lambda c, sid: c.services.sessions.resume(c.actor, sid)),
    "sessions.end": Action(S3, EVERYONE_OWN, _active, lambda c, sid: c.services.sessions.end(c.actor, sid, "deferred")),
    "sessions.abandon": Action(S3, EVERYONE_OWN, _active, lambda c, sid: c.services.sessions.abandon(c.actor, sid)),
    "sessions.append_rep_turn": Action(
        S3, EVERYONE_OWN, _active, lambda c, sid: c.services.sessions.append_rep_turn(c.actor, sid, "hello")
    ),
    "sessions.begin_coo_turn": Action(
        S3, EVERYONE_OWN, _with_rep_turn, lambda c, sid: c.services.sessions.begin_coo_turn(c.actor, sid)
    ),
    "sessions.complete_coo_turn": Action(
        S3,
        EVERYONE_OWN,
        _with_rep_turn,
        lambda c, sid: c.services.sessions.complete_coo_turn(c.actor, sid, "Go on.", "complete", None, {"i": 1}),
    ),
    "sessions.start_free": Action(
        ME, EVERYONE_OWN, _none, lambda c, _: c.services.sessions.start(c.actor, persona_id="dana_okafor", scenario="C")
    ),
    "sessions.start_drill": Action(
        T2, START_DRILL, _team_drill, lambda c, drill_id: c.services.sessions.start(c.actor, drill_id=drill_id)
    ),
    "sessions.list_mine": Action(ME, EVERYONE_OWN, _none, lambda c, _: c.services.sessions.list_mine(c.actor)),
    # grades
    "grades.store_first": Action(
        S3,
        SEE_SESSION,
        _ended,
        lambda c, sid: c.services.grades.store_grade(c.actor, sid, grade_doc(scores(2, 2, 2, 2))),
    ),
    "grades.regrade": Action(
        S3, REGRADE, _graded, lambda c, sid: c.services.grades.store_grade(c.actor, sid, grade_doc(scores(3, 2, 2, 2)))
    ),
    "grades.latest": Action(S3, SEE_SESSION, _graded, lambda c, sid: c.services.grades.latest(c.actor, sid)),
    "grades.versions": Action(S3, SEE_SESSION, _graded, lambda c, sid: c.services.grades.versions(c.actor, sid)),
    "grades.override": Action(
        S3, OVERRIDE, _grade_id, lambda c, gid: c.services.grades.override(c.actor, gid, "clarity", 3, "booked it")
    ),
    # drills
    "drills.create": Action(
        T2,
        DRILL_AUTHOR,
        _none,
        lambda c, _: c.services.drills.create(c.actor, persona_id="dana_okafor", scenario="B", team_id=c.team_id),
    ),
    "drills.assign": Action(
        T2, DRILL_AUTHOR, _team_drill, lambda c, d: c.services.drills.assign(c.actor, d, user_ids=[_team_rep(c)])
    ),
    "drills.get": Action(T2, SEE_DRILL, _team_drill, lambda c, d: c.services.drills.get(c.actor, d)),
    "drills.completion": Action(T2, TEAM_REVIEW, _team_drill, lambda c, d: c.services.drills.completion(c.actor, d)),
    "drills.list_team": Action(T2, TEAM_REVIEW, _none, lambda c, _: c.services.drills.list_team(c.actor, c.team_id)),
    "drills.my_drills": Action(ME, EVERYONE_OWN, _none, lambda c, _: c.services.drills.my_drills(c.actor)),
    # team review
    "review.team_sessions": Action(
        T2, TEAM_REVIEW, _graded, lambda c, _: c.services.review.team_sessions(c.actor, c.team_id)
    ),
    "review.criterion_trends": Action(
        T2, TEAM_REVIEW, _graded, lambda c, _: c.services.review.criterion_trends(c.actor, c.team_id)
    ),
    "review.export_csv": Action(
        T2, TEAM_REVIEW, _graded, lambda c, _: c.services.review.export_csv(c.actor, c.team_id)
    ),
    # people
    "users.add_user": Action(
        T2,
        ADD_USER,
        _none,
        lambda c, _: c.services.users.add_user(c.actor, f"new{next(_counter)}", "long enough pw", "rep", c.team_id),
    ),
    "users.list_users": Action(T2, TEAM_REVIEW, _none, lambda c, _: c.services.users.list_users(c.actor, c.team_id)),
    "users.list_teams": Action(ME, EVERYONE_OWN, _none, lambda c, _: c.services.users.list_teams(c.actor)),
    "users.ensure_team": Action(
        ME, ADMIN_ONLY, _none, lambda c, _: c.services.users.ensure_team(c.actor, f"Team x{next(_counter)}")
    ),
}

CASES = [
    pytest.param(name, role, scope, id=f"{name}-{role}-{scope}")
    for name, action in ACTIONS.items()
    for role in ROLES
    for scope in action.scopes
]


@pytest.fixture(scope="module")
def world(migrated_url: str) -> Iterator[World]:
    db = Database(migrated_url)
    services = make_services(db)
    yield build_world(services)
    db.dispose()


def _ctx(world: World, actor: Actor | None, role: str, scope: str) -> Ctx:
    if scope == "mine":
        owner = world.admin if role == "admin" else world[ACTING[role]]
    elif scope == "my_team":
        owner = world["rep1b" if role == "rep" else "rep1a"]
    else:
        owner = world["rep2a"]
    team_id = world.team2 if scope == "other_team" else world.team1
    return Ctx(world.services, world, actor, owner, team_id)


@pytest.mark.parametrize(("name", "role", "scope"), CASES)
def test_role_and_scope(world: World, name: str, role: str, scope: str) -> None:
    action = ACTIONS[name]
    actor = world.admin if role == "admin" else world[ACTING[role]]
    ctx = _ctx(world, actor, role, scope)
    target = action.prepare(ctx)
    if (role, scope) in action.allowed:
        action.call(ctx, target)
        return
    db = world.services.store
    assert isinstance(db, Database)
    before = row_counts(db)
    with pytest.raises((NotFoundError, AccessDenied)):
        action.call(ctx, target)
    assert row_counts(db) == before


@pytest.mark.parametrize("name", list(ACTIONS))
def test_no_user_means_no_access(world: World, name: str) -> None:
    action = ACTIONS[name]
    ctx = _ctx(world, None, "rep", action.scopes[-1] if action.scopes != ME else "mine")
    target = action.prepare(ctx)
    db = world.services.store
    assert isinstance(db, Database)
    before = row_counts(db)
    with pytest.raises(AccessDenied, match="sign in"):
        action.call(ctx, target)
    assert row_counts(db) == before


def test_a_coach_sees_reps_only_and_a_manager_the_whole_team(world: World) -> None:
    s = world.services
    coach_call = ended_session(s, world["coach1"], grade=scores(3, 3, 3, 3))
    manager_call = ended_session(s, world["manager1"], grade=scores(3, 3, 3, 3))
    with pytest.raises(NotFoundError):
        s.sessions.get(world["coach1"], manager_call)
    with pytest.raises(NotFoundError):
        s.grades.latest(world["coach2"], coach_call)
    assert s.sessions.get(world["manager1"], coach_call).id == coach_call
    assert s.grades.latest(world["manager1"], coach_call) is not None
    with pytest.raises(NotFoundError):
        s.sessions.get(world["manager2"], coach_call)
