"""One practice call: reads each rep turn, steps the COO's state machine, and has the voice phrase the decision."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from trainer.content.models import Persona, Turn
from trainer.engine.rules import Decision, TopicScorer, initial_state, step
from trainer.engine.state import DIFFICULTIES, CooState
from trainer.engine.voice import Voice, VoiceResult
from trainer.errors import InputError
from trainer.moves.llm_reader import LLMMoveReader
from trainer.moves.reader import MoveReader, moves_of
from trainer.moves.reading import TurnReading
from trainer.ports import Embedder


def embedding_topic_scorer(embedder: Embedder) -> TopicScorer:
    def score(text: str, topics: Sequence[str]) -> list[float]:
        vecs = embedder.embed([text, *topics])
        return [float(x) for x in vecs[1:] @ vecs[0]]

    return score


def validate_rep_message(text: str, max_chars: int) -> str:
    """Reject what no COO could answer, before anything is stored or any model is called."""
    if text is None or not text.strip():
        raise InputError("say something to the COO: the message is empty")
    if len(text) > max_chars:
        raise InputError(
            f"the message is {len(text):,} characters; the limit is {max_chars:,} (TRAINER_MAX_MESSAGE_CHARS). "
            "On a phone call, say it in a few sentences."
        )
    return text.strip()


@dataclass
class CooTurnRecord:
    """What the COO did on one turn and why: the hidden state replayed after the call."""

    act: str
    text: str
    state: dict[str, Any]
    fact_id: str | None = None
    objection_id: str | None = None
    rep_moves: list[str] = field(default_factory=list)
    voice_source: str = "authored"
    fallback_reason: str | None = None
    first_token_s: float | None = None
    first_words_s: float | None = None
    total_s: float = 0.0
    cut_by_budget: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "act": self.act,
            "fact_id": self.fact_id,
            "objection_id": self.objection_id,
            "rep_moves": self.rep_moves,
            "voice_source": self.voice_source,
            "fallback_reason": self.fallback_reason,
            "first_token_s": None if self.first_token_s is None else round(self.first_token_s, 4),
            "first_words_s": None if self.first_words_s is None else round(self.first_words_s, 4),
            "total_s": round(self.total_s, 4),
            "cut_by_budget": self.cut_by_budget,
            **self.state,
        }


class Call:
    def __init__(
        self,
        persona: Persona,
        scenario_id: str,
        reader: MoveReader | LLMMoveReader,
        voice: Voice,
        *,
        difficulty: str = "standard",
        seed: int = 0,
        embedder: Embedder | None = None,
        max_message_chars: int = 2000,
    ):
        if scenario_id not in persona.scenarios:
            raise InputError(
                f"unknown scenario {scenario_id!r}; valid scenarios: {', '.join(sorted(persona.scenarios))}"
            )
        if difficulty not in DIFFICULTIES:
            raise InputError(f"unknown difficulty {difficulty!r}; valid difficulties: {', '.join(DIFFICULTIES)}")
        self.persona = persona
        self.scenario_id = scenario_id
        self.scenario = persona.scenarios[scenario_id]  # type: ignore[index]
        self.profile = DIFFICULTIES[difficulty]
        self.difficulty = difficulty
        self.seed = seed
        self.reader = reader
        self.voice = voice
        self.topic_scorer = embedding_topic_scorer(embedder) if embedder is not None else None
        self.max_message_chars = max_message_chars
        self.state: CooState = initial_state(persona, self.scenario, self.profile)
        self.turns: list[Turn] = []
        self.records: list[CooTurnRecord] = []
        self._seen_moves: list[frozenset[str]] = []
        self._last_coo_reading: TurnReading | None = None

    @property
    def ended(self) -> bool:
        return self.state.ended

    @property
    def outcome(self) -> str | None:
        return self.state.outcome

    def _rng(self) -> random.Random:
        return random.Random(self.seed * 1_000_003 + len(self.turns))

    def open(self) -> str:
        """The COO picks up the phone."""
        text = self.scenario.opening_line
        self._add_coo(Decision("greet"), text, VoiceResult(text=text), [])
        self.warm_up()  # the model reads the persona and the greeting while the rep reads it
        return text

    def warm_up(self) -> None:
        """Let a local model read the persona and the call so far while the rep is reading or typing (background;
        only the embedded model does anything)."""
        self.voice.prime(self.persona, self.scenario, self.turns)

    def rep_says(self, text: str) -> Iterator[str]:
        """Take one rep turn and stream the COO's reply. Raises InputError before anything happens on bad input."""
        if self.ended:
            raise InputError(f"the call has ended ({self.outcome}); start a new call")
        text = validate_rep_message(text, self.max_message_chars)
        self.turns.append(Turn(speaker="rep", text=text))
        new_state, decision, moves = self.decide(text)
        result = VoiceResult()
        pieces = []
        for piece in self.voice.speak(decision, self.persona, self.scenario, self.turns, self._rng(), result):
            pieces.append(piece)
            yield piece
        self.state = new_state
        self._add_coo(decision, result.text, result, sorted(moves))
        if not self.ended:
            self.warm_up()  # the model reads this reply while the rep thinks about the next turn

    def decide(self, text: str) -> tuple[CooState, Decision, frozenset[str]]:
        """Read the rep's words and step the state machine (no model involved)."""
        hits = self.reader.read_rep(text, self._last_coo_reading)
        moves = moves_of(hits)
        new_state, decision = step(
            self.state, moves, text, self.persona, self.scenario, self.profile, self._seen_moves, self.topic_scorer
        )
        self._seen_moves.append(moves)
        return new_state, decision, moves

    def answer_pending(self) -> Iterator[str]:
        """Say the reply to a rep turn that was replayed but never answered (the app died before the reply)."""
        pending = getattr(self, "_pending", None)
        if pending is None:
            return
        decision, moves = pending
        del self._pending
        result = VoiceResult()
        yield from self.voice.speak(decision, self.persona, self.scenario, self.turns, self._rng(), result)
        self._add_coo(decision, result.text, result, moves)

    def replay(self, turns: Sequence[Turn]) -> None:
        """Rebuild the call from stored turns (resume after a crash): same rep turns, same seed -> same state."""
        for turn in turns:
            if turn.speaker == "coo" and not self.turns:
                self._add_coo(Decision("greet"), turn.text, VoiceResult(text=turn.text), [])
            elif turn.speaker == "rep":
                self.turns.append(Turn(speaker="rep", text=turn.text))
                self.state, decision, moves = self.decide(turn.text)
                self._pending = (decision, sorted(moves))
            elif hasattr(self, "_pending"):
                decision, moves_list = self._pending
                self._add_coo(decision, turn.text, VoiceResult(text=turn.text, source="stored"), moves_list)
                del self._pending
        if not self.ended and not hasattr(self, "_pending"):
            self.warm_up()

    def _add_coo(self, decision: Decision, text: str, result: VoiceResult, moves: list[str]) -> None:
        turn = Turn(speaker="coo", text=text)
        self.turns.append(turn)
        # The engine knows what its COO did, so the context for reading the next rep turn comes from the decision,
        # not from however the model phrased it: the same rep turns take the same path whatever the voice said.
        self._last_coo_reading = TurnReading(len(self.turns) - 1, "coo", text, signals=_signals_of(decision, text))
        self.records.append(
            CooTurnRecord(
                act=decision.act,
                text=text,
                state=self.state.to_dict(),
                fact_id=decision.fact_id,
                objection_id=decision.objection_id,
                rep_moves=moves,
                voice_source=result.source,
                fallback_reason=result.fallback_reason,
                first_token_s=result.first_token_s,
                first_words_s=result.first_words_s,
                total_s=result.total_s,
                cut_by_budget=result.cut_by_budget,
            )
        )

    def objections_raised(self) -> list[str]:
        return [r.objection_id for r in self.records if r.act == "raise_objection" and r.objection_id]

    def transcript_dict(self) -> dict[str, Any]:
        return {
            "persona": self.persona.id,
            "scenario": self.scenario_id,
            "difficulty": self.difficulty,
            "turns": [t.model_dump() for t in self.turns],
        }


_ACT_SIGNALS: dict[str, tuple[str, ...]] = {
    "push_back_theory": ("concern",),
    "test_claim": ("concern",),
    "not_relevant": ("reject",),
    "defer": ("defer",),
    "reveal_fact": ("affirm",),
    "accept_session": ("accept",),
    "ask_next_step": ("invite_close",),
    "answer": ("hedge",),
}


def _signals_of(decision: Decision, text: str) -> dict[str, str]:
    signals = {name: text for name in _ACT_SIGNALS.get(decision.act, ())}
    if decision.act == "raise_objection" and decision.objection_id:
        signals[f"objection:{decision.objection_id}"] = text
        signals["concern"] = text
    return signals
