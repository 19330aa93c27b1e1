"""What a grade holds. Plain data: JSON for machines, markdown for people."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

GradeStatus = Literal["ok", "degraded", "failed"]
CallOutcome = Literal["working_session", "clean_exit", "follow_up_call", "vague", "none"]


@dataclass(frozen=True)
class Evidence:
    turn: int
    quote: str


@dataclass(frozen=True)
class Citation:
    passage_id: str
    heading_path: str
    text: str


@dataclass
class CriterionGrade:
    id: str
    score: int
    max: int
    rationale: str
    evidence: list[Evidence] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    source: str = "signal"  # signal | llm | signal_fallback (the LLM's answer was unusable)
    section: str | None = None  # None for the four quality-check criteria


@dataclass
class MovementResult:
    id: str
    title: str
    reached: bool
    evidence: list[Evidence] = field(default_factory=list)
    note: str = ""


@dataclass
class ObjectionMet:
    id: str  # objection id, or "concern" for pushback outside the playbook's table
    coo_turn: int
    coo_quote: str
    reading: str  # read_as_signal | acknowledged_only | answered | argued | ignored | call_ended
    rep_turn: int | None = None
    rep_quote: str | None = None
    signal: str | None = None


@dataclass
class Suggestion:
    text: str
    criterion: str
    citation: Citation | None = None


@dataclass
class Grade:
    status: GradeStatus
    grader: str  # signal | llm
    rubric_id: str
    rubric_version: str
    model_id: str | None
    hashes: dict[str, str]
    criteria: list[CriterionGrade] = field(default_factory=list)
    sections: list[CriterionGrade] = field(default_factory=list)
    movements: list[MovementResult] = field(default_factory=list)
    objections: list[ObjectionMet] = field(default_factory=list)
    outcome: CallOutcome = "none"
    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str | None = None  # why a grade failed or is degraded

    @property
    def total(self) -> int | None:
        return None if self.status == "failed" else sum(c.score for c in self.criteria)

    @property
    def max_total(self) -> int:
        return sum(c.max for c in self.criteria) if self.criteria else 12

    def score(self, criterion_id: str) -> int | None:
        return next((c.score for c in self.criteria if c.id == criterion_id), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["total"] = self.total
        d["max_total"] = self.max_total
        return d
