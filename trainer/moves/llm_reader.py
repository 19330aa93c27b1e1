"""The understanding layer with a capable model: the model's structured read of a rep turn, checked against the
offline read. The offline read is the floor; the model may add a move the cues missed (a paraphrase), but only
with words that stand verbatim in the turn, outside any words aimed at the system, and through the same context
rules. A failed or invalid model call leaves the offline read as it is.
"""

from __future__ import annotations

import secrets
from typing import Any

from trainer.content.prompts import PromptLibrary
from trainer.content.vocab import MOVE_IDS
from trainer.errors import RunError
from trainer.moves.reader import MoveReader
from trainer.moves.reading import MoveHit, TurnReading
from trainer.ports import LLM, Message

MIN_MODEL_CONFIDENCE = 0.6
# Moves that carry their own evidence in the words (numbers, days, claims): the cues decide them, not the model.
_CUES_DECIDE = {"off_role", "specific_close", "vague_close", "abstract_claim"}

READ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "moves": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "enum": list(MOVE_IDS)},
                    "confidence": {"type": "number"},
                    "quote": {"type": "string"},
                },
                "required": ["id", "confidence", "quote"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["moves"],
    "additionalProperties": False,
}


class LLMMoveReader:
    """Same interface as MoveReader for the COO engine (read_rep, read_coo)."""

    def __init__(self, offline: MoveReader, llm: LLM, prompts: PromptLibrary):
        self.offline = offline
        self.llm = llm
        self.prompts = prompts
        self.disagreements: list[str] = []  # what the model claimed that the check refused, for review

    def read_coo(self, text: str) -> dict[str, str]:
        return self.offline.read_coo(text)

    def read_rep(self, text: str, previous_coo: TurnReading | None = None, vectors: Any = None) -> tuple[MoveHit, ...]:
        floor = self.offline.read_rep(text, previous_coo, vectors)
        try:
            answer = self._ask(text, previous_coo)
        except RunError as exc:
            self.disagreements.append(f"model read failed: {exc}")
            return floor
        found = {h.move: h for h in floor}
        speech = [seg for seg, aimed_at_system in self.offline.segments(text) if not aimed_at_system]
        for item in answer.get("moves") or []:
            move, quote = str(item.get("id", "")), str(item.get("quote", "")).strip()
            confidence = float(item.get("confidence") or 0.0)
            if move not in MOVE_IDS or move in _CUES_DECIDE or confidence < MIN_MODEL_CONFIDENCE:
                continue
            if not quote or not any(quote in seg for seg in speech):
                self.disagreements.append(f"{move}: quote not in the rep's words to the COO: {quote[:80]!r}")
                continue
            if move in found:
                old = found[move]
                found[move] = MoveHit(move, min(0.99, old.confidence + 0.05), old.quote, "both", old.elements)
            else:
                found[move] = MoveHit(move, min(confidence, 0.9), quote, "llm")
        return self.offline.in_context(found, previous_coo)

    def _ask(self, text: str, previous_coo: TurnReading | None) -> dict[str, Any]:
        delimiter = f"<<<TURN-{secrets.token_hex(8)}>>>"
        moves = [{"id": m, "description": s.description} for m, s in self.offline.catalogue.rep_moves.items()]
        context = [{"speaker": "coo", "text": previous_coo.text}] if previous_coo is not None else []
        prompt = self.prompts.render(
            "moves_read", moves=moves, context_turns=context, rep_text=text, delimiter=delimiter
        )
        return self.llm.structured([Message("user", prompt)], READ_SCHEMA, name="read_moves")
