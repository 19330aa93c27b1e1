"""The Playbook tab's handler, called directly: anyone signed in asks the playbook a question in their own words and
reads the passages that answer it, over the real ingested playbook (MiniLM + Chroma in a temporary folder)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT
from trainer.adapters.chroma_store import open_store
from trainer.adapters.db import Database
from trainer.adapters.llm.scripted import ScriptedLLM
from trainer.errors import AccessDenied, InputError
from trainer.playbook.query_terms import QueryTerms
from trainer.services import knowledge
from trainer.services.demo import seed_demo
from trainer.services.facade import Services
from trainer.services.grading import GradingService
from trainer.services.live_calls import LiveCalls
from trainer.services.passwords import Passwords
from trainer.services.practice import PracticeService
from trainer.settings import Settings, get_settings
from trainer.web.handlers import WebHandlers

MARKDOWN_PLAYBOOK = ROOT / "playbooks" / "coo_phone_outbound.md"


@pytest.fixture
def services(tmp_path: Path, content) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    db.upgrade()
    services = Services(db, content, passwords=Passwords.fast())
    seed_demo(services)
    yield services
    db.dispose()


def handlers(
    services: Services, content, embedder, store=None, settings: Settings | None = None, reader=None
) -> WebHandlers:  # type: ignore[no-untyped-def]
    settings = settings or get_settings()
    practice = PracticeService(settings, content=content, embedder=embedder, use_llm=False)
    grading = GradingService(settings, content=content, embedder=embedder, store=store)
    return WebHandlers(services, LiveCalls(services, practice, grading), reader)


@pytest.fixture
def ingested(tmp_path: Path, content, embedder):  # type: ignore[no-untyped-def]
    store = open_store(path=tmp_path / "kb", embedder=embedder, glossary=content.glossary)
    knowledge.ingest([MARKDOWN_PLAYBOOK], store=store, embedder=embedder, progress=False)
    return store


def test_a_rep_asks_the_playbook_in_their_own_words(services: Services, content, embedder, ingested) -> None:  # type: ignore[no-untyped-def]
    h = handlers(services, content, embedder, ingested)
    rita = h.actor("rita")
    assert "playbook" in h.tabs(rita) and "playbook" in h.tabs(h.actor("maria"))
    answer = h.search_playbook(rita, "the COO told me they'd rather hire more people")
    assert '"We need more staff"' in answer  # the objection's passage, under its heading
    assert "Also searched for the playbook's words: more staff" in answer  # the glossary's "hire"
    assert answer.count("**") == 6  # three passages, each under its heading path


def test_a_capable_model_reads_the_question_when_one_is_configured(  # type: ignore[no-untyped-def]
    services: Services, content, embedder, ingested
) -> None:
    llm = ScriptedLLM(capable=True).queue({"playbook_terms": ["tool talk"]})
    h = handlers(services, content, embedder, ingested, reader=QueryTerms(llm, content.prompts, content.glossary))
    answer = h.search_playbook(h.actor("colin"), "he wouldn't stop going on about his screens")
    assert "And, as the model read your question: tool talk" in answer
    assert answer.count("tool talk") >= 2  # and the passage that warns against it is among the results
    assert "he wouldn't stop going on about his screens" in llm.calls[0].messages[0].content


def test_the_search_keeps_to_the_part_of_the_playbook_asked_for(
    services: Services, content, embedder, ingested
) -> None:  # type: ignore[no-untyped-def]
    h = handlers(services, content, embedder, ingested)
    assert ("Movement 4 - decision or exit (close)", "movement_4") in h.playbook_sections()
    answer = h.search_playbook(h.actor("rita"), "what do I say at the end", "movement_4")
    headings = [line for line in answer.splitlines() if line.startswith("**")]
    assert len(headings) == 3 and all("Movement 4" in line for line in headings), headings


def test_the_whole_playbook_can_be_read(services: Services, content, embedder, ingested) -> None:  # type: ignore[no-untyped-def]
    h = handlers(services, content, embedder, ingested)
    text = h.playbook_text(h.actor("rita"))
    assert text == MARKDOWN_PLAYBOOK.read_text(encoding="utf-8")  # the team's edition, as written
    with pytest.raises(AccessDenied):
        h.playbook_text(None)


def test_a_playbook_ingested_from_elsewhere_is_shown_as_the_search_reads_it(  # type: ignore[no-untyped-def]
    services: Services, content, embedder, ingested
) -> None:
    knowledge.ingest([ORIGINAL_PLAYBOOK], store=ingested, embedder=embedder, progress=False)
    text = handlers(services, content, embedder, ingested).playbook_text(services.users.signed_in("colin"))
    assert text.startswith(MARKDOWN_PLAYBOOK.read_text(encoding="utf-8"))
    original = text.split(f"\n# {ORIGINAL_PLAYBOOK.name}\n\n*As ingested", 1)[1]
    assert "\n## Conversation Spine (Not a Script)\n" in original  # the plain text's bare heading lines, as headings
    assert "\n### Movement 2 – Constraint Framing (Middle)\n" in original  # nested under the spine
    assert original.count("Movement 2 – Constraint Framing (Middle)") == 1  # a heading once, not per passage
    assert "\n- throughput or capacity is constrained" in original  # its own words, bullets kept
    assert "“What breaks if we keep operating this way?”" in original


def test_a_playbook_not_ingested_or_a_store_down_is_said_over_the_text(  # type: ignore[no-untyped-def]
    services: Services, content, embedder, tmp_path: Path
) -> None:
    empty = open_store(path=tmp_path / "empty", embedder=embedder)
    text = handlers(services, content, embedder, empty).playbook_text(services.users.signed_in("rita"))
    assert text.startswith(f"*{MARKDOWN_PLAYBOOK.name} is not ingested")
    assert "trainer playbook ingest playbooks/coo_phone_outbound.md" in text
    assert MARKDOWN_PLAYBOOK.read_text(encoding="utf-8") in text
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = get_settings().model_copy(update={"chroma_url": f"http://127.0.0.1:{port}"})
    h = handlers(services, content, embedder, settings=down)
    text = h.playbook_text(h.actor("rita"))
    assert text.startswith(MARKDOWN_PLAYBOOK.read_text(encoding="utf-8"))  # still readable, without a false note
    assert "cannot be read right now" in text and str(port) in text


def test_bad_questions_and_strangers_get_clear_answers(services: Services, content, embedder, ingested) -> None:  # type: ignore[no-untyped-def]
    h = handlers(services, content, embedder, ingested)
    with pytest.raises(InputError, match="type a question"):
        h.search_playbook(h.actor("rita"), "   ")
    with pytest.raises(InputError, match="characters"):
        h.search_playbook(h.actor("rita"), "x" * 20_000)
    with pytest.raises(AccessDenied):
        h.search_playbook(None, "how do I open")


def test_no_playbook_yet_or_no_store_says_what_to_do(  # type: ignore[no-untyped-def]
    services: Services, content, embedder, tmp_path: Path
) -> None:
    empty = open_store(path=tmp_path / "empty", embedder=embedder)
    answer = handlers(services, content, embedder, empty).search_playbook(services.users.signed_in("rita"), "close")
    assert "trainer playbook ingest" in answer
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = get_settings().model_copy(update={"chroma_url": f"http://127.0.0.1:{port}"})
    h = handlers(services, content, embedder, settings=down)
    answer = h.search_playbook(h.actor("rita"), "close")
    assert "cannot be searched" in answer and str(port) in answer
