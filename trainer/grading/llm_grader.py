"""The LLM grader: one structured judgement per criterion, run concurrently, checked by code.

The model sees the rubric anchors, the move reading and retrieved passages; the call itself is wrapped in random
per-call delimiters with the instructions repeated after it (the rep's words are data, never instructions). Code
keeps the judgement: a quote that is not verbatim in a rep turn sends the criterion back to the signal score, a
citation must be an id the store returned, and the model may move a score at most one step from the signal score.
A failed call (model down, invalid output after one repair) fails the whole grade: no made-up score.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from trainer.content.models import Rubric, Transcript
from trainer.content.prompts import PromptLibrary
from trainer.grading.citations import Citer
from trainer.grading.grader import verify_evidence
from trainer.grading.model import Citation, CriterionGrade, Evidence
from trainer.moves.reading import CallReading
from trainer.ports import LLM, Message

MAX_STEP_FROM_SIGNAL = 1

GRADE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "enum": [0, 1, 2, 3]},
        "rationale": {"type": "string"},
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"turn": {"type": "integer"}, "quote": {"type": "string"}},
                "required": ["turn", "quote"],
                "additionalProperties": False,
            },
        },
        "citations": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["score", "rationale", "evidence", "citations"],
    "additionalProperties": False,
}


def transcript_block(t: Transcript) -> str:
    return "\n".join(f"[turn {i}] {'REP' if x.speaker == 'rep' else 'COO'}: {x.text}" for i, x in enumerate(t.turns))


def move_summary(reading: CallReading) -> str:
    parts = [f"turn {r.turn}: {', '.join(sorted(r.moves)) or 'no playbook move'}" for r in reading.rep()]
    return "; ".join(parts)


class LLMGrader:
    def __init__(self, llm: LLM, prompts: PromptLibrary, max_workers: int = 4):
        self.llm = llm
        self.prompts = prompts
        self.model_id = llm.model_id
        self.max_workers = max_workers

    def refine(
        self, transcript: Transcript, reading: CallReading, rubric: Rubric, signal: list[CriterionGrade], citer: Citer
    ) -> list[CriterionGrade]:
        block = transcript_block(transcript)
        summary = move_summary(reading)
        jobs = []
        for base in signal:
            criterion = rubric.criterion(base.id)
            passages = citer.search(criterion.citation_query, criterion.grounded_in, k=4)
            jobs.append((base, criterion, passages))
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs))) as pool:
            futures = [
                pool.submit(self._judge, block, summary, base, criterion, passages)
                for base, criterion, passages in jobs
            ]
            answers = [f.result() for f in futures]  # a RunError from any criterion fails the grade
        return [
            self._check(transcript, base, answer, citer) for (base, _, _), answer in zip(jobs, answers, strict=True)
        ]

    def _judge(
        self, block: str, summary: str, base: CriterionGrade, criterion: Any, passages: list[Any]
    ) -> dict[str, Any]:
        delimiter = f"<<<CALL-{secrets.token_hex(8)}>>>"
        levels = [{"score": i, "text": criterion.levels.describe(i)} for i in range(4)]
        prompt = self.prompts.render(
            "grade_criterion",
            criterion=criterion,
            levels=levels,
            transcript_block=block,
            delimiter=delimiter,
            move_summary=summary,
            passages=[{"id": p.id, "heading_path": p.heading_path, "text": p.text} for p in passages],
        )
        return self.llm.structured([Message("user", prompt)], GRADE_SCHEMA, name=f"grade_{criterion.id}")

    def _check(self, t: Transcript, base: CriterionGrade, answer: dict[str, Any], citer: Citer) -> CriterionGrade:
        score = answer.get("score")
        if not isinstance(score, int) or not 0 <= score <= 3:
            return _fallback(base, f"the model's score {score!r} is not 0-3")
        claimed = [Evidence(int(e.get("turn", -1)), str(e.get("quote", ""))) for e in answer.get("evidence") or []]
        kept, dropped = verify_evidence(t, claimed)
        if dropped:
            return _fallback(base, f"the model quoted words the rep did not say ({dropped[0]})")
        if abs(score - base.score) > MAX_STEP_FROM_SIGNAL:
            return _fallback(base, f"the model's {score} is more than one step from the signal score {base.score}")
        citations = [
            Citation(p.id, p.heading_path, p.text)
            for cid in answer.get("citations") or []
            if (p := citer.passage(str(cid))) is not None
        ]
        rationale = str(answer.get("rationale") or "").strip() or base.rationale
        return CriterionGrade(
            base.id, score, base.max, rationale, kept or base.evidence, citations or base.citations, source="llm"
        )


def _fallback(base: CriterionGrade, why: str) -> CriterionGrade:
    return CriterionGrade(
        base.id, base.score, base.max, f"{base.rationale} (LLM judgement not used: {why}.)", base.evidence,
        base.citations, source="signal_fallback",
    )  # fmt: skip
