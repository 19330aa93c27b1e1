"""Grade a transcript: the signal grader's scores (always), optionally refined by an LLM grader; evidence quotes
verified verbatim against the rep's turns; citations retrieved from the playbook store and checked."""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from trainer import __version__
from trainer.content.loader import Content
from trainer.content.models import Rubric, Transcript
from trainer.errors import InputError
from trainer.grading import signal_rules
from trainer.grading.call_facts import movements, objections_met, section_scores
from trainer.grading.citations import Citer
from trainer.grading.model import CriterionGrade, Evidence, Grade
from trainer.grading.suggestions import suggestions
from trainer.moves.reader import MoveReader
from trainer.moves.reading import CallReading
from trainer.ports import PassageSearch

MAX_TURNS = 400


class CriterionRefiner(Protocol):
    """An LLM grader: given the signal grade, returns the criteria it judged (or raises a RunError)."""

    model_id: str

    def refine(
        self, transcript: Transcript, reading: CallReading, rubric: Rubric, signal: list[CriterionGrade], citer: Citer
    ) -> list[CriterionGrade]: ...


def sha256(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def transcript_hash(t: Transcript) -> str:
    return sha256(json.dumps([[x.speaker, x.text] for x in t.turns], ensure_ascii=False))


def verify_evidence(t: Transcript, evidence: list[Evidence]) -> tuple[list[Evidence], list[str]]:
    """Keep only quotes that stand verbatim in a REP turn at the index given."""
    kept: list[Evidence] = []
    dropped: list[str] = []
    for e in evidence:
        in_rep_turn = 0 <= e.turn < len(t.turns) and t.turns[e.turn].speaker == "rep"
        if in_rep_turn and e.quote and e.quote in t.turns[e.turn].text:
            kept.append(e)
        else:
            dropped.append(f"turn {e.turn}: {e.quote[:80]!r}")
    return kept, dropped


class Grader:
    def __init__(
        self, content: Content, reader: MoveReader, store: PassageSearch | None, refiner: CriterionRefiner | None = None
    ):
        self.content = content
        self.reader = reader
        self.store = store
        self.refiner = refiner

    def grade(self, transcript: Transcript, rubric_id: str = "coo_quality_check") -> Grade:
        rubric = self.content.rubric(rubric_id)
        if not transcript.turns:
            raise InputError("the transcript has no turns: there is nothing to grade")
        if not transcript.rep_turns():
            raise InputError("the transcript has no rep turns: only the rep's words can be graded")
        if len(transcript.turns) > MAX_TURNS:
            raise InputError(f"the transcript has {len(transcript.turns)} turns; the grader takes at most {MAX_TURNS}")
        reading = self.reader.read_transcript(transcript)
        citer = Citer(self.store)
        clarity, outcome = signal_rules.clarity(reading)
        criteria = [
            signal_rules.operational_terms(reading),
            signal_rules.real_constraint(reading),
            signal_rules.disruption_risk(reading),
            clarity,
        ]
        for c in criteria:
            c.citations = citer.cite(rubric.criterion(c.id), c.evidence)
        met = objections_met(reading)
        known_sections = {c.id for s in rubric.sections for c in s.criteria}
        sections = [s for s in section_scores(reading, met) if s.id in known_sections]
        for s in sections:
            s.citations = citer.cite(rubric.criterion(s.id), s.evidence)
        grade = Grade(
            status="ok",
            grader="signal",
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            model_id=None,
            hashes=self._hashes(transcript, rubric),
            criteria=criteria,
            sections=sections,
            movements=movements(reading),
            objections=met,
            outcome=outcome,
        )
        if self.refiner is not None:
            self._refine(grade, transcript, reading, rubric, citer)
        for c in [*grade.criteria, *grade.sections]:
            c.evidence, dropped = verify_evidence(transcript, c.evidence)
            grade.notes += [f"{c.id}: dropped a quote not found in the rep's words ({d})" for d in dropped]
        grade.suggestions = suggestions(grade.criteria, grade.sections)
        grade.notes += citer.problems
        if citer.unavailable or citer.problems:
            if grade.status == "ok":
                grade.status = "degraded"
            grade.reason = grade.reason or "; ".join(citer.problems) or "no playbook store: grade has no citations"
        return grade

    def _refine(self, grade: Grade, transcript: Transcript, reading: CallReading, rubric: Rubric, citer: Citer) -> None:
        from trainer.errors import RunError

        assert self.refiner is not None
        grade.grader = "llm"
        grade.model_id = self.refiner.model_id
        try:
            refined = self.refiner.refine(transcript, reading, rubric, grade.criteria, citer)
        except RunError as exc:
            grade.status = "failed"
            grade.reason = f"the LLM grader failed: {exc}"
            grade.criteria = []
            return
        grade.criteria = refined
        fallbacks = [c.id for c in refined if c.source == "signal_fallback"]
        if fallbacks:
            grade.notes.append(f"LLM answer unusable for {', '.join(fallbacks)}: the signal score stands")

    def _hashes(self, transcript: Transcript, rubric: Rubric) -> dict[str, str]:
        return {
            "transcript": transcript_hash(transcript),
            "rubric": sha256(rubric.model_dump_json(by_alias=True)),
            "moves": sha256(self.content.moves.model_dump_json()),
            "grader_version": __version__,
        }
