"""The web app's handlers, called directly (no server, no browser) on a temporary SQLite store with the demo team:
what a rep, a coach and a manager do on each screen, and what each of them may not do."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store_support import Clock, grade_doc
from tests.test_grading import PlaybookStub
from trainer.adapters.db import Database
from trainer.adapters.llm.scripted import ScriptedLLM
from trainer.content.vocab import QUALITY_CRITERIA
from trainer.errors import AccessDenied, InputError, NotFoundError
from trainer.grading.model import Grade
from trainer.grading.render import grade_markdown
from trainer.services.demo import DEMO_PASSWORD, seed_demo
from trainer.services.facade import COMMAND_LINE, Services
from trainer.services.grading import GradingService
from trainer.services.live_calls import LiveCalls
from trainer.services.passwords import Passwords
from trainer.services.practice import PracticeService
from trainer.services.records import Actor, Drill
from trainer.settings import get_settings
from trainer.web.handlers import WebHandlers
from trainer.web.ui import ExportFolder

OPENER = "We see distribution centres where the doors are full but putaway lags. Is that your week?"


@pytest.fixture
def services(tmp_path: Path, content) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    db.upgrade()
    services = Services(db, content, passwords=Passwords.fast(), max_message_chars=300)
    seed_demo(services)
    yield services
    db.dispose()


def make_handlers(services: Services, content, embedder, llm=None) -> WebHandlers:  # type: ignore[no-untyped-def]
    practice = PracticeService(get_settings(), content=content, embedder=embedder, llm=llm, use_llm=llm is not None)
    grading = GradingService(get_settings(), content=content, embedder=embedder, store=PlaybookStub())
    return WebHandlers(services, LiveCalls(services, practice, grading))


@pytest.fixture
def h(services: Services, content, embedder) -> WebHandlers:  # type: ignore[no-untyped-def]
    return make_handlers(services, content, embedder)


def login(h: WebHandlers, name: str) -> Actor:
    """As the app does it: Gradio checked the password, the handlers look the user up by name."""
    assert h.services.users.authenticate(name, DEMO_PASSWORD) is not None
    actor = h.actor(name)
    assert actor is not None
    return actor


def a_call(h: WebHandlers, rep: Actor) -> str:
    view = h.start_call(rep, "dana_okafor", "A", "standard")
    *_, reply = h.say(rep, view.session_id, OPENER)
    assert reply.strip()
    return view.session_id


def test_a_rep_calls_hears_the_coo_and_gets_a_grade(h: WebHandlers, content) -> None:  # type: ignore[no-untyped-def]
    rita = login(h, "rita")
    view = h.start_call(rita, "dana_okafor", "A", "standard")
    assert view.messages == [
        {"role": "assistant", "content": content.personas["dana_okafor"].scenarios["A"].opening_line}
    ]
    assert "Dana Okafor" in view.title and "scenario A" in view.title
    replies = list(h.say(rita, view.session_id, OPENER))
    assert replies and replies[-1].strip()
    assert all(replies[i + 1].startswith(replies[i]) for i in range(len(replies) - 1))  # the reply grows as it streams
    stored = h.services.sessions.transcript(rita, view.session_id)
    assert [(t.speaker, t.status) for t in stored] == [("rep", "complete"), ("coo", "complete")]
    assert stored[0].text == OPENER and stored[1].text == replies[-1]
    assert not h.call_over(rita, view.session_id)

    md = h.hang_up(rita, view.session_id)
    assert "## Quality check" in md and "### Operational terms - " in md and "/3" in md
    assert OPENER[:40] in md  # the grade quotes the rep's own words
    assert "- playbook: *" in md and "(`" not in md  # citations by heading and text; no store ids for the rep
    assert h.hang_up(rita, view.session_id) == h.open_session(rita, view.session_id).grade  # graded once, not twice
    assert len(h.services.grades.versions(rita, view.session_id)) == 1

    mine = h.my_sessions(rita)
    assert [c[1] for c in mine.choices] == [view.session_id]
    assert mine.headers[:3] == ["Started (UTC)", "Score", "Outcome"]  # how it went, before the long columns
    row = dict(zip(mine.headers, mine.rows[0], strict=True))
    assert row["Outcome"] == "rep hung up" and row["Score"].endswith("%)")
    detail = h.open_session(rita, view.session_id)
    assert [m["role"] for m in detail.messages] == ["assistant", "user", "assistant"]
    assert detail.messages[1]["content"] == OPENER and "## Quality check" in detail.grade and not detail.active
    quoted = re.findall(r'> turn (\d+): "(.+)"', detail.grade)
    assert quoted, detail.grade
    for turn, quote in quoted:  # "turn N" in the grade is message N of the transcript on screen
        assert detail.messages[int(turn)]["role"] == "user" and quote in detail.messages[int(turn)]["content"]


def test_the_rep_turn_is_stored_before_the_coo_is_asked(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    seen: list[list[str]] = []
    rita = services.users.authenticate("rita", DEMO_PASSWORD)

    def respond(call):  # type: ignore[no-untyped-def]
        seen.append([t.speaker for t in services.sessions.transcript(rita, session_id)])  # the store, mid-reply
        return "Go on, quickly."

    h = make_handlers(services, content, embedder, ScriptedLLM(responder=respond))
    session_id = h.start_call(rita, "priya_raman", "A", "standard").session_id
    *_, reply = h.say(rita, session_id, "Is the ED boarding patients because discharges stall before noon?")
    assert seen and seen[0] == ["rep", "coo"]  # rep turn committed, COO turn pending, before the model ran
    assert reply


def test_bad_messages_warn_and_store_nothing(h: WebHandlers) -> None:
    rita = login(h, "rita")
    session_id = h.start_call(rita, "marcus_hale", "B", "easy").session_id
    with pytest.raises(InputError, match="say something first"):
        next(h.say(rita, session_id, "   "))
    with pytest.raises(InputError, match="at most 300 characters"):
        next(h.say(rita, session_id, "word " * 100))
    assert h.services.sessions.transcript(rita, session_id) == []
    assert list(h.say(rita, session_id, "Is changeover time where your week goes?"))  # the call goes on
    assert len(h.services.sessions.transcript(rita, session_id)) == 2


def test_a_second_line_waits_for_the_coos_reply(h: WebHandlers) -> None:
    rita = login(h, "rita")
    session_id = h.start_call(rita, "marcus_hale", "B", "easy").session_id
    streaming = h.say(rita, session_id, "Is changeover time where your week goes?")
    next(streaming)  # the COO has started answering
    with pytest.raises(InputError, match="still answering"):
        next(h.say(rita, session_id, "Hello? Are you there?"))
    list(streaming)
    assert [t.speaker for t in h.services.sessions.transcript(rita, session_id)] == ["rep", "coo"]
    assert list(h.say(rita, session_id, "How long does a changeover take today?"))  # free again after the reply


def test_an_open_call_is_resumed_after_a_reload(services: Services, content, embedder) -> None:  # type: ignore[no-untyped-def]
    h = make_handlers(services, content, embedder)
    rita = login(h, "rita")
    session_id = a_call(h, rita)
    services.sessions.append_rep_turn(rita, session_id, "How many trucks wait at the doors each morning?")
    # the page (and the process's live call) went away before the COO answered that turn
    later = make_handlers(services, content, embedder)
    mine = later.my_sessions(rita)
    assert dict(zip(mine.headers, mine.rows[0], strict=True))["Outcome"] == "open"
    assert later.open_session(rita, session_id).active
    view, owed = later.resume(rita, session_id)
    assert [m["role"] for m in view.messages] == ["assistant", "user", "assistant", "user"]
    *_, reply = owed
    assert reply.strip()
    turns = services.sessions.transcript(rita, session_id)
    assert [t.speaker for t in turns] == ["rep", "coo", "rep", "coo"] and turns[-1].text == reply
    assert "## Quality check" in later.hang_up(rita, session_id)
    with pytest.raises(InputError, match="ended"):
        later.resume(rita, session_id)


def test_a_rep_cannot_see_or_touch_another_reps_call(h: WebHandlers) -> None:
    rita, raj = login(h, "rita"), login(h, "raj")
    session_id = a_call(h, rita)
    for attempt in (
        lambda: h.open_session(raj, session_id),
        lambda: h.hang_up(raj, session_id),
        lambda: h.resume(raj, session_id),
        lambda: next(h.say(raj, session_id, "hello there")),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    assert h.my_sessions(raj).rows == []
    with pytest.raises(AccessDenied):
        h.team_sessions(raj)
    with pytest.raises(AccessDenied):
        h.export_csv(raj)
    with pytest.raises(AccessDenied):
        h.create_drill(raj, persona_id="dana_okafor", scenario="A", rep_ids=[raj.id])
    assert len(h.services.sessions.transcript(rita, session_id)) == 2  # nothing was added


def test_a_coach_assigns_a_drill_and_the_rep_sees_it(h: WebHandlers) -> None:
    colin, rita, raj = login(h, "colin"), login(h, "rita"), login(h, "raj")
    reps = dict((label.split(" (")[-1].rstrip(")"), rep_id) for label, rep_id in h.rep_choices(colin))
    assert set(reps) == {"rita", "raj", "rosa"}
    with pytest.raises(InputError, match="at least one rep"):
        h.create_drill(colin, persona_id="tomasz_nowak", scenario="A")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        h.create_drill(colin, persona_id="tomasz_nowak", scenario="A", due="next friday", rep_ids=[reps["rita"]])
    with pytest.raises(InputError, match="in the past"):
        h.create_drill(colin, persona_id="tomasz_nowak", scenario="A", due="2020-01-01", rep_ids=[reps["rita"]])
    drill = h.create_drill(
        colin,
        persona_id="tomasz_nowak",
        scenario="A",
        difficulty="hard",
        title="Leave cleanly",
        instructions="Check relevance; exit when it is not theirs.",
        due="2099-12-31",
        pass_mark=60,
        max_attempts=2,
        rep_ids=[reps["rita"]],
    )
    assert (drill.difficulty, drill.pass_mark, drill.max_attempts) == ("hard", 60, 2)
    assert any(drill_id == drill.id for _label, drill_id in h.my_drill_choices(rita))
    assert all(drill_id != drill.id for _label, drill_id in h.my_drill_choices(raj))
    label = next(label for label, drill_id in h.my_drill_choices(rita) if drill_id == drill.id)
    assert "Leave cleanly" in label and "not started" in label and "due 2099-12-31" in label

    view = h.start_call(rita, None, None, None, drill.id)  # the drill sets persona, scenario and difficulty
    assert "Tomasz Nowak" in view.title and "Leave cleanly" in view.title and "difficulty hard" in view.title
    with pytest.raises(NotFoundError):
        h.start_call(raj, None, None, None, drill.id)

    table = h.team_drills(colin)
    row = dict(zip(table.headers, table.rows[[c[1] for c in table.choices].index(drill.id)], strict=True))
    assert (row["Assigned"], row["In progress"], row["Passed"]) == ("1", "1", "0")
    completion = h.drill_completion(colin, drill.id)
    assert completion.rows == [["rita", "in progress", "1", "1", "", "", ""]]
    maria = login(h, "maria")
    assert h.drill_completion(maria, drill.id).rows == completion.rows  # the manager sees it too
    with pytest.raises(AccessDenied):
        h.create_drill(maria, persona_id="dana_okafor", scenario="A", rep_ids=[reps["rita"]])  # coaches set drills


def test_the_manager_reviews_team_sessions_and_exports_csv(h: WebHandlers) -> None:
    rita, raj, maria, colin = login(h, "rita"), login(h, "raj"), login(h, "maria"), login(h, "colin")
    graded = a_call(h, rita)
    h.hang_up(rita, graded)
    still_open = a_call(h, raj)

    table = h.team_sessions(maria)
    assert {c[1] for c in table.choices} == {graded, still_open}
    rows = {r[1]: dict(zip(table.headers, r, strict=True)) for r in table.rows}
    assert rows["rita"]["Outcome"] == "rep hung up" and rows["rita"]["Score"]
    assert rows["raj"]["Outcome"] == "open" and rows["raj"]["Score"] == ""
    assert {c[1] for c in h.team_sessions(maria, rep_id=rita.id).choices} == {graded}
    assert {c[1] for c in h.team_sessions(maria, state="active").choices} == {still_open}
    assert h.team_sessions(maria, scenario="C").rows == []
    assert h.team_sessions(maria, date_to="2000-01-01").rows == []
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        h.team_sessions(maria, date_from="yesterday")
    assert {c[1] for c in h.team_sessions(colin).choices} == {graded, still_open}  # the coach sees the reps too

    detail = h.open_session(maria, graded)
    assert detail.title.startswith("**rita**") and "## Quality check" in detail.grade and not detail.active
    assert detail.messages[1] == {"role": "user", "content": OPENER}

    exported = list(csv.DictReader(io.StringIO(h.export_csv(maria))))
    by_id = {r["session_id"]: r for r in exported}
    assert set(by_id) == {graded, still_open}
    assert by_id[graded]["username"] == "rita" and by_id[graded]["total"] != ""
    assert "operational_terms" in by_id[graded]
    assert [r["session_id"] for r in csv.DictReader(io.StringIO(h.export_csv(maria, rep_id=raj.id)))] == [still_open]


def test_nobody_signed_in_gets_nothing(h: WebHandlers) -> None:
    assert h.actor(None) is None and h.actor("") is None and h.actor("nobody") is None
    assert h.tabs(None) == ()
    rita = login(h, "rita")
    session_id = a_call(h, rita)
    for attempt in (
        lambda: h.whoami(None),
        lambda: h.persona_choices(None),
        lambda: h.start_call(None, "dana_okafor", "A", "standard"),
        lambda: next(h.say(None, session_id, "hello there")),
        lambda: h.hang_up(None, session_id),
        lambda: h.resume(None, session_id),
        lambda: h.my_sessions(None),
        lambda: h.open_session(None, session_id),
        lambda: h.my_drill_choices(None),
        lambda: h.team_sessions(None),
        lambda: h.export_csv(None),
        lambda: h.team_drills(None),
        lambda: h.create_drill(None, persona_id="dana_okafor", scenario="A", whole_team=True),
        lambda: h.abandon_call(None, session_id),
        lambda: h.criterion_choices(None, session_id),
        lambda: h.override_score(None, session_id, "clarity", 3, "because"),
        lambda: h.team_trends(None),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    assert len(h.services.sessions.transcript(rita, session_id)) == 2


def test_each_role_sees_its_own_tabs(h: WebHandlers) -> None:
    assert h.tabs(login(h, "rita")) == ("practice", "sessions", "playbook")
    assert set(h.tabs(login(h, "colin"))) == {"practice", "sessions", "drills", "team", "trends", "playbook"}
    assert set(h.tabs(login(h, "maria"))) >= {"team", "drills", "trends"}
    assert h.can_override(login(h, "maria")) and not h.can_override(login(h, "colin"))
    assert not h.can_override(login(h, "rita")) and not h.can_override(None)
    assert h.can_create_drills(login(h, "colin")) and not h.can_create_drills(login(h, "maria"))
    assert "Rita Rep" in h.whoami(login(h, "rita")) and "Demo team" in h.whoami(login(h, "rita"))


def test_a_stored_grade_renders_as_the_grader_wrote_it(h: WebHandlers) -> None:
    rita = login(h, "rita")
    session_id = a_call(h, rita)
    live_md = h.hang_up(rita, session_id)
    stored = h.services.grades.latest(rita, session_id)
    assert stored is not None
    grade = Grade.from_dict(stored.grade.document)
    assert grade.to_dict() == stored.grade.document
    assert grade_markdown(grade, passage_ids=False) == live_md


def test_trainer_serve_launches_the_app_behind_the_login(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`trainer serve` wires settings, the users' login and the queue; the launch itself is recorded, not served."""
    import gradio as gr
    from typer.testing import CliRunner

    from trainer.cli import app as cli
    from trainer.services.demo import seed_demo as seed
    from trainer.wiring import build_services

    monkeypatch.setenv("TRAINER_PORT", "7999")
    Database(f"sqlite:///{data_dir / 'trainer.sqlite3'}").upgrade()
    seed(build_services(get_settings()))
    launched: dict = {}

    def fake_launch(self, **kwargs):  # type: ignore[no-untyped-def]
        launched.update(kwargs, concurrency=self._queue.default_concurrency_limit)

    monkeypatch.setattr(gr.Blocks, "launch", fake_launch)
    result = CliRunner().invoke(cli, ["serve", "--no-llm"])
    assert result.exit_code == 0, result.output
    assert (launched["server_name"], launched["server_port"], launched["concurrency"]) == ("127.0.0.1", 7999, 16)
    assert "http://127.0.0.1:7999/" in result.output
    assert launched["auth"]("rita", DEMO_PASSWORD) and not launched["auth"]("rita", "wrong password")


