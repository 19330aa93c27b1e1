"""Sessions, write-ahead turns, resume, grades and overrides on SQLite and PostgreSQL, as the app uses them."""

from __future__ import annotations

import pytest

from tests import store_support
from tests.store_support import Clock, build_world, ended_session, grade_doc, make_services, scores
from trainer.adapters.db import Database
from trainer.errors import AccessDenied, InputError
from trainer.services.facade import Services
from trainer.services.records import Timing

migrated_url = store_support.migrated_url
db = store_support.db
clock = store_support.clock
services = store_support.services


def test_the_rep_turn_is_committed_before_any_reply_and_the_reply_as_it_completes(
    services: Services, db: Database
) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    session = services.sessions.start(rep, persona_id="dana_okafor", scenario="B", seed=42)
    other_process = make_services(Database(db.url))  # a second connection pool, as another process would have

    turn_id = services.sessions.append_rep_turn(rep, session.id, "Where does your nurses' week go?")
    seen = other_process.sessions.transcript(rep, session.id)
    assert [(t.id, t.speaker, t.text, t.status) for t in seen] == [
        (turn_id, "rep", "Where does your nurses' week go?", "complete")
    ]

    coo_id = services.sessions.begin_coo_turn(rep, session.id)
    assert other_process.sessions.transcript(rep, session.id)[-1].status == "pending"
    done = services.sessions.complete_coo_turn(
        rep, session.id, "Admin, mostly.", "complete", Timing(0.2, 0.9), {"interest": 5, "facts": ["admin"]}
    )
    assert done == coo_id
    state = other_process.sessions.resume(rep, session.id)
    assert [t.index for t in state.turns] == [0, 1]
    assert state.turns[1].text == "Admin, mostly."
    assert state.turns[1].timing == Timing(0.2, 0.9)
    assert state.coo_state == {"interest": 5, "facts": ["admin"]}
    assert state.rep_texts == ["Where does your nurses' week go?"]
    assert state.session.seed == 42
    assert state.awaiting_reply is False


def test_a_reply_lost_mid_call_is_asked_for_again_on_resume(services: Services, db: Database) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    session = services.sessions.start(rep, persona_id="dana_okafor", scenario="A")
    services.sessions.append_rep_turn(rep, session.id, "Hi, quick one on ward handoffs.")
    pending = services.sessions.begin_coo_turn(rep, session.id)
    # the process dies here; a new one picks the call up
    fresh = make_services(Database(db.url))
    state = fresh.sessions.resume(rep, session.id)
    assert state.awaiting_reply is True
    assert state.rep_texts == ["Hi, quick one on ward handoffs."]
    assert fresh.sessions.begin_coo_turn(rep, session.id) == pending  # the same turn, not a second one
    fresh.sessions.complete_coo_turn(rep, session.id, "Who is this?", "complete", None, {"interest": 3})
    assert fresh.sessions.resume(rep, session.id).awaiting_reply is False


def test_interrupted_failed_and_abandoned_replies_are_kept_as_such(services: Services) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    sid = services.sessions.start(rep, persona_id="dana_okafor", scenario="A").id
    services.sessions.append_rep_turn(rep, sid, "one")
    services.sessions.complete_coo_turn(rep, sid, "Half a sent", "interrupted", Timing(0.1, 0.3), None)
    services.sessions.append_rep_turn(rep, sid, "two")
    services.sessions.complete_coo_turn(rep, sid, "", "failed", None, None)
    services.sessions.append_rep_turn(rep, sid, "three")
    services.sessions.begin_coo_turn(rep, sid)
    services.sessions.append_rep_turn(rep, sid, "four")  # the rep moved on: that reply never arrived
    turns = services.sessions.transcript(rep, sid)
    assert [(t.speaker, t.text, t.status) for t in turns] == [
        ("rep", "one", "complete"),
        ("coo", "Half a sent", "interrupted"),
        ("rep", "two", "complete"),
        ("coo", "", "failed"),
        ("rep", "three", "complete"),
        ("coo", "", "failed"),
        ("rep", "four", "complete"),
    ]
    assert [t.index for t in turns] == list(range(7))


