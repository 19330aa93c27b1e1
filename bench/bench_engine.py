"""The simulated COO: per-turn cost of understanding + state machine (goal <= 15 ms p50, no model), the embedded
voice's first-token and full-reply time (goal <= 0.5 s / <= 1.5 s p90), how often the authored fallback fires,
and the realism report: seeds 1-5 of the strong (c01) and tool-pitch (c02) reps and the project's rep scripts."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from trainer.adapters.embedder_onnx import get_embedder
from trainer.content.loader import load_content, load_transcript
from trainer.services.practice import PracticeService
from trainer.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT.parent / "shared" / "calibration"
SCRIPTS = ROOT / "tests" / "data" / "rep_scripts"
LABELLED = ROOT / "tests" / "data" / "labelled"
# An independent check of what the COO said, after the fact: anything here is a broken character.
BROKEN = re.compile(
    r"\b(as an ai|language model|assistant|how can i help|i'?m here to help)\b|^\s*(rep|caller)\s*:", re.I | re.M
)


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 4)


def turn_cost(service: PracticeService) -> dict[str, Any]:
    texts = [
        t.text
        for f in sorted(CALIBRATION.glob("*.json")) + sorted(LABELLED.glob("*.json"))
        for t in load_transcript(f).turns
        if t.speaker == "rep"
    ]
    call = service.new_call("dana_okafor", "A", seed=1)
    call.open()
    call.decide("warm up")
    times = []
    for text in texts * 3:
        t0 = time.perf_counter()
        call.decide(text)
        times.append((time.perf_counter() - t0) * 1000)
    return {"turns": len(times), "p50_ms": _pct(times, 0.5), "p90_ms": _pct(times, 0.9), "goal_p50_ms": 15}


def realism(service: PracticeService, label: str) -> dict[str, Any]:
    scripts = {"c01_strong": load_transcript(CALIBRATION / "c01_strong_active_ops.json"),
               "c02_tool_pitch": load_transcript(CALIBRATION / "c02_tool_pitch_long_rollout.json")}  # fmt: skip
    for f in sorted(SCRIPTS.glob("*.json")):
        scripts[f.stem] = load_transcript(f)
    out: dict[str, Any] = {}
    firsts: list[float] = []
    words: list[float] = []
    totals: list[float] = []
    cut = 0
    sources: dict[str, int] = {}
    reasons: dict[str, int] = {}
    broken = []
    for name, script in scripts.items():
        outcomes = []
        with_objection = 0
        for seed in range(1, 6):
            result = service.simulate(script, seed=seed, warm_up=True)  # the rep reads the greeting first
            outcomes.append(result.outcome)
            with_objection += bool(result.objections_raised)
            coo = [t["text"] for t in result.turns if t["speaker"] == "coo"]
            broken += [f"{name}/{seed}: {text!r}" for text in coo if BROKEN.search(text) or len(text.split()) > 70]
            for st in result.states[1:]:
                sources[st["voice_source"]] = sources.get(st["voice_source"], 0) + 1
                if st["fallback_reason"]:
                    key = st["fallback_reason"].split(":")[0].split("(")[0].strip()[:40]
                    reasons[key] = reasons.get(key, 0) + 1
                if st.get("first_token_s") is not None:
                    firsts.append(st["first_token_s"])
                    words.append(st["first_words_s"])
                if st.get("total_s"):
                    totals.append(st["total_s"])
                cut += bool(st.get("cut_by_budget"))
        out[name] = {"outcomes": outcomes, "runs_with_objection": with_objection}
    said = sum(sources.values())
    return {
        "voice": label,
        "scripts": out,
        "coo_turns": said,
        "voice_sources": sources,
        "fallback_share": round(1 - sources.get("model", 0) / said, 3) if said else None,
        "model_share_of_phrased_acts": round(
            (sources.get("model", 0) + sources.get("mixed", 0)) / max(1, said - reasons.get("decisive act", 0)), 3
        ),
        "fallback_reasons": reasons,
        "broken_character": broken,
        "first_token_s": {"p50": _pct(firsts, 0.5), "p90": _pct(firsts, 0.9), "goal_p90": 0.5},
        "first_words_shown_s": {"p50": _pct(words, 0.5), "p90": _pct(words, 0.9)},
        "full_reply_s": {"p50": _pct(totals, 0.5), "p90": _pct(totals, 0.9), "goal_p90": 1.5},
        "replies_cut_by_time_budget": cut,
        "time_budget_s": service.settings.voice_budget_s,
        "timing_note": "each call's model reads the greeting before the first rep turn (a rep takes longer than "
        "that to read it); times are from the rep's message to the COO's words",
    }


def voice_by_persona(service: PracticeService) -> dict[str, Any]:
    """The realism runs phrase mostly the default persona's acts: here the strong rep calls every COO (scenario A,
    seeds 1-2), so each persona's prompt and lines are measured too."""
    script = load_transcript(CALIBRATION / "c01_strong_active_ops.json")
    out: dict[str, Any] = {}
    for pid in sorted(service.content.personas):
        sources: dict[str, int] = {}
        broken = []
        outcomes = []
        for seed in (1, 2):
            result = service.simulate(script, persona_id=pid, scenario="A", seed=seed, warm_up=True)
            outcomes.append(result.outcome)
            for t, st in zip([t for t in result.turns if t["speaker"] == "coo"][1:], result.states[1:], strict=True):
                sources[st["voice_source"]] = sources.get(st["voice_source"], 0) + 1
                if BROKEN.search(t["text"]) or len(t["text"].split()) > 70:
                    broken.append(t["text"])
        out[pid] = {"outcomes": outcomes, "voice_sources": sources, "broken_character": broken}
    return out


def run() -> dict[str, Any]:
    settings = get_settings()
    content = load_content(ROOT)
    embedder = get_embedder()
    authored = PracticeService(settings, content=content, embedder=embedder, use_llm=False)
    result: dict[str, Any] = {
        "turn_cost_without_model": turn_cost(authored),
        "authored_voice": realism(authored, "authored"),
    }
    embedded = PracticeService(settings, content=content, embedder=embedder)
    llm = embedded.llm
    result["embedded_voice"] = realism(embedded, f"{settings.llm_backend}:{llm.model_id if llm else 'none'}")
    result["embedded_voice_by_persona"] = voice_by_persona(embedded)
    stop = getattr(llm, "stop", None)
    if callable(stop):
        stop()
    return result
