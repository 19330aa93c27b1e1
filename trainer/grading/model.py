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

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Grade:
        """A grade read back from `to_dict()` (a stored grade document); unknown keys are ignored."""

        def cites(items: Any) -> list[Citation]:
            return [Citation(c["passage_id"], c["heading_path"], c["text"]) for c in items or []]

        def evidence(items: Any) -> list[Evidence]:
            return [Evidence(e["turn"], e["quote"]) for e in items or []]

        def criterion(c: dict[str, Any]) -> CriterionGrade:
            return CriterionGrade(
                c["id"],
                c["score"],
                c["max"],
                c.get("rationale", ""),
                evidence(c.get("evidence")),
                cites(c.get("citations")),
                c.get("source", "signal"),
                c.get("section"),
            )

        def suggestion(s: dict[str, Any]) -> Suggestion:
            cite = s.get("citation")
            return Suggestion(s["text"], s.get("criterion", ""), cites([cite])[0] if cite else None)

        return cls(
            status=doc.get("status", "ok"),
            grader=doc.get("grader", ""),
            rubric_id=doc.get("rubric_id", ""),
            rubric_version=doc.get("rubric_version", ""),
            model_id=doc.get("model_id"),
            hashes=dict(doc.get("hashes") or {}),
            criteria=[criterion(c) for c in doc.get("criteria") or []],
            sections=[criterion(c) for c in doc.get("sections") or []],
            movements=[
                MovementResult(m["id"], m["title"], m["reached"], evidence(m.get("evidence")), m.get("note", ""))
                for m in doc.get("movements") or []
            ],
            objections=[
                ObjectionMet(
                    o["id"],
                    o["coo_turn"],
                    o["coo_quote"],
                    o["reading"],
                    o.get("rep_turn"),
                    o.get("rep_quote"),
                    o.get("signal"),
                )
                for o in doc.get("objections") or []
            ],
            outcome=doc.get("outcome", "none"),
            suggestions=[suggestion(s) for s in doc.get("suggestions") or []],
            notes=list(doc.get("notes") or []),
            reason=doc.get("reason"),
        )