def other_teams_manager(h: WebHandlers) -> Actor:
    team = h.services.users.ensure_team(COMMAND_LINE, "Other team")
    h.services.users.add_user(COMMAND_LINE, "otto", DEMO_PASSWORD, "manager", team.id, "Otto Other")
    return login(h, "otto")


def test_a_rep_abandons_an_open_drill_call_and_starts_it_again(h: WebHandlers) -> None:
    rita, raj, maria = login(h, "rita"), login(h, "raj"), login(h, "maria")
    label, drill_id = next((label, d) for label, d in h.my_drill_choices(rita) if "attempts left" in label)
    assert "3 attempts left" in label
    session_id = h.start_call(rita, None, None, None, drill_id).session_id
    streaming = h.say(rita, session_id, OPENER)
    next(streaming)
    with pytest.raises(InputError, match="still answering"):
        h.abandon_call(rita, session_id)
    list(streaming)
    with pytest.raises(InputError, match="already have an attempt at this drill open"):
        h.start_call(rita, None, None, None, drill_id)
    with pytest.raises(NotFoundError):
        h.abandon_call(raj, session_id)
    with pytest.raises(AccessDenied, match="only the person practising"):
        h.abandon_call(maria, session_id)  # the manager sees the call but does not drop it
    assert h.open_session(rita, session_id).active

    assert "abandoned" in h.abandon_call(rita, session_id)
    mine = dict(zip(h.my_sessions(rita).headers, h.my_sessions(rita).rows[0], strict=True))
    assert (mine["Outcome"], mine["Score"]) == ("abandoned", "")
    team = h.team_sessions(maria, state="abandoned")
    assert [c[1] for c in team.choices] == [session_id] and team.rows[0][team.headers.index("Outcome")] == "abandoned"
    assert "not graded" in h.hang_up(rita, session_id)  # hanging up later grades nothing
    assert h.services.grades.latest(rita, session_id) is None
    assert not h.open_session(rita, session_id).active
    with pytest.raises(InputError, match="already abandoned"):
        h.abandon_call(rita, session_id)
    with pytest.raises(InputError, match="ended"):
        h.resume(rita, session_id)

    assert "3 attempts left" in dict((d, lbl) for lbl, d in h.my_drill_choices(rita))[drill_id]  # did not count
    again = h.start_call(rita, None, None, None, drill_id)  # the drill is free again
    assert again.session_id != session_id
    assert "2 attempts left" in dict((d, lbl) for lbl, d in h.my_drill_choices(rita))[drill_id]
    list(h.say(rita, again.session_id, OPENER))
    verdict = h.hang_up(rita, again.session_id).splitlines()[2]  # one line and gone: far from the pass mark
    assert (
        verdict.startswith("**Drill ") and ": not passed** - this call " in verdict and "; 2 attempts left." in verdict
    )
    h.start_call(rita, None, None, None, drill_id)
    assert "1 attempt left)" in dict((d, lbl) for lbl, d in h.my_drill_choices(rita))[drill_id]


