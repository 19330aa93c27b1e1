"""Grader speed: signal grade of a 20-turn call (goal <= 0.5 s), and the LLM grader's wall time against a stub model
with a fixed latency per criterion (goal <= 1.3 x the slowest single criterion call: criteria run concurrently)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from trainer.adapters.embedder_onnx import get_embedder
from trainer.adapters.llm.scripted import ScriptedCall, ScriptedLLM
from trainer.content.loader import load_content, load_transcript, parse_transcript
from trainer.services.grading import GradingService
from trainer.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT.parent / "shared" / "calibration"
# Latencies of a hosted model answering one criterion (seconds); the grade should take about the slowest one.
LATENCY = {"operational_terms": 1.5, "real_constraint": 2.0, "disruption_risk": 1.8, "clarity": 2.5}


class _NoStore:
    def search(self, query: str, k: int = 3, where: dict[str, Any] | None = None) -> list[Any]:
        return []

    def get(self, ids: Any) -> list[Any]:
        return []

    def count(self) -> int:
        return 0


def run() -> dict[str, Any]:
    content = load_content(ROOT)
    embedder = get_embedder()
    strong = load_transcript(CALIBRATION / "c01_strong_active_ops.json").turns
    turns = [t.model_dump() for t in (strong * 2)[:20]]
    call20 = parse_transcript({"turns": turns})
    service = GradingService(get_settings(), content=content, embedder=embedder, store=_NoStore())  # type: ignore[arg-type]
    service.grade(call20)  # warm: the reader embeds its exemplars once per process
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        service.grade(call20)
        times.append(time.perf_counter() - t0)

    def slow(call: ScriptedCall) -> dict[str, Any]:
        time.sleep(LATENCY[(call.name or "").removeprefix("grade_")])
        return {"score": 2, "rationale": "stub", "evidence": [], "citations": []}

    llm_service = GradingService(
        get_settings(),
        content=content,
        embedder=embedder,
        store=_NoStore(),
        llm=ScriptedLLM(capable=True, responder=slow),  # type: ignore[arg-type]
    )
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        llm_service.grade(call20, kind="llm")
        walls.append(time.perf_counter() - t0)
    slowest = max(LATENCY.values())
    wall = statistics.median(walls)
    return {
        "signal_grade_20_turns_s": {
            "p50": round(statistics.median(times), 4),
            "max": round(max(times), 4),
            "goal": 0.5,
        },
        "llm_grade_wall_s": round(wall, 3),
        "slowest_criterion_s": slowest,
        "llm_wall_over_slowest": round(wall / slowest, 3),
        "llm_overhead_s": round(wall - slowest, 3),
        "goal_ratio": 1.3,
    }
