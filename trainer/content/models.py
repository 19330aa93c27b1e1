"""Pydantic models of the content files. Every model forbids unknown keys, so a typo is an error, not a silence."""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from trainer.content.vocab import (
    ACTS_WITH_OWN_TEXT,
    COO_ACTS,
    QUALITY_CRITERIA,
    CooAct,
    Difficulty,
    MoveId,
    ObjectionId,
    ScenarioId,
    SectionTag,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")]

# Placeholders a voice line may use; they are filled from the persona.
LINE_PLACEHOLDERS = frozenset({"name", "first_name", "company", "industry", "rep_name"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_placeholders(line: str) -> str:
    fields = {f for _, f, _, _ in string.Formatter().parse(line) if f is not None}
    unknown = fields - LINE_PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in {line!r}; allowed: {sorted(LINE_PLACEHOLDERS)}")
    return line


class Fact(Strict):
    """A hidden operational fact the rep must earn: where time is really lost, with numbers."""

    id: Ident
    text: Text = Field(description="What the COO says when it reveals the fact, in the COO's words.")
    about: Text = Field(description="What the rep has to be talking about to earn it (used for topic matching).")
    earned_by: list[MoveId] = Field(default=["constraint_framing", "flow_question"], min_length=1)
    min_interest: int = Field(default=4, ge=0, le=10)


class Objection(Strict):
    id: ObjectionId
    line: Text = Field(description="How this COO voices the objection.")
    signal: Text = Field(description="What it really signals (the playbook's objection table).")
    triggered_by: list[MoveId] = Field(default_factory=list, description="Rep moves that bring it up.")
    after_turn: int | None = Field(
        default=None, ge=1, description="Raised anyway once the rep has spoken this many times, if still held."
    )
    resolved_by: list[MoveId] = Field(min_length=1, description="Rep moves that resolve it.")

    @model_validator(mode="after")
    def _has_a_trigger(self) -> Objection:
        if not self.triggered_by and self.after_turn is None:
            raise ValueError("an objection needs triggered_by moves or an after_turn, else it is never raised")
        return self


class MoveRule(Strict):
    note: Text
    moves: list[MoveId] = Field(min_length=1)


class ScenarioSpec(Strict):
    title: Text
    backstory: Text = Field(
        description="A: why the call is cold but relevant; B: the programme under way; C: what stalled and why."
    )
    pattern_applies: bool = Field(
        description="False when the playbook's pattern is not this COO's problem: the drill teaches the clean exit."
    )
    opening_line: Text
    interest_start: int = Field(default=3, ge=0, le=10)
    facts: list[Fact] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    wins_over: MoveRule
    ends_call_when: MoveRule

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioSpec:
        if self.pattern_applies and not self.facts:
            raise ValueError("facts: a scenario where the pattern applies needs at least one fact the rep can earn")
        ids = [f.id for f in self.facts]
        if len(ids) != len(set(ids)):
            raise ValueError("facts: fact ids must be unique")
        obj = [o.id for o in self.objections]
        if len(obj) != len(set(obj)):
            raise ValueError("objections: each objection id may appear once per scenario")
        return self


class Voice(Strict):
    style: Text = Field(description="How this COO talks, in a sentence or two (given to the model).")
    lines: dict[CooAct, list[Annotated[Text, Field()]]] = Field(
        description="Authored example lines per act: the floor the COO falls back to."
    )

    @field_validator("lines")
    @classmethod
    def _lines_complete(cls, lines: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [a for a in COO_ACTS if a not in ACTS_WITH_OWN_TEXT and not lines.get(a)]
        if missing:
            raise ValueError(f"missing lines for act(s): {', '.join(missing)}")
        for act, options in lines.items():
            for line in options:
                try:
                    _check_placeholders(line)
                except ValueError as exc:
                    raise ValueError(f"{act}: {exc}") from None
        return lines


class Persona(Strict):
    id: Ident
    name: Text
    title: Text = "COO"
    company: Text
    industry: Text
    size: Text
    optimises_for: list[Text] = Field(min_length=1)
    wary_of: list[Text] = Field(min_length=1)
    patience: int = Field(default=5, ge=1, le=10, description="How many poor rep turns the COO tolerates (standard).")
    voice: Voice
    scenarios: dict[ScenarioId, ScenarioSpec]

    @field_validator("scenarios")
    @classmethod
    def _all_scenarios(cls, scenarios: dict[str, ScenarioSpec]) -> dict[str, ScenarioSpec]:
        missing = [s for s in ("A", "B", "C") if s not in scenarios]
        if missing:
            raise ValueError(f"missing scenario(s) {', '.join(missing)}: every persona plays A, B and C")
        return scenarios

    @property
    def first_name(self) -> str:
        return re.sub(r"^(Dr\.?|Mr\.?|Ms\.?|Mrs\.?)\s+", "", self.name).split()[0]


class RubricLevels(Strict):
    level_0: Text = Field(alias="0")
    level_1: Text = Field(alias="1")
    level_2: Text = Field(alias="2")
    level_3: Text = Field(alias="3")

    def describe(self, score: int) -> str:
        return [self.level_0, self.level_1, self.level_2, self.level_3][score]


class Criterion(Strict):
    id: Ident
    question: Text
    description: Text
    levels: RubricLevels
    grounded_in: list[SectionTag] = Field(min_length=1, description="Playbook sections cited for this criterion.")
    citation_query: Text = Field(description="What to search the playbook for when citing this criterion.")


class RubricSection(Strict):
    id: Ident
    title: Text
    criteria: list[Criterion] = Field(min_length=1)


class Rubric(Strict):
    id: Ident
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+(\.\d+)?$")]
    title: Text
    scale_max: Literal[3] = 3
    criteria: list[Criterion]
    sections: list[RubricSection] = Field(default_factory=list, description="Further criteria, reported apart.")

    @field_validator("criteria")
    @classmethod
    def _the_four(cls, criteria: list[Criterion]) -> list[Criterion]:
        ids = [c.id for c in criteria]
        missing = [c for c in QUALITY_CRITERIA if c not in ids]
        extra = [c for c in ids if c not in QUALITY_CRITERIA]
        if missing:
            raise ValueError(f"missing criterion id(s): {', '.join(missing)}")
        if extra or len(ids) != len(QUALITY_CRITERIA):
            raise ValueError(
                f"exactly the four quality-check criteria belong here ({', '.join(QUALITY_CRITERIA)}); "
                f"put {', '.join(extra) or 'duplicates'} in a section"
            )
        return criteria

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.all_criteria():
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def all_criteria(self) -> list[Criterion]:
        return [*self.criteria, *(c for s in self.sections for c in s.criteria)]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speaker: Literal["rep", "coo"]
    text: Text


class Expected(BaseModel):
    """A coach's labels on a calibration call. Ignored when grading."""

    model_config = ConfigDict(extra="allow")
    scores: dict[str, int] = Field(default_factory=dict)
    scale: str | None = None
    outcome: str | None = None
    twin: str | None = None


class Transcript(BaseModel):
    """A call, in the format of the calibration files. Unknown top-level keys from other tools are ignored."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = None
    scenario: ScenarioId | None = None
    persona: str | None = None
    difficulty: Difficulty | None = None
    expected: Expected | None = None
    turns: list[Turn]

    def rep_turns(self) -> list[tuple[int, Turn]]:
        return [(i, t) for i, t in enumerate(self.turns) if t.speaker == "rep"]

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