def test_the_manager_overrides_a_score_with_a_reason(h: WebHandlers) -> None:
    rita, maria, colin = login(h, "rita"), login(h, "maria"), login(h, "colin")
    otto = other_teams_manager(h)
    session_id = a_call(h, rita)
    h.hang_up(rita, session_id)
    before = h.services.grades.latest(maria, session_id)
    assert before is not None and before.total is not None
    choices = dict((cid, label) for label, cid in h.criterion_choices(maria, session_id))
    assert set(QUALITY_CRITERIA) <= set(choices)
    ai, top = before.grade.criterion_scores()["clarity"]
    assert choices["clarity"] == f"Clarity: {ai}/{top} (AI {ai})"
    new = ai + 1 if ai < top else ai - 1

    for who, error in ((rita, AccessDenied), (colin, AccessDenied), (otto, NotFoundError)):
        with pytest.raises(error):
            h.override_score(who, session_id, "clarity", new, "a reason")
    with pytest.raises(InputError, match="say why"):
        h.override_score(maria, session_id, "clarity", new, "   ")
    with pytest.raises(InputError, match=f"a score for clarity is a whole number from 0 to {top}"):
        h.override_score(maria, session_id, "clarity", top + 1, "too generous")
    with pytest.raises(InputError, match="whole number"):
        h.override_score(maria, session_id, "clarity", "2.5", "half marks")
    with pytest.raises(InputError, match="choose the criterion"):
        h.override_score(maria, session_id, "", new, "a reason")
    open_call = a_call(h, rita)
    with pytest.raises(InputError, match="no grade yet"):
        h.override_score(maria, open_call, "clarity", new, "a reason")
    assert h.services.grades.latest(maria, session_id) == before  # nothing was stored

    md = h.override_score(maria, session_id, "clarity", new, "She said it in one plain sentence")
    total = before.total - ai + new
    assert f"Total with overrides: {total:g}/{before.grade.max_total:g}" in md
    top_line = next(line for line in md.splitlines() if line.startswith("**Total:"))  # the first total a reader sees
    assert top_line.startswith(f"**Total: {total:g}/") and "with manager overrides (AI: " in top_line
    assert f"### Clarity - {new}/{top} (manager; AI: {ai}/{top})" in md
    assert f"Clarity: **{new}** (AI: {ai}) - by maria, " in md and "She said it in one plain sentence" in md
    assert dict((cid, label) for label, cid in h.criterion_choices(maria, session_id))["clarity"].startswith(
        f"Clarity: {new}/{top} (AI {ai})"
    )
    team = h.team_sessions(maria)
    score = dict(zip(team.headers, team.rows[[c[1] for c in team.choices].index(session_id)], strict=True))["Score"]
    assert score.startswith(f"{total:g}/") and score.endswith(" *")
    assert "by maria" in h.open_session(rita, session_id).grade  # the rep reads who changed the score, and why
    assert len(h.services.grades.versions(maria, session_id)) == 1  # the AI's grade is kept as it was

    md = h.override_score(maria, session_id, "clarity", ai, "On reflection the AI had it right")
    assert f"Clarity: **{ai}** (AI: {ai}) - by maria, " in md  # the newest counts
    assert f"*replaced:* Clarity: {new} (AI: {ai}) - by maria, " in md  # and the one it replaced stays on record
    assert "She said it in one plain sentence" in md


