"""The COO's hidden state during a call, and the difficulty profiles that tune how it moves."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ObjectionStatus = Literal["held", "raised", "resolved"]
# no_decision: the rep said goodbye without a next step; script_ended: a self-play script ran out mid-call.
Outcome = Literal["working_session", "clean_exit", "deferred", "hung_up", "max_turns", "no_decision", "script_ended"]
OUTCOMES: tuple[str, ...] = (
    "working_session",
    "clean_exit",
    "deferred",
    "hung_up",
    "max_turns",
    "no_decision",
    "script_ended",
)


@dataclass(frozen=True)
class DifficultyProfile:
    """How a difficulty changes the COO: patience, how fast interest moves, how readily facts and objections move."""

    name: str
    patience_bonus: float  # added to the persona's patience
    gain: float  # multiplier on interest gains
    loss: float  # multiplier on interest and patience losses
    fact_offset: int  # added to each fact's min_interest
    resolve_moves: int  # distinct resolving moves needed to settle an objection
    accept_interest: float  # interest needed to accept a working session
    max_rep_turns: int


DIFFICULTIES: dict[str, DifficultyProfile] = {
    "easy": DifficultyProfile("easy", 2.0, 1.3, 0.7, -1, 1, 5.0, 16),
    "standard": DifficultyProfile("standard", 0.0, 1.0, 1.0, 0, 1, 6.0, 14),
    "hard": DifficultyProfile("hard", -2.0, 0.8, 1.3, 1, 2, 7.0, 12),
}


@dataclass
class CooState:
    interest: float
    patience: float
    recognises: bool | None = None  # does the COO recognise the pattern the rep describes
    time_granted: bool = False
    ledger: dict[str, ObjectionStatus] = field(default_factory=dict)
    resolving: dict[str, list[str]] = field(default_factory=dict)  # objection -> resolving moves seen so far
    raised_times: dict[str, int] = field(default_factory=dict)
    facts_revealed: list[str] = field(default_factory=list)
    rep_turns: int = 0
    not_relevant_said: int = 0
    last_act: str = "greet"
    outcome: Outcome | None = None
    reasons: list[str] = field(default_factory=list)  # why the last act was chosen (for replay and coaching)

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    @property
    def raised_open(self) -> list[str]:
        return [o for o, s in self.ledger.items() if s == "raised"]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["interest"] = round(self.interest, 2)
        d["patience"] = round(self.patience, 2)
        return d

    def copy(self) -> CooState:
        return CooState(
            interest=self.interest,
            patience=self.patience,
            recognises=self.recognises,
            time_granted=self.time_granted,
            ledger=dict(self.ledger),
            resolving={k: list(v) for k, v in self.resolving.items()},
            raised_times=dict(self.raised_times),
            facts_revealed=list(self.facts_revealed),
            rep_turns=self.rep_turns,
            not_relevant_said=self.not_relevant_said,
            last_act=self.last_act,
            outcome=self.outcome,
            reasons=[],
        )
