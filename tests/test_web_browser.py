"""The web app in a real browser: Debian's chromium driven by Playwright against the app launched in-process on a
loopback port (demo team on a temporary SQLite store, authored COO lines, no model). A rep logs in, calls, hears the
COO, hangs up and reads the grade; a manager finds the rep's call in the team sessions."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from trainer.adapters.chroma_store import open_store
from trainer.adapters.db import Database
from trainer.services import knowledge
from trainer.services.demo import DEMO_PASSWORD, seed_demo
from trainer.services.facade import Services
from trainer.services.grading import GradingService
from trainer.services.live_calls import LiveCalls
from trainer.services.passwords import Passwords
from trainer.services.practice import PracticeService
from trainer.settings import get_settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 15_000
OPENER = "We see distribution centres where the doors are full but putaway lags. Is that your week?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("TRAINER_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing: make test installs it (scripts/apt-deps.sh)")
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` (or run make test) for the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, content, embedder) -> Iterator[tuple[str, Services]]:  # type: ignore[no-untyped-def]
    from trainer.web.app import create_app, login_checker
    from trainer.web.handlers import WebHandlers

    db = Database(f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.sqlite3'}")
    db.upgrade()
    services = Services(db, content, passwords=Passwords.fast())
    seed_demo(services)
    settings = get_settings()
    practice = PracticeService(settings, content=content, embedder=embedder, use_llm=False)
    store = open_store(path=tmp_path_factory.mktemp("kb"), embedder=embedder, glossary=content.glossary)
    knowledge.ingest([ROOT / "playbooks" / "coo_phone_outbound.md"], store=store, embedder=embedder, progress=False)
    grading = GradingService(settings, content=content, embedder=embedder, store=store)
    blocks = create_app(settings, handlers=WebHandlers(services, LiveCalls(services, practice, grading)))
    port = _free_port()
    blocks.queue(default_concurrency_limit=16).launch(
        prevent_thread_lock=True,
        auth=login_checker(services),
        server_name="127.0.0.1",
        server_port=port,
        quiet=True,
    )
    yield f"http://127.0.0.1:{port}/", services
    blocks.close()
    db.dispose()


def _login(chromium: Any, url: str, username: str) -> Any:
    from playwright.sync_api import expect

    page = chromium.new_context().new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.get_by_label("username").fill(username)
    page.get_by_label("password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#whoami")).to_contain_text("Signed in as", timeout=WAIT_MS)
    return page


def _call_and_open(page: Any) -> Any:
    """Start a call on the Practice tab, say the opener, wait for the COO's reply; the message box."""
    from playwright.sync_api import expect

    page.locator("#start-call").click()
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(1, timeout=WAIT_MS)  # the greeting: the call is on
    msg = page.locator("#msg textarea")
    msg.fill(OPENER)
    msg.press("Enter")
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(2, timeout=WAIT_MS)
    return msg


