"""Stored practice calls: the COO engine on the session store, on SQLite and PostgreSQL. Every rep turn is stored
before the model is asked; a call is rebuilt from the store; the end of a call is graded and the grade stored."""

from __future__ import annotations

import pytest

from tests import store_support
from tests.conftest import CALIBRATION_DIR
from tests.store_support import build_world
from tests.test_grading import PlaybookStub
from trainer.adapters.llm.scripted import ScriptedLLM
from trainer.content.loader import load_transcript
from trainer.errors import AccessDenied, InputError, NotFoundError
from trainer.services.facade import Services
from trainer.services.grading import GradingService
from trainer.services.live_calls import LiveCalls
from trainer.services.practice import PracticeService
from trainer.settings import get_settings

migrated_url = store_support.migrated_url
db = store_support.db
clock = store_support.clock
services = store_support.services

STRONG = [t.text for t in load_transcript(CALIBRATION_DIR / "c01_strong_active_ops.json").turns if t.speaker == "rep"]


def _live(services: Services, content, embedder, llm=None) -> LiveCalls:  # type: ignore[no-untyped-def]
    practice = PracticeService(get_settings(), content=content, embedder=embedder, llm=llm, use_llm=llm is not None)
    grading = GradingService(get_settings(), content=content, embedder=embedder, store=PlaybookStub())
    return LiveCalls(services, practice, grading)


def test_a_stored_call_from_greeting_to_grade(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    world = build_world(services)
    rep = world["rep1a"]
    live = _live(services, content, embedder)
    session, greeting = live.start(rep, persona_id="dana_okafor", scenario="B", seed=3)
    assert greeting == content.personas["dana_okafor"].scenarios["B"].opening_line
    for line in STRONG:
        if live.call(rep, session.id).ended:
            break
        reply = "".join(live.say(rep, session.id, line))
        assert reply
    stored = services.sessions.transcript(rep, session.id)
    assert [t.speaker for t in stored][:4] == ["rep", "coo", "rep", "coo"]
    assert all(t.status == "complete" for t in stored)
    assert stored[-1].coo_state is not None and stored[-1].coo_state["act"] == "accept_session"
    assert services.sessions.get(rep, session.id).outcome == "working_session"
    grade = live.hang_up(rep, session.id)
    assert grade is not None and grade.status in ("ok", "degraded")
    view = services.grades.latest(rep, session.id)
    assert view is not None and view.grade.total == grade.total


def test_the_rep_turn_is_stored_before_the_model_answers(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    world = build_world(services)
    rep = world["rep1a"]
    seen: list[int] = []

    def respond(call):  # type: ignore[no-untyped-def]
        seen.append(len(services.sessions.transcript(rep, session.id)))  # what the store holds while the model runs
        return "Go on, quickly."

    live = _live(services, content, embedder, ScriptedLLM(responder=respond))
    session, _ = live.start(rep, persona_id="priya_raman", scenario="A", seed=1)
    "".join(
        live.say(
            rep,
            session.id,
            "We see hospitals where nurses are flat out but discharges per day are flat. Worth a check?",
        )
    )
    assert seen and seen[0] == 2  # the rep turn and the pending COO turn were committed first
    with pytest.raises(InputError):
        "".join(live.say(rep, session.id, "   "))
    assert len(services.sessions.transcript(rep, session.id)) == 2  # the empty message stored nothing


def test_a_call_cut_mid_reply_keeps_the_partial_reply_and_resumes(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    world = build_world(services)
    rep = world["rep1a"]
    live = _live(services, content, embedder)
    session, _ = live.start(rep, persona_id="marcus_hale", scenario="B", seed=2)
    "".join(live.say(rep, session.id, STRONG[0]))
    stream = live.say(rep, session.id, STRONG[1])
    next(stream)
    stream.close()  # the browser left mid-reply
    stored = services.sessions.transcript(rep, session.id)
    assert stored[-2].speaker == "rep" and stored[-2].text == STRONG[1]
    assert stored[-1].status == "interrupted"
    # another process (or a restart) picks the call up from the store alone
    again = _live(services, content, embedder)
    call, owed = again.resume(rep, session.id)
    assert list(owed) == []  # the interrupted reply counts as said
    assert call.state.rep_turns == 2
    "".join(again.say(rep, session.id, STRONG[2]))
    assert services.sessions.transcript(rep, session.id)[-1].status == "complete"


def test_nobody_else_can_talk_in_my_call(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    world = build_world(services)
    live = _live(services, content, embedder)
    session, _ = live.start(world["rep1a"], persona_id="dana_okafor", scenario="A", seed=1)
    for other in (world["rep1b"], world["rep2a"], None):
        with pytest.raises((NotFoundError, AccessDenied)):
            "".join(live.say(other, session.id, "Hello?"))
    assert len(services.sessions.transcript(world["rep1a"], session.id)) == 0


def test_an_abandoned_call_is_dropped_not_graded(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    world = build_world(services)
    rep = world["rep1a"]
    live = _live(services, content, embedder)
    session, _ = live.start(rep, persona_id="dana_okafor", scenario="A", seed=1)
    "".join(live.say(rep, session.id, STRONG[0]))
    for other in (world["rep1b"], world["manager1"], None):  # only the rep practising may drop the call
        with pytest.raises((NotFoundError, AccessDenied)):
            live.abandon(other, session.id)
    assert services.sessions.get(rep, session.id).state == "active"

    dropped = live.abandon(rep, session.id)
    assert (dropped.state, dropped.outcome) == ("abandoned", None)
    assert session.id not in live._calls  # the process no longer holds the call
    assert services.grades.latest(rep, session.id) is None
    with pytest.raises(InputError, match="abandoned"):
        "".join(live.say(rep, session.id, STRONG[1]))
    with pytest.raises(InputError, match="already abandoned"):
        live.abandon(rep, session.id)
    assert [t.speaker for t in services.sessions.transcript(rep, session.id)] == ["rep", "coo"]
