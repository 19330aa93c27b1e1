"""Data classes of a reading: which moves a rep turn makes, which signals a COO turn gives. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A move counts as made at or above this confidence.
MOVE_THRESHOLD = 0.5


@dataclass(frozen=True)
class MoveHit:
    move: str
    confidence: float
    quote: str  # verbatim words of the turn that carry the move
    source: str  # lexicon | embedding | both | llm
    elements: tuple[str, ...] = ()  # which parts of the move were shown (e.g. when/who/what of a close)


@dataclass(frozen=True)
class TurnReading:
    """The reading of one turn of a transcript (index into `turns`)."""

    turn: int
    speaker: str
    text: str
    hits: tuple[MoveHit, ...] = ()  # rep turns
    signals: dict[str, str] = field(default_factory=dict)  # coo turns: signal -> quote

    def has(self, move: str, threshold: float = MOVE_THRESHOLD) -> bool:
        return any(h.move == move and h.confidence >= threshold for h in self.hits)

    def hit(self, move: str) -> MoveHit | None:
        best = [h for h in self.hits if h.move == move and h.confidence >= MOVE_THRESHOLD]
        return max(best, key=lambda h: h.confidence) if best else None

    @property
    def moves(self) -> frozenset[str]:
        return frozenset(h.move for h in self.hits if h.confidence >= MOVE_THRESHOLD)

    def elements(self, move: str) -> frozenset[str]:
        return frozenset(e for h in self.hits if h.move == move for e in h.elements)

    @property
    def objections(self) -> list[str]:
        return [s.split(":", 1)[1] for s in self.signals if s.startswith("objection:")]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"turn": self.turn, "speaker": self.speaker}
        if self.speaker == "rep":
            d["moves"] = [
                {"move": h.move, "confidence": round(h.confidence, 3), "quote": h.quote, "source": h.source}
                | ({"elements": list(h.elements)} if h.elements else {})
                for h in self.hits
                if h.confidence >= MOVE_THRESHOLD
            ]
        else:
            d["signals"] = dict(self.signals)
        return d


@dataclass(frozen=True)
class CallReading:
    turns: tuple[TurnReading, ...]

    def rep(self) -> list[TurnReading]:
        return [t for t in self.turns if t.speaker == "rep"]

    def coo(self) -> list[TurnReading]:
        return [t for t in self.turns if t.speaker == "coo"]

    def next_coo(self, turn: int) -> TurnReading | None:
        for t in self.turns[turn + 1 :]:
            if t.speaker == "coo":
                return t
            return None
        return None

    def prev_coo(self, turn: int) -> TurnReading | None:
        for t in reversed(self.turns[:turn]):
            if t.speaker == "coo":
                return t
            return None
        return None

    def with_move(self, move: str) -> list[TurnReading]:
        return [t for t in self.rep() if t.has(move)]