def test_end_and_abandon_close_the_call(services: Services) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    a = services.sessions.start(rep, persona_id="dana_okafor", scenario="A")
    b = services.sessions.start(rep, persona_id="marcus_hale", scenario="C", difficulty="hard")
    ended = services.sessions.end(rep, a.id, "clean_exit")
    assert (ended.state, ended.outcome) == ("ended", "clean_exit")
    assert ended.ended_at is not None and ended.ended_at >= ended.started_at
    assert services.sessions.abandon(rep, b.id).state == "abandoned"
    with pytest.raises(InputError, match="ended"):
        services.sessions.append_rep_turn(rep, a.id, "hello?")
    with pytest.raises(InputError, match="already"):
        services.sessions.end(rep, a.id, "working_session")
    mine = services.sessions.list_mine(rep)
    assert [s.id for s in mine] == [b.id, a.id]  # newest first
    assert services.sessions.list_mine(world["rep1b"]) == []


def test_grades_are_versioned_and_a_regrade_is_for_staff(services: Services) -> None:
    world = build_world(services)
    rep, coach = world["rep1a"], world["coach1"]
    sid = ended_session(services, rep, grade=scores(1, 1, 2, 1))
    with pytest.raises(AccessDenied, match="regrade"):
        services.grades.store_grade(rep, sid, grade_doc(scores(3, 3, 3, 3)))
    v2 = services.grades.store_grade(coach, sid, grade_doc(scores(2, 1, 2, 1)))
    assert v2.version == 2
    latest = services.grades.latest(rep, sid)
    assert latest is not None and latest.grade.id == v2.id and latest.total == 6
    assert [v.grade.version for v in services.grades.versions(rep, sid)] == [1, 2]
    assert latest.grade.content_hashes == {"rubric": "abc", "playbook": "def"}
    assert latest.grade.document["criteria"][0]["id"] == "operational_terms"


def test_a_rep_may_retry_a_failed_grade(services: Services) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    sid = ended_session(services, rep)
    failed = services.grades.store_grade(rep, sid, grade_doc(scores(0, 0, 0, 0), status="failed"))
    assert failed.total is None
    again = services.grades.store_grade(rep, sid, grade_doc(scores(2, 2, 2, 2)))
    assert again.version == 2 and services.grades.latest(rep, sid).percent == pytest.approx(66.7)  # type: ignore[union-attr]


def test_a_manager_override_keeps_the_ai_score_beside_it(services: Services, clock: Clock) -> None:
    world = build_world(services)
    rep, manager = world["rep1a"], world["manager1"]
    sid = ended_session(services, rep, grade=scores(1, 2, 2, 1))
    grade = services.grades.latest(rep, sid).grade  # type: ignore[union-attr]
    services.grades.override(manager, grade.id, "clarity", 3, "She did propose a session with an owner and a date.")
    clock.advance(seconds=5)
    services.grades.override(manager, grade.id, "clarity", 2, "On reflection: no date.")
    view = services.grades.latest(rep, sid)
    assert view is not None
    assert view.scores == {"operational_terms": 1, "real_constraint": 2, "disruption_risk": 2, "clarity": 2}
    assert view.overrides["clarity"].ai_score == 1 and view.overrides["clarity"].score == 2
    assert view.overrides["clarity"].created_by == manager.id
    assert view.grade.criterion_scores()["clarity"] == (1, 3)  # the stored AI grade is unchanged
    assert view.total == 7 and view.percent == pytest.approx(58.3)
    # a regrade supersedes the old version's overrides, and the old version can no longer be overridden
    services.grades.store_grade(manager, sid, grade_doc(scores(2, 2, 2, 2)))
    assert services.grades.latest(rep, sid).overrides == {}  # type: ignore[union-attr]
    with pytest.raises(InputError, match="newer grade"):
        services.grades.override(manager, grade.id, "clarity", 3, "late")


def test_sign_in_checks_the_argon2_hash(services: Services) -> None:
    world = build_world(services)
    actor = services.users.authenticate("REP1A", store_support.PASSWORD)
    assert actor == world["rep1a"]
    assert services.users.authenticate("rep1a", "wrong password") is None
    assert services.users.authenticate("nobody", store_support.PASSWORD) is None
    with services.store.unit_of_work() as uow:
        stored = uow.users.get(world["rep1a"].id)
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert store_support.PASSWORD not in stored.password_hash


def test_free_practice_and_drills_take_the_configured_default_difficulty(db: Database) -> None:
    hard = Services(db, store_support.content(), passwords=store_support.Passwords.fast(), default_difficulty="hard")
    world = build_world(hard)
    assert hard.sessions.start(world["rep1a"], persona_id="dana_okafor", scenario="A").difficulty == "hard"
    assert hard.drills.create(world["coach1"], persona_id="dana_okafor", scenario="A").difficulty == "hard"
    assert (
        hard.sessions.start(world["rep1a"], persona_id="dana_okafor", scenario="A", difficulty="easy").difficulty
        == "easy"
    )