@pytest.fixture
def clocked(tmp_path: Path, content, embedder) -> Iterator[tuple[WebHandlers, Clock]]:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'trends.sqlite3'}")
    db.upgrade()
    clock = Clock()
    services = Services(db, content, passwords=Passwords.fast(), clock=clock)
    seed_demo(services)
    yield make_handlers(services, content, embedder), clock
    db.dispose()


def graded_call(h: WebHandlers, rep: Actor, scores: dict[str, int], scenario: str = "A") -> str:
    s = h.services.sessions
    session = s.start(rep, persona_id="dana_okafor", scenario=scenario, seed=1)
    s.append_rep_turn(rep, session.id, OPENER)
    s.end(rep, session.id, None)
    h.services.grades.store_grade(rep, session.id, grade_doc(scores))
    return session.id


def test_the_team_trends_per_criterion_over_time(clocked: tuple[WebHandlers, Clock]) -> None:
    import datetime as dt

    h, clock = clocked
    rita, raj, maria, colin = login(h, "rita"), login(h, "raj"), login(h, "maria"), login(h, "colin")
    first_week = clock.now.date() - dt.timedelta(days=clock.now.weekday())
    graded_call(h, rita, {"operational_terms": 1, "real_constraint": 2, "disruption_risk": 0, "clarity": 3})
    graded_call(h, raj, {"operational_terms": 3, "real_constraint": 1, "disruption_risk": 2, "clarity": 2}, "B")
    a_call(h, rita)  # open, not graded: not counted
    clock.advance(days=7)
    later = graded_call(h, rita, {"operational_terms": 2, "real_constraint": 3, "disruption_risk": 1, "clarity": 3})

    trends = h.team_trends(maria)
    assert trends.table.headers == ["Period", "Operational terms", "Real constraint", "Disruption risk", "Clarity"]
    week2 = first_week + dt.timedelta(days=7)
    assert trends.table.rows == [
        [f"week of {first_week}", "2.00 (2)", "1.50 (2)", "1.00 (2)", "2.50 (2)"],
        [f"week of {week2}", "2.00 (1)", "3.00 (1)", "1.00 (1)", "3.00 (1)"],
    ]
    assert (first_week, "Operational terms", 2.0, 2) in trends.points and len(trends.points) == 8
    assert h.team_trends(colin).table.rows == trends.table.rows  # the coach sees the reps' trends too

    assert h.team_trends(maria, rep_id=raj.id).table.rows == [
        [f"week of {first_week}", "3.00 (1)", "1.00 (1)", "2.00 (1)", "2.00 (1)"]
    ]
    assert [r[0] for r in h.team_trends(maria, scenario="B").table.rows] == [f"week of {first_week}"]
    assert h.team_trends(maria, date_to="2000-01-01").table.rows == []
    assert len(h.team_trends(maria, period="day").table.rows) == 2

    grade = h.services.grades.latest(maria, later)
    assert grade is not None
    h.services.grades.override(maria, grade.grade.id, "operational_terms", 0, "no numbers at all")
    assert h.team_trends(maria).table.rows[1][1] == "0.00 (1)"  # the score that counts

    with pytest.raises(InputError, match="day, month"):
        h.team_trends(maria, period="year")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        h.team_trends(maria, date_from="last week")
    with pytest.raises(AccessDenied):
        h.team_trends(rita)
    team_id = maria.team_id
    with pytest.raises(AccessDenied, match="own team"):
        h.team_trends(other_teams_manager(h), team_id=team_id)