def test_a_rep_calls_the_coo_and_reads_the_grade(chromium: Any, app: tuple[str, Services], content) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    url, _services = app
    page = _login(chromium, url, "rita")
    expect(page.locator("#whoami")).to_contain_text("Rita Rep")
    expect(page.get_by_role("tab", name="Practice")).to_be_visible()
    expect(page.get_by_role("tab", name="Team sessions")).to_have_count(0)  # not a rep's tab

    page.locator("#start-call").click()
    greeting = content.personas["dana_okafor"].scenarios["A"].opening_line
    expect(page.locator("#chat")).to_contain_text(greeting[:40], timeout=WAIT_MS)

    msg = page.locator("#msg textarea")
    msg.fill("   ")
    msg.press("Enter")
    expect(page.get_by_text("say something first").first).to_be_visible(timeout=WAIT_MS)

    msg.fill(OPENER)
    msg.press("Enter")
    expect(page.locator("#chat")).to_contain_text(OPENER[:40], timeout=WAIT_MS)
    bots = page.locator("#chat [data-testid='bot']")
    expect(bots).to_have_count(2, timeout=WAIT_MS)  # the greeting and the COO's reply
    expect(bots.nth(1)).not_to_be_empty()
    expect(msg).to_have_value("")

    page.locator("#start-call").click()  # a second call while on this one: refused, this call stays on screen
    expect(page.get_by_text("You are still on a call").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#chat")).to_contain_text(OPENER[:40])
    expect(bots).to_have_count(2)

    page.locator("#hang-up").click()
    expect(page.locator("#grade")).to_contain_text("Quality check", timeout=WAIT_MS)
    expect(page.locator("#grade")).to_contain_text("Operational terms")
    expect(page.locator("#chat")).to_contain_text("You hung up. The call is over")

    page.get_by_role("tab", name="My sessions").click()
    expect(page.locator("#my-sessions")).to_contain_text("rep hung up", timeout=WAIT_MS)
    page.locator("#my-sessions [data-testid='cell-0-2']").click()  # a click on the row opens the call
    expect(page.locator("#my-grade")).to_contain_text("Quality check", timeout=WAIT_MS)
    expect(page.locator("#my-chat")).to_contain_text(OPENER[:40])


def test_when_the_coo_ends_the_call_the_chat_says_so_and_the_grade_appears(
    chromium: Any, app: tuple[str, Services]
) -> None:
    from playwright.sync_api import expect

    url, _services = app
    page = _login(chromium, url, "raj")
    page.locator("#start-call").click()
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(1, timeout=WAIT_MS)
    msg = page.locator("#msg textarea")
    msg.fill("Hi, we sell an AI platform with dashboards and automation. Can I book you a demo next week?")
    msg.press("Enter")  # a pitch and a push for a demo: the COO brushes the rep off and the call ends
    expect(page.locator("#chat")).to_contain_text("The COO ended the call. The call is over", timeout=WAIT_MS)
    expect(page.locator("#grade")).to_contain_text("Quality check", timeout=WAIT_MS)
    page.get_by_role("tab", name="My sessions").click()
    expect(page.locator("#my-sessions")).to_contain_text("Dana Okafor", timeout=WAIT_MS)
    expect(page.locator("#my-sessions")).to_contain_text("COO deferred")  # who ended it, said


def test_choosing_a_drill_shows_the_call_it_sets(chromium: Any, app: tuple[str, Services]) -> None:
    import re

    from playwright.sync_api import expect

    url, _services = app
    page = _login(chromium, url, "raj")
    expect(page.locator("#persona input")).to_have_value(re.compile("^Dana Okafor"), timeout=WAIT_MS)
    page.locator("#drill input").click()
    page.get_by_role("option", name=re.compile("Know when to leave")).click()
    expect(page.locator("#persona input")).to_have_value(re.compile("^Marcus Hale"), timeout=WAIT_MS)
    expect(page.locator("#scenario input")).to_have_value(re.compile("^C"))
    expect(page.locator("#difficulty input")).to_have_value("hard")
    expect(page.locator("#persona input")).to_be_disabled()  # the drill sets the call
    _call_and_open(page)
    page.locator("#hang-up").click()
    expect(page.locator("#grade")).to_contain_text("Drill 'Know when to leave'", timeout=WAIT_MS)
    expect(page.locator("#drill input")).to_have_value(re.compile("2 attempts left"), timeout=WAIT_MS)  # refreshed
    page.locator("#drill input").click()
    page.get_by_role("option", name="(free practice)").click()
    expect(page.locator("#persona input")).to_be_enabled(timeout=WAIT_MS)


def test_the_manager_sees_the_reps_call_in_the_team_sessions(chromium: Any, app: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    url, services = app
    raj = services.users.authenticate("raj", DEMO_PASSWORD)
    session = services.sessions.start(raj, persona_id="marcus_hale", scenario="C", seed=1)
    services.sessions.append_rep_turn(raj, session.id, "Is changeover time where your week goes?")
    rita = services.users.authenticate("rita", DEMO_PASSWORD)
    services.sessions.start(rita, persona_id="dana_okafor", scenario="A", seed=1)
    page = _login(chromium, url, "maria")
    expect(page.get_by_role("tab", name="Team sessions")).to_be_visible()
    table = page.locator("#team-sessions")
    expect(table).to_contain_text("raj", timeout=WAIT_MS)
    expect(table).to_contain_text("Marcus Hale")

    page.locator("#team-export").click()
    expect(page.locator("#team-csv")).to_contain_text("team-sessions-", timeout=WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as download:
        page.locator("#team-csv a").first.click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("session_id,username,") and f"{session.id},raj," in exported and ",rita," in exported

    page.locator("#team-rep input").click()
    page.get_by_role("option", name="raj").first.click()  # no Apply: a filter applies when chosen
    expect(table).not_to_contain_text("rita", timeout=WAIT_MS)
    expect(table).to_contain_text("raj")
    page.locator("#team-export").click()  # and the export is the table on screen
    expect(page.locator("#team-csv")).to_contain_text("team-sessions-", timeout=WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as download:
        page.locator("#team-csv a").first.click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert ",raj," in exported and ",rita," not in exported

    page.get_by_role("tab", name="Drills").click()
    expect(page.locator("#team-drills")).to_contain_text("Warm-up: find the real constraint", timeout=WAIT_MS)
    expect(page.locator("#drill-create")).to_be_hidden()  # a manager sees the drills but does not set them


def test_the_coach_sets_drills_and_sees_the_teams_drills(chromium: Any, app: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    url, _services = app
    page = _login(chromium, url, "colin")
    expect(page.locator("#drill-create")).to_be_visible(timeout=WAIT_MS)  # the coach lands on Drills
    expect(page.locator("#team-drills")).to_contain_text("Warm-up: find the real constraint", timeout=WAIT_MS)
    expect(page.locator("#drill-reps")).to_contain_text("Rita Rep")


def test_a_call_left_open_by_a_reload_is_resumed(chromium: Any, app: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    url, _services = app
    page = _login(chromium, url, "rosa")
    msg = _call_and_open(page)

    page.reload()  # the call comes back on Practice by itself
    expect(page.get_by_text("Your call was still open").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#chat")).to_contain_text(OPENER[:40], timeout=WAIT_MS)
    next_line = "Where does the time go between the door and the shelf?"
    msg.fill(next_line)
    msg.press("Enter")
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(3, timeout=WAIT_MS)

    page.get_by_role("tab", name="My sessions").click()  # and My sessions can pick it up too
    expect(page.locator("#my-sessions")).to_contain_text("open", timeout=WAIT_MS)
    page.locator("#my-pick input").click()
    page.get_by_role("option").first.click()
    page.locator("#my-open").click()
    page.locator("#my-resume").click()
    expect(page.locator("#chat")).to_contain_text(next_line, timeout=WAIT_MS)  # back on Practice, call rebuilt
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(3, timeout=WAIT_MS)


def test_the_manager_overrides_a_score_and_sees_the_new_total(chromium: Any, app: tuple[str, Services]) -> None:
    import re

    from playwright.sync_api import expect

    from tests.store_support import grade_doc

    url, services = app
    raj = services.users.authenticate("raj", DEMO_PASSWORD)
    session = services.sessions.start(raj, persona_id="priya_raman", scenario="A", seed=1)
    services.sessions.append_rep_turn(raj, session.id, "Do discharges stall before noon on your wards?")
    services.sessions.end(raj, session.id, None)
    scores = {"operational_terms": 1, "real_constraint": 2, "disruption_risk": 1, "clarity": 2}
    graded = services.grades.store_grade(raj, session.id, grade_doc(scores))

    page = _login(chromium, url, "maria")
    expect(page.locator("#team-sessions")).to_contain_text("Priya Raman", timeout=WAIT_MS)
    page.locator("#team-pick input").click()
    page.get_by_role("option", name=re.compile("Priya Raman")).click()
    page.locator("#team-open").click()
    expect(page.locator("#team-grade")).to_contain_text("Call grade", timeout=WAIT_MS)
    expect(page.locator("#override-criterion input")).to_have_value(re.compile("Operational terms: 1/3"))
    page.locator("#override-score input").fill("3")
    page.locator("#override-save").click()  # no reason yet: a warning; the form stays filled and usable
    expect(page.get_by_text("an override needs a comment").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#team-grade")).to_contain_text("Call grade")
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)  # no error badge over the form or the grade
    expect(page.locator("#override-score input")).to_have_value("3")
    page.locator("#override-reason textarea").fill("She named the discharge time before noon")
    page.locator("#override-save").click()
    new_total = f"{sum(scores.values()) + 2:g}/{graded.max_total:g}"
    expect(page.locator("#team-grade")).to_contain_text(f"Total with overrides: {new_total}", timeout=WAIT_MS)
    expect(page.locator("#team-grade")).to_contain_text("by maria")
    expect(page.locator("#team-sessions")).to_contain_text(f"{new_total} (", timeout=WAIT_MS)


def test_a_rep_abandons_a_call_and_it_is_not_graded(chromium: Any, app: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    url, _services = app
    page = _login(chromium, url, "rita")
    msg = _call_and_open(page)

    page.once("dialog", lambda dialog: dialog.dismiss())  # "drop this call?" - no: the call goes on
    page.locator("#abandon-call").click()
    msg.fill("Where does a truck wait longest?")
    msg.press("Enter")
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(3, timeout=WAIT_MS)

    page.once("dialog", lambda dialog: dialog.accept())  # yes: dropped
    page.locator("#abandon-call").click()
    expect(page.locator("#grade")).to_contain_text("Call abandoned", timeout=WAIT_MS)
    msg.fill("Are you still there?")
    msg.press("Enter")
    expect(page.get_by_text("ended").first).to_be_visible(timeout=WAIT_MS)  # nothing more is said on this call
    expect(page.locator("#chat [data-testid='user']")).to_have_count(2)

    page.get_by_role("tab", name="My sessions").click()
    expect(page.locator("#my-sessions")).to_contain_text("abandoned", timeout=WAIT_MS)


def test_the_manager_reads_the_teams_trend_per_criterion(chromium: Any, app: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    from tests.store_support import grade_doc

    url, services = app
    rosa = services.users.authenticate("rosa", DEMO_PASSWORD)
    for scores in ({"operational_terms": 1, "real_constraint": 1, "disruption_risk": 0, "clarity": 1},
                   {"operational_terms": 3, "real_constraint": 2, "disruption_risk": 2, "clarity": 3}):  # fmt: skip
        session = services.sessions.start(rosa, persona_id="tomasz_nowak", scenario="B", seed=1)
        services.sessions.append_rep_turn(rosa, session.id, "Where does a job wait longest before a van leaves?")
        services.sessions.end(rosa, session.id, None)
        services.grades.store_grade(rosa, session.id, grade_doc(scores))

    page = _login(chromium, url, "maria")
    page.get_by_role("tab", name="Trends").click()
    page.locator("#trend-rep input").click()
    page.get_by_role("option", name="rosa", exact=False).first.click()
    page.locator("#trend-show").click()
    table = page.locator("#trend-table")
    expect(table).to_contain_text("Operational terms", timeout=WAIT_MS)
    expect(table).to_contain_text("2.00 (2)")  # operational terms: (1 + 3) / 2 over two graded calls
    expect(table).to_contain_text("1.00 (2)")  # disruption risk: (0 + 2) / 2
    expect(page.locator("#trend-note")).to_contain_text("One period so far")  # why the plot has no line yet


def test_a_rep_looks_something_up_in_the_playbook(chromium: Any, app: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    url, _ = app
    page = _login(chromium, url, "rita")
    page.get_by_role("tab", name="Playbook").click()
    query = page.locator("#playbook-query textarea")
    query.fill("they told me IT would never sign off on it")
    query.press("Enter")
    results = page.locator("#playbook-results")
    expect(results).to_contain_text("IT will block this", timeout=WAIT_MS)
    page.locator("#playbook-search").click()  # the button asks the same
    expect(results).to_contain_text("IT will block this", timeout=WAIT_MS)
    page.locator("#playbook-read").get_by_text("Read the whole playbook").click()
    expect(page.locator("#playbook-text")).to_contain_text("Movement 4", timeout=WAIT_MS)
