"""Grading as a service: builds the grader from settings (signal by default, LLM when configured and capable)."""

from __future__ import annotations

import json
from pathlib import Path

from trainer.content.loader import Content, load_content, load_transcript
from trainer.content.models import Transcript
from trainer.errors import ConfigError, ContentError, InputError, NotFoundError
from trainer.grading.calibration import CalibrationReport, CallResult
from trainer.grading.grader import Grader
from trainer.grading.model import Grade
from trainer.ports import LLM, Embedder, PassageSearch, StoreUnavailable
from trainer.services.practice import move_reader
from trainer.settings import Settings


class GradingService:
    def __init__(
        self,
        settings: Settings,
        *,
        content: Content | None = None,
        embedder: Embedder | None = None,
        store: PassageSearch | None = None,
        llm: LLM | None = None,
    ):
        self.settings = settings
        self.content = content or load_content(settings.content_dir)
        self._embedder = embedder
        self._store = store
        self._store_problem: str | None = None
        self._llm = llm

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from trainer.wiring import build_embedder

            self._embedder = build_embedder(self.settings)
        return self._embedder

    def store(self) -> PassageSearch | None:
        """The playbook store, or None (with the reason kept) when it cannot be opened or is empty."""
        if self._store is None and self._store_problem is None:
            from trainer.wiring import build_passage_store

            try:
                self._store = build_passage_store(self.settings, self.embedder)
            except (StoreUnavailable, ConfigError) as exc:  # down, or a data folder that cannot be opened
                self._store_problem = str(exc)
        return self._store

    @property
    def store_problem(self) -> str | None:
        """Why the playbook store could not be opened (after `store()` returned None)."""
        return self._store_problem

    def grader(self, kind: str | None = None) -> Grader:
        kind = kind or self.settings.grader
        refiner = None
        if kind == "llm":
            from trainer.grading.llm_grader import LLMGrader

            llm = self._llm
            if llm is None:
                from trainer.wiring import build_llm

                llm = build_llm(self.settings)
            if not llm.capable:
                raise ConfigError(
                    f"the LLM grader needs a capable model; {llm.backend} model {llm.model_id!r} is not one. "
                    "Set TRAINER_LLM_BACKEND=openai (with OPENAI_API_KEY) or use TRAINER_GRADER=signal."
                )
            refiner = LLMGrader(llm, self.content.prompts)
        elif kind != "signal":
            raise InputError(f"unknown grader {kind!r}; valid graders: signal, llm")
        return Grader(self.content, move_reader(self.content, self.embedder), self.store(), refiner)

    def grade(self, transcript: Transcript, rubric_id: str = "coo_quality_check", kind: str | None = None) -> Grade:
        grade = self.grader(kind).grade(transcript, rubric_id)
        if self._store_problem:
            grade.status = "degraded" if grade.status == "ok" else grade.status
            grade.reason = f"vector store unavailable: {self._store_problem}"
            grade.notes.append(grade.reason)
        elif self._store is not None and grade.status == "ok" and not any(c.citations for c in grade.criteria):
            grade.status = "degraded"
            grade.reason = "the playbook store is empty: run `trainer playbook ingest` for citations"
            grade.notes.append(grade.reason)
        return grade

    def evaluate(
        self, folder: Path, kind: str | None = None, rubric_id: str = "coo_quality_check"
    ) -> CalibrationReport:
        folder = Path(folder)
        if not folder.is_dir():
            raise NotFoundError(f"{folder}: no such folder")
        files = sorted(folder.glob("*.json"))
        if not files:
            raise InputError(f"{folder}: no transcript files (*.json)")
        report = CalibrationReport()
        for f in files:
            t = load_transcript(f)
            if t.expected is None or not t.expected.scores:
                raise ContentError([f"{f}: expected.scores: a labelled call needs the coach's scores"])
            grade = self.grade(t, rubric_id, kind)
            quotes = sum(len(c.evidence) for c in grade.criteria)
            dropped = sum(1 for n in grade.notes if "dropped a quote" in n)
            cited = [cit.passage_id for c in grade.criteria for cit in c.citations]
            resolvable = self._resolvable(cited)
            report.calls.append(
                CallResult(
                    id=t.id or f.stem,
                    expected=dict(t.expected.scores),
                    got={c.id: c.score for c in grade.criteria},
                    outcome_expected=t.expected.outcome,
                    outcome_got=grade.outcome,
                    twin=t.expected.twin,
                    quotes_total=quotes + dropped,
                    quotes_verified=quotes,
                    citations_total=len(cited),
                    citations_resolvable=resolvable,
                    status=grade.status,
                )
            )
        return report

    def _resolvable(self, ids: list[str]) -> int:
        store = self.store()
        if store is None or not ids:
            return 0
        found = {p.id for p in store.get(list(dict.fromkeys(ids)))}
        return sum(1 for i in ids if i in found)


def load_for_grading(path: Path) -> Transcript:
    return load_transcript(path)


def grade_json(grade: Grade) -> str:
    return json.dumps(grade.to_dict(), indent=2, ensure_ascii=False)
