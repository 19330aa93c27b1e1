"""Drills (status, scores, attempts, completion), the team review (filters, trends, CSV) and the demo seed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests import store_support
from tests.store_support import Clock, World, build_world, ended_session, row_counts, scores
from trainer.adapters.db import Database
from trainer.errors import InputError
from trainer.services.demo import DEMO_PASSWORD, seed_demo
from trainer.services.facade import Services
from trainer.services.review import SessionFilter

migrated_url = store_support.migrated_url
db = store_support.db
clock = store_support.clock
services = store_support.services


def _drill(services: Services, world: World, **kwargs: object) -> str:
    args: dict = {"persona_id": "priya_raman", "scenario": "B", "pass_mark": 70, "max_attempts": 2}
    args.update(kwargs)
    return services.drills.create(world["coach1"], **args).id


def _status(services: Services, rep: object, drill_id: str):  # type: ignore[no-untyped-def]
    return next(p for p in services.drills.my_drills(rep) if p.drill.id == drill_id)  # type: ignore[arg-type]


def test_a_reps_drill_goes_from_not_started_to_passed(services: Services) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    drill_id = _drill(services, world, due=dt.date.today() + dt.timedelta(days=3))
    services.drills.assign(world["coach1"], drill_id, user_ids=[rep.id])
    p = _status(services, rep, drill_id)
    assert (p.status, p.attempts, p.attempts_left, p.best_score) == ("not started", 0, 2, None)

    session = services.sessions.start(rep, drill_id=drill_id)
    assert (session.persona_id, session.scenario, session.difficulty) == ("priya_raman", "B", "standard")
    p = _status(services, rep, drill_id)
    assert (p.status, p.attempts, p.attempts_left, p.active_session_id) == ("in progress", 1, 1, session.id)
    with pytest.raises(InputError, match="already have an attempt at this drill open"):
        services.sessions.start(rep, drill_id=drill_id)
    services.sessions.end(rep, session.id, "deferred")
    services.grades.store_grade(rep, session.id, store_support.grade_doc(scores(1, 2, 1, 2)))  # 50 %
    p = _status(services, rep, drill_id)
    assert (p.status, p.first_score, p.best_score, p.latest_score) == ("in progress", 50.0, 50.0, 50.0)

    ended_session(services, rep, drill_id=drill_id, grade=scores(3, 3, 2, 2))  # 83.3 %
    p = _status(services, rep, drill_id)
    assert (p.status, p.first_score, p.best_score, p.latest_score) == ("passed", 50.0, 83.3, 83.3)
    assert p.attempts_left == 0
    with pytest.raises(InputError, match="no attempts left"):
        services.sessions.start(rep, drill_id=drill_id)


def test_failed_overdue_and_abandoned_attempts(services: Services, clock: Clock) -> None:
    world = build_world(services)
    coach, rep_a, rep_b = world["coach1"], world["rep1a"], world["rep1b"]
    drill_id = _drill(services, world, due=clock.now + dt.timedelta(days=1))
    services.drills.assign(coach, drill_id, whole_team=True)  # both reps, through the team
    # rep a: an abandoned try does not count; two low scores use up the attempts -> failed
    abandoned = services.sessions.start(rep_a, drill_id=drill_id)
    services.sessions.abandon(rep_a, abandoned.id)
    assert _status(services, rep_a, drill_id).attempts == 0
    for low in (scores(1, 1, 1, 1), scores(2, 1, 1, 1)):
        ended_session(services, rep_a, drill_id=drill_id, grade=low)
    p = _status(services, rep_a, drill_id)
    assert (p.status, p.attempts, p.attempts_left, p.best_score, p.latest_score) == ("failed", 2, 0, 41.7, 41.7)
    # rep b never starts: overdue once the due date passes
    assert _status(services, rep_b, drill_id).status == "not started"
    clock.advance(days=2)
    assert _status(services, rep_b, drill_id).status == "overdue"
    # the coach sees both, and a manager's override can turn a fail into a pass
    completion = {p.username: p.status for p in services.drills.completion(coach, drill_id)}
    assert completion == {"rep1a": "failed", "rep1b": "overdue"}
    latest_session = services.sessions.list_mine(rep_a)[0]
    grade = services.grades.latest(rep_a, latest_session.id).grade  # type: ignore[union-attr]
    for cid in ("operational_terms", "real_constraint", "disruption_risk"):
        services.grades.override(world["manager1"], grade.id, cid, 3, "Listened to the recording: solid.")
    assert _status(services, rep_a, drill_id).status == "passed"


def test_a_team_drill_reaches_reps_who_join_later_and_only_reps(services: Services) -> None:
    world = build_world(services)
    drill_id = _drill(services, world)
    services.drills.assign(world["coach1"], drill_id, whole_team=True)
    services.drills.assign(world["coach1"], drill_id, whole_team=True)  # idempotent
    newcomer = services.users.add_user(world.admin, "newrep", store_support.PASSWORD, "rep", world.team1)
    assert [p.drill.id for p in services.drills.my_drills(newcomer)] == [drill_id]
    assert services.drills.my_drills(world["coach1"]) == []
    assert services.drills.my_drills(world["rep2a"]) == []
    assert {p.username for p in services.drills.completion(world["manager1"], drill_id)} == {
        "rep1a",
        "rep1b",
        "newrep",
    }


def _review_world(services: Services, clock: Clock) -> World:
    world = build_world(services)
    ended_session(services, world["rep1a"], grade=scores(1, 1, 1, 1))
    clock.advance(days=8)
    ended_session(services, world["rep1a"], grade=scores(3, 2, 2, 3))
    ended_session(services, world["rep1b"], grade=scores(2, 2, 2, 2))
    services.sessions.start(world["rep1b"], persona_id="tomasz_nowak", scenario="A")  # still active
    ended_session(services, world["coach1"], grade=scores(3, 3, 3, 3))  # the coach practising
    ended_session(services, world["rep2a"], grade=scores(0, 0, 0, 0))  # other team
    return world


def test_team_sessions_with_filters(services: Services, clock: Clock) -> None:
    start = clock.now
    world = _review_world(services, clock)
    manager, coach = world["manager1"], world["coach1"]

    def names(actor, f: SessionFilter | None = None) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(r.username for r in services.review.team_sessions(actor, world.team1, f))

    assert names(manager) == ["coach1", "rep1a", "rep1a", "rep1b", "rep1b"]
    assert names(coach) == ["rep1a", "rep1a", "rep1b", "rep1b"]  # a coach sees the reps, not themselves here
    assert names(manager, SessionFilter(rep_id=world["rep1a"].id)) == ["rep1a", "rep1a"]
    assert names(manager, SessionFilter(persona_id="tomasz_nowak")) == ["rep1b"]
    assert names(manager, SessionFilter(scenario="A")) == ["rep1b"]
    assert names(manager, SessionFilter(states=("active",))) == ["rep1b"]
    first_day = start.date()
    assert names(manager, SessionFilter(started_from=first_day, started_to=first_day)) == ["rep1a"]
    assert names(manager, SessionFilter(started_from=first_day + dt.timedelta(days=1))) == [
        "coach1",
        "rep1a",
        "rep1b",
        "rep1b",
    ]
    rows = services.review.team_sessions(manager, world.team1, SessionFilter(rep_id=world["rep1a"].id))
    assert [r.grade.total for r in rows] == [10, 4]  # type: ignore[union-attr]  (newest first)


def test_per_criterion_trends_use_effective_scores(services: Services, clock: Clock) -> None:
    world = _review_world(services, clock)
    trends = services.review.criterion_trends(world["coach1"], world.team1, period="week")
    assert set(trends) == {"operational_terms", "real_constraint", "disruption_risk", "clarity"}
    clarity = trends["clarity"]
    assert len(clarity) == 2 and clarity[0].period_start < clarity[1].period_start
    assert (clarity[0].mean, clarity[0].count) == (1.0, 1)
    assert (clarity[1].mean, clarity[1].count) == (2.5, 2)  # rep1a's 3 and rep1b's 2; the coach is not a rep
    assert all(p.period_start.weekday() == 0 for p in clarity)


def test_csv_export_has_one_row_per_session_with_ai_and_override_scores(services: Services, clock: Clock) -> None:
    world = build_world(services)
    sid = ended_session(services, world["rep1a"], grade=scores(1, 2, 2, 1))
    grade = services.grades.latest(world["rep1a"], sid).grade  # type: ignore[union-attr]
    services.grades.override(world["manager1"], grade.id, "clarity", 3, '=HYPERLINK("x") booked a session')
    services.sessions.start(world["rep1b"], persona_id="dana_okafor", scenario="C")
    text = services.review.export_csv(world["manager1"], world.team1)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    graded = next(r for r in rows if r["session_id"] == sid)
    assert graded["username"] == "rep1a" and graded["grade_version"] == "1"
    assert (graded["clarity"], graded["clarity_ai"], graded["total"], graded["max_total"]) == ("3", "1", "8.0", "12.0")
    assert graded["clarity_override_comment"].startswith("'=")  # a spreadsheet will not run it
    ungraded = next(r for r in rows if r["session_id"] != sid)
    assert ungraded["state"] == "active" and ungraded["total"] == "" and ungraded["clarity"] == ""


def test_demo_seed_is_idempotent_and_its_logins_work(services: Services, db: Database) -> None:
    logins = seed_demo(services)
    assert sorted((x.role, x.password) for x in logins) == sorted(
        [("manager", DEMO_PASSWORD), ("coach", DEMO_PASSWORD)] + [("rep", DEMO_PASSWORD)] * 3
    )
    counts = row_counts(db)
    assert counts["users"] == 5 and counts["teams"] == 1 and counts["drills"] == 2
    again = seed_demo(services)
    assert all(x.password is None for x in again)
    assert row_counts(db) == counts
    for login in logins:
        actor = services.users.authenticate(login.username, DEMO_PASSWORD)
        assert actor is not None and actor.role == login.role
    rep = services.users.authenticate("rita", DEMO_PASSWORD)
    assert len(services.drills.my_drills(rep)) == 2
    assert len(services.drills.my_drills(services.users.authenticate("rosa", DEMO_PASSWORD))) == 1


def test_two_starts_of_one_drill_at_once_open_one_session(services: Services) -> None:
    import threading

    world = build_world(services)
    rep = world["rep1a"]
    drill_id = _drill(services, world, max_attempts=1)
    services.drills.assign(world["coach1"], drill_id, user_ids=[rep.id])
    barrier = threading.Barrier(4)
    started, refused = [], []

    def start() -> None:
        barrier.wait()
        try:
            started.append(services.sessions.start(rep, drill_id=drill_id).id)
        except InputError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(started) == 1 and len(refused) == 3, (started, refused)
    assert _status(services, rep, drill_id).attempts == 1


def test_a_drill_title_is_used_once_per_team(services: Services) -> None:
    world = build_world(services)
    coach = world["coach1"]
    services.drills.create(coach, persona_id="priya_raman", scenario="B", title="Dock bottleneck")
    with pytest.raises(InputError, match="already has a drill called 'Dock bottleneck'"):
        services.drills.create(coach, persona_id="priya_raman", scenario="A", title="Dock bottleneck")
    first = services.drills.create(coach, persona_id="priya_raman", scenario="B")  # no title: a numbered one
    second = services.drills.create(coach, persona_id="priya_raman", scenario="B")
    assert second.title == f"{first.title} (2)"
    titles = [d.title for d in services.drills.list_team(coach, coach.team_id)]
    assert titles.count("Dock bottleneck") == 1
