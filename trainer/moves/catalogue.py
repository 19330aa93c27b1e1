"""The move catalogue (`playbooks/moves.yaml`): descriptions, exemplar phrasings and lexical cues per move."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from trainer.content.vocab import MOVE_IDS, MoveId, ObjectionId

Pattern = Annotated[str, StringConstraints(min_length=2)]


def _compile_all(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {p!r}: {exc}") from None
    return patterns


class TaggedCue(BaseModel):
    """A cue that also names which element of the move it shows (e.g. `when` of a close, `stop_condition`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tag: Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]
    re: Pattern


class MoveSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: Annotated[str, StringConstraints(min_length=5)]
    exemplars: list[Annotated[str, StringConstraints(min_length=3)]] = Field(min_length=1)
    cues: list[Pattern | TaggedCue] = Field(min_length=1)

    @field_validator("cues")
    @classmethod
    def _valid(cls, v: list[str | TaggedCue]) -> list[str | TaggedCue]:
        _compile_all([c if isinstance(c, str) else c.re for c in v])
        return v


# The COO signals read by cue lists (the objections are read per objection id).
SIGNAL_NAMES = (
    "affirm", "hedge", "reject", "accept", "defer", "invite_close", "concern", "describes_constraint", "names_time"
)  # fmt: skip


class CooSignals(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    affirm: list[Pattern]
    hedge: list[Pattern]
    reject: list[Pattern]
    accept: list[Pattern]
    defer: list[Pattern]
    describes_constraint: list[Pattern]
    invite_close: list[Pattern]
    concern: list[Pattern]
    names_time: list[Pattern] = []  # a day or a time: the COO saying *when* to a proposed session
    objections: dict[ObjectionId, list[Pattern]]

    @field_validator(*SIGNAL_NAMES)
    @classmethod
    def _valid(cls, v: list[str]) -> list[str]:
        return _compile_all(v)

    @field_validator("objections")
    @classmethod
    def _valid_obj(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in v.values():
            _compile_all(patterns)
        return v


class MoveCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rep_moves: dict[MoveId, MoveSpec]
    coo_signals: CooSignals

    @field_validator("rep_moves")
    @classmethod
    def _every_move(cls, v: dict[str, MoveSpec]) -> dict[str, MoveSpec]:
        missing = [m for m in MOVE_IDS if m not in v]
        if missing:
            raise ValueError(f"missing move(s): {', '.join(missing)}")
        return v

    @cached_property
    def compiled_cues(self) -> dict[str, list[tuple[re.Pattern[str], str | None]]]:
        """Per move: (compiled cue, element tag or None)."""
        out: dict[str, list[tuple[re.Pattern[str], str | None]]] = {}
        for move, spec in self.rep_moves.items():
            out[move] = [
                (re.compile(c, re.IGNORECASE), None) if isinstance(c, str) else (re.compile(c.re, re.IGNORECASE), c.tag)
                for c in spec.cues
            ]
        return out

    @cached_property
    def compiled_signals(self) -> dict[str, list[re.Pattern[str]]]:
        s = self.coo_signals
        out = {name: [re.compile(p, re.IGNORECASE) for p in getattr(s, name)] for name in SIGNAL_NAMES}
        for oid, patterns in s.objections.items():
            out[f"objection:{oid}"] = [re.compile(p, re.IGNORECASE) for p in patterns]
        return out
