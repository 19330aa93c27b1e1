"""Realism with the embedded default voice (the real llama.cpp model): across seeds 1-5 the strong rep books a
working session every time, the tool-pitch rep never does and meets an objection, and no COO reply breaks
character. One test: it costs about a minute on 2 cores."""

from __future__ import annotations

import re

import pytest

from tests.conftest import CALIBRATION_DIR
from trainer.content.loader import load_transcript
from trainer.services.practice import PracticeService
from trainer.settings import get_settings

BROKEN = re.compile(
    r"\b(as an ai|language model|assistant|how can i help|i'?m here to help)\b|^\s*(rep|caller)\s*:", re.I | re.M
)


@pytest.mark.embedded
@pytest.mark.slow
def test_realism_with_the_embedded_voice(content, embedder, data_dir) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings(llm_backend="embedded")
    service = PracticeService(settings, content=content, embedder=embedder)
    strong = load_transcript(CALIBRATION_DIR / "c01_strong_active_ops.json")
    pitch = load_transcript(CALIBRATION_DIR / "c02_tool_pitch_long_rollout.json")
    try:
        strong_runs = [service.simulate(strong, seed=seed) for seed in range(1, 6)]
        pitch_runs = [service.simulate(pitch, seed=seed) for seed in range(1, 6)]
    finally:
        stop = getattr(service.llm, "stop", None)
        if callable(stop):
            stop()
    assert [r.outcome for r in strong_runs] == ["working_session"] * 5
    assert all(r.outcome != "working_session" for r in pitch_runs)
    assert sum(1 for r in pitch_runs if r.objections_raised) >= 4
    said = [t["text"] for r in strong_runs + pitch_runs for t in r.turns if t["speaker"] == "coo"]
    assert not [t for t in said if BROKEN.search(t) or len(t.split()) > 70]
    answered = [s for r in strong_runs + pitch_runs for s in r.states[1:] if s["first_token_s"] is not None]
    assert answered, "the embedded model was never heard from"