def test_old_csv_exports_are_removed_from_disk_when_a_new_one_is_written(tmp_path: Path) -> None:
    exports = ExportFolder(max_age_s=60)
    first = exports.write("team-sessions-1.csv", "session_id\ns1\n")
    assert first.read_text(encoding="utf-8") == "session_id\ns1\n"
    an_hour_ago = time.time() - 3600
    os.utime(first, (an_hour_ago, an_hour_ago))
    recent = exports.write("team-sessions-2.csv", "session_id\ns2\n")
    second = exports.write("team-sessions-3.csv", "session_id\ns3\n")
    assert not first.exists()
    assert recent.exists() and second.exists()  # a download still being fetched is left alone
    assert second.parent == first.parent  # one folder per app, not one per click


def test_the_demo_clean_exit_drill_is_passed_by_leaving_well(h: WebHandlers) -> None:
    """The demo's "Know when to leave" drill: the COO no longer has the problem, and a textbook clean exit passes it
    (it scores about 8 of 12 on the quality check, so the pass mark must allow it)."""
    rita = login(h, "rita")
    drill_id = next(d for label, d in h.my_drill_choices(rita) if label.startswith("Know when to leave"))
    view = h.start_call(rita, None, None, None, drill_id)
    for line in (
        "Marcus, it's Rita from Flowline. We spoke last year about changeover time on the presses, and it stalled "
        "when spending froze. Is changeover still where your week goes, or should I close it off?",
        "Understood, so the new cell took changeovers off the table. Then I'll close it off on our side and not "
        "chase you. Thanks for telling me straight.",
    ):
        list(h.say(rita, view.session_id, line))
        if h.call_over(rita, view.session_id):
            break
    grade = h.hang_up(rita, view.session_id)
    assert "clean exit" in grade.lower()
    assert "**Drill 'Know when to leave': passed** - this call " in grade.splitlines()[2]  # said first, under the title
    assert "passed" in dict((d, lbl) for lbl, d in h.my_drill_choices(rita))[drill_id]


def test_the_rep_s_open_call_is_found_after_a_reload(h: WebHandlers) -> None:
    rita, raj = login(h, "rita"), login(h, "raj")
    assert h.open_call(rita) is None
    session_id = a_call(h, rita)
    assert h.open_call(rita) == session_id and h.open_call(raj) is None  # only one's own
    h.hang_up(rita, session_id)
    assert h.open_call(rita) is None


def test_the_coach_hears_when_a_pass_mark_is_out_of_reach(h: WebHandlers) -> None:
    colin = login(h, "colin")
    rita = h.services.users.authenticate("rita", DEMO_PASSWORD)
    assert rita is not None

    def drill(persona_id: str, scenario: str, pass_mark: int) -> Drill:
        return h.create_drill(colin, persona_id=persona_id, scenario=scenario, pass_mark=pass_mark, rep_ids=[rita.id])

    exit_drill = drill("marcus_hale", "C", 75)  # Marcus no longer has the problem: the call to make is a clean exit
    assert "may not be reachable" in (h.drill_caveat(exit_drill) or "")
    assert h.drill_caveat(drill("marcus_hale", "C", 60)) is None
    assert h.drill_caveat(drill("dana_okafor", "A", 90)) is None  # the problem is real: any mark can be earned
