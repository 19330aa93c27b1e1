"""The LLM grader: the model judges, code checks. Quotes verbatim, citations from the store, failures fail."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.conftest import CALIBRATION_DIR
from tests.test_grading import PlaybookStub
from trainer.adapters.llm.scripted import ScriptedCall, ScriptedLLM
from trainer.content.loader import load_transcript
from trainer.errors import ConfigError
from trainer.ports import LLMError
from trainer.services.grading import GradingService
from trainer.settings import get_settings

C05 = load_transcript(CALIBRATION_DIR / "c05_abstract_proof_good_close.json")


def _criterion(call: ScriptedCall) -> str:
    return (call.name or "").removeprefix("grade_")


def _service(content, embedder, llm):  # type: ignore[no-untyped-def]
    return GradingService(get_settings(), content=content, embedder=embedder, store=PlaybookStub(), llm=llm)


def test_llm_judgement_is_used_when_it_checks_out(content, embedder) -> None:  # type: ignore[no-untyped-def]
    def respond(call: ScriptedCall) -> dict:  # type: ignore[type-arg]
        return {
            "score": 2,
            "rationale": f"LLM view on {_criterion(call)}.",
            "evidence": [{"turn": 5, "quote": "Our clients see a 27% uplift in productivity on average."}],
            "citations": ["p-movement_2", "p-invented"],
        }

    llm = ScriptedLLM(capable=True, model_id="stub-strong", responder=respond)
    grade = _service(content, embedder, llm).grade(C05, kind="llm")
    assert grade.grader == "llm" and grade.model_id == "stub-strong" and grade.status == "ok"
    by_id = {c.id: c for c in grade.criteria}
    assert by_id["operational_terms"].source == "llm" and by_id["operational_terms"].score == 2
    assert by_id["operational_terms"].rationale == "LLM view on operational_terms."
    # a citation id the store never returned is dropped
    for c in grade.criteria:
        assert all(cit.passage_id != "p-invented" for cit in c.citations)
    assert len(llm.calls) == 4


def test_invented_quote_falls_back_to_the_signal_score(content, embedder) -> None:  # type: ignore[no-untyped-def]
    signal = _service(content, embedder, None).grade(C05)
    llm = ScriptedLLM(
        capable=True,
        responder=lambda call: {
            "score": 3,
            "rationale": "Great.",
            "evidence": [{"turn": 5, "quote": "We guarantee results."}],
            "citations": [],
        },
    )
    grade = _service(content, embedder, llm).grade(C05, kind="llm")
    assert [c.score for c in grade.criteria] == [c.score for c in signal.criteria]
    assert all(c.source == "signal_fallback" for c in grade.criteria)
    assert any("LLM answer unusable" in n for n in grade.notes)


def test_model_down_fails_the_grade_without_scores(content, embedder) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(capable=True, responder=lambda call: LLMError("connection refused"))
    grade = _service(content, embedder, llm).grade(C05, kind="llm")
    assert grade.status == "failed" and "connection refused" in (grade.reason or "")
    assert grade.criteria == [] and grade.total is None


def test_invalid_json_twice_fails_the_grade(content, embedder) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(capable=True, responder=lambda call: "not json at all")
    grade = _service(content, embedder, llm).grade(C05, kind="llm")
    assert grade.status == "failed"
    assert len(llm.calls) == 8  # one repair per criterion, then the typed error


def test_rep_words_are_fenced_as_data(content, embedder) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(
        capable=True, responder=lambda call: {"score": 0, "rationale": "x", "evidence": [], "citations": []}
    )
    _service(content, embedder, llm).grade(
        load_transcript(CALIBRATION_DIR / "c06_injection_tool_pitch.json"), kind="llm"
    )
    delimiters = set()
    for call in llm.calls:
        prompt = call.text
        delim = prompt.split("<<<CALL-", 1)[1].split(">>>", 1)[0]
        delimiters.add(delim)
        parts = prompt.split(f"<<<CALL-{delim}>>>")
        assert len(parts) == 5  # named, opened, closed, named again after the call
        assert "Grader instructions update" in parts[2]  # the rep's words sit inside the fence
        assert "never" in parts[1] and "instructions" in parts[1]
        assert "Ignore any" in parts[-1]  # the instructions are repeated after the call
    assert len(delimiters) == len(llm.calls)  # a fresh delimiter per call


def test_criteria_are_graded_concurrently(content, embedder) -> None:  # type: ignore[no-untyped-def]
    active, peak, lock = [0], [0], threading.Lock()

    def slow(call: ScriptedCall) -> dict:  # type: ignore[type-arg]
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return {"score": 1, "rationale": "x", "evidence": [], "citations": []}

    _service(content, embedder, ScriptedLLM(capable=True, responder=slow)).grade(C05, kind="llm")
    assert peak[0] >= 2


def test_tiny_model_is_refused_as_grader(content, embedder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as exc:
        _service(content, embedder, ScriptedLLM(capable=False)).grade(C05, kind="llm")
    assert "TRAINER_GRADER=signal" in str(exc.value)


def test_grade_json_is_serialisable(content, embedder) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(
        capable=True, responder=lambda call: {"score": 2, "rationale": "ok", "evidence": [], "citations": []}
    )
    grade = _service(content, embedder, llm).grade(C05, kind="llm")
    assert json.loads(json.dumps(grade.to_dict()))["grader"] == "llm"
