"""Bad input: a clear error and nothing written (the row counts of every table are unchanged)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from tests import store_support
from tests.store_support import build_world, ended_session, grade_doc, row_counts, scores
from trainer.adapters.db import Database
from trainer.errors import InputError, NotFoundError, UserError
from trainer.services.facade import Services
from trainer.services.records import new_id

migrated_url = store_support.migrated_url
db = store_support.db
clock = store_support.clock
services = store_support.services


def refused(db: Database, error: type[UserError], match: str, call: Callable[[], object]) -> UserError:
    before = row_counts(db)
    with pytest.raises(error, match=match) as exc:
        call()
    assert row_counts(db) == before, "a refused request wrote something"
    return exc.value


def test_someone_elses_session_looks_exactly_like_a_missing_one(services: Services, db: Database) -> None:
    world = build_world(services)
    rep, other = world["rep1a"], world["rep2a"]
    theirs = ended_session(services, other, grade=scores(1, 1, 1, 1))
    teammates = services.sessions.start(world["rep1b"], persona_id="dana_okafor", scenario="A").id
    missing = new_id()
    calls: dict[str, Callable[[str], object]] = {
        "get": lambda sid: services.sessions.get(rep, sid),
        "transcript": lambda sid: services.sessions.transcript(rep, sid),
        "resume": lambda sid: services.sessions.resume(rep, sid),
        "append": lambda sid: services.sessions.append_rep_turn(rep, sid, "hello"),
        "end": lambda sid: services.sessions.end(rep, sid, "hung_up"),
        "abandon": lambda sid: services.sessions.abandon(rep, sid),
        "grade": lambda sid: services.grades.latest(rep, sid),
        "versions": lambda sid: services.grades.versions(rep, sid),
        "store grade": lambda sid: services.grades.store_grade(rep, sid, grade_doc(scores(3, 3, 3, 3))),
    }
    for name, call in calls.items():
        answers = set()
        for sid in (theirs, teammates, missing, "not-even-an-id"):
            err = refused(db, NotFoundError, "not found", lambda call=call, sid=sid: call(sid))
            answers.add(str(err).replace(sid, "<id>"))
        assert len(answers) == 1, f"{name}: {answers}"


def test_assigning_a_drill_outside_the_team_writes_nothing(services: Services, db: Database) -> None:
    world = build_world(services)
    coach = world["coach1"]
    drill = services.drills.create(coach, persona_id="dana_okafor", scenario="A")
    for user_ids in ([world["rep2a"].id], [world["rep1a"].id, world["rep2a"].id], [world["manager1"].id], [new_id()]):
        refused(
            db,
            InputError,
            "not a rep in this drill's team",
            lambda u=user_ids: services.drills.assign(coach, drill.id, user_ids=u),
        )
    refused(db, InputError, "at least one rep", lambda: services.drills.assign(coach, drill.id))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"due": dt.date(2020, 1, 1)}, "in the past"),
        ({"due": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}, "in the past"),
        ({"pass_mark": -1}, "pass mark is a whole percentage from 0 to 100"),
        ({"pass_mark": 101}, "pass mark is a whole percentage from 0 to 100"),
        ({"pass_mark": 65.5}, "pass mark is a whole percentage"),  # refused, not rounded
        ({"pass_mark": 150.5}, "pass mark"),
        ({"pass_mark": True}, "pass mark"),
        ({"pass_mark": "70"}, "pass mark"),
        ({"max_attempts": 0}, "max attempts"),
        ({"max_attempts": 2.5}, "max attempts"),
        ({"instructions": "x" * 4001}, "at most 4000"),
        ({"title": "t" * 121}, "at most 120"),
        ({"persona_id": "nobody"}, "valid personas: dana_okafor"),
        ({"scenario": "D"}, "valid scenarios: A, B, C"),
        ({"difficulty": "brutal"}, "valid difficulties: easy, standard, hard"),
        ({"rubric_id": "nope"}, "valid rubrics: coo_quality_check"),
    ],
)
def test_bad_drills_are_refused(services: Services, db: Database, kwargs: dict, match: str) -> None:
    world = build_world(services)
    args: dict = {"persona_id": "dana_okafor", "scenario": "B"}
    args.update(kwargs)
    refused(db, InputError, match, lambda: services.drills.create(world["coach1"], **args))


def test_pass_marks_at_the_edges_are_accepted(services: Services) -> None:
    world = build_world(services)
    for mark in (0, 100):
        assert services.drills.create(world["coach1"], persona_id="dana_okafor", scenario="B", pass_mark=mark)


@pytest.mark.parametrize("username", ["rep1a", "REP1A", "  rep1a "])
def test_duplicate_usernames_are_refused(services: Services, db: Database, username: str) -> None:
    world = build_world(services)
    refused(
        db,
        InputError,
        "already taken",
        lambda: services.users.add_user(world.admin, username, "another password", "rep", world.team2),
    )


@pytest.mark.parametrize(
    ("username", "password", "role", "match"),
    [
        ("ab", "long enough", "rep", "not valid"),
        ("has space", "long enough", "rep", "not valid"),
        ("new-rep", "short", "rep", "8 to 256"),
        ("new-rep", "long enough", "boss", "valid roles: rep, coach, manager, admin"),
    ],
)
def test_bad_users_are_refused(
    services: Services, db: Database, username: str, password: str, role: str, match: str
) -> None:
    world = build_world(services)
    refused(db, InputError, match, lambda: services.users.add_user(world.admin, username, password, role, world.team1))
    refused(
        db,
        InputError,
        match,
        lambda: services.users.add_user(world.admin, username, password, role, None, new_team_name="Fresh team"),
    )


def test_over_long_and_empty_override_comments_are_refused(services: Services, db: Database) -> None:
    world = build_world(services)
    sid = ended_session(services, world["rep1a"], grade=scores(1, 1, 1, 1))
    grade_id = services.grades.latest(world["rep1a"], sid).grade.id  # type: ignore[union-attr]
    manager = world["manager1"]
    refused(
        db, InputError, "at most 1000", lambda: services.grades.override(manager, grade_id, "clarity", 2, "x" * 1001)
    )
    refused(db, InputError, "needs a comment", lambda: services.grades.override(manager, grade_id, "clarity", 2, "  "))
    refused(db, InputError, "from 0 to 3", lambda: services.grades.override(manager, grade_id, "clarity", 4, "ok"))
    refused(db, InputError, "from 0 to 3", lambda: services.grades.override(manager, grade_id, "clarity", -1, "ok"))
    refused(db, InputError, "valid criteria", lambda: services.grades.override(manager, grade_id, "charm", 2, "ok"))
    assert services.grades.override(manager, grade_id, "clarity", 2, "x" * 1000)


def test_bad_messages_and_session_set_ups_are_refused(services: Services, db: Database) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    sid = services.sessions.start(rep, persona_id="dana_okafor", scenario="A").id
    refused(db, InputError, "empty message", lambda: services.sessions.append_rep_turn(rep, sid, "   \n"))
    refused(
        db, InputError, "at most 2000 characters", lambda: services.sessions.append_rep_turn(rep, sid, "x" * 20_000)
    )
    refused(db, InputError, "no rep turn awaits", lambda: services.sessions.begin_coo_turn(rep, sid))
    refused(db, InputError, "valid outcomes", lambda: services.sessions.end(rep, sid, "victory"))
    refused(
        db,
        InputError,
        "complete, interrupted or failed",
        lambda: services.sessions.complete_coo_turn(rep, sid, "x", "pending", None, None),
    )
    refused(
        db,
        InputError,
        "JSON",
        lambda: services.sessions.complete_coo_turn(rep, sid, "x", "complete", None, {"s": {1, 2}}),
    )
    refused(db, InputError, "valid personas", lambda: services.sessions.start(rep, persona_id="ghost", scenario="A"))
    refused(
        db, InputError, "valid scenarios", lambda: services.sessions.start(rep, persona_id="dana_okafor", scenario="Z")
    )
    refused(
        db, InputError, "seed", lambda: services.sessions.start(rep, persona_id="dana_okafor", scenario="A", seed=-4)
    )
    refused(
        db,
        InputError,
        "only an ended call",
        lambda: services.grades.store_grade(rep, sid, grade_doc(scores(1, 1, 1, 1))),
    )
    services.sessions.end(rep, sid, None)
    too_high = grade_doc(scores(3, 3, 3, 3))
    bad = type(too_high)(**{**too_high.__dict__, "total": 13.0})
    refused(db, InputError, "above the maximum", lambda: services.grades.store_grade(rep, sid, bad))
    nan = type(too_high)(**{**too_high.__dict__, "total": float("nan")})
    refused(db, InputError, "number of at least 0", lambda: services.grades.store_grade(rep, sid, nan))


def test_nul_characters_are_dropped_from_text_and_refused_in_documents(services: Services, db: Database) -> None:
    world = build_world(services)
    rep = world["rep1a"]
    sid = services.sessions.start(rep, persona_id="dana_okafor", scenario="A").id
    services.sessions.append_rep_turn(rep, sid, "hel\x00lo")
    refused(
        db,
        InputError,
        "NUL",
        lambda: services.sessions.complete_coo_turn(rep, sid, "x", "complete", None, {"a": "\x00"}),
    )
    services.sessions.complete_coo_turn(rep, sid, "fi\x00ne", "complete", None, {"a": "b"})
    assert [t.text for t in services.sessions.transcript(rep, sid)] == ["hello", "fine"]
    drill = services.drills.create(world["coach1"], persona_id="dana_okafor", scenario="B", instructions="a\x00b")
    assert drill.instructions == "ab"
    graded = ended_session(services, rep, grade=scores(1, 1, 1, 1))
    grade_id = services.grades.latest(rep, graded).grade.id  # type: ignore[union-attr]
    assert services.grades.override(world["manager1"], grade_id, "clarity", 2, "go\x00od").comment == "good"
