"""Practice calls in memory: start a call against a persona, and self-play a rep script (used by the CLI and
tests; the web app keeps its calls through the session store)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from trainer.content.loader import Content, load_content
from trainer.content.models import Transcript
from trainer.content.vocab import SCENARIOS
from trainer.engine.call import Call
from trainer.engine.state import DIFFICULTIES
from trainer.engine.voice import Voice
from trainer.errors import InputError, NotFoundError
from trainer.moves.llm_reader import LLMMoveReader
from trainer.moves.reader import MoveReader
from trainer.ports import LLM, Embedder
from trainer.settings import Settings

_lock = threading.Lock()
_readers: dict[int, MoveReader] = {}


def move_reader(content: Content, embedder: Embedder | None) -> MoveReader:
    """One reader per catalogue and embedder per process: it embeds every exemplar once."""
    key = hash((id(content.moves), id(embedder)))
    with _lock:
        if key not in _readers:
            _readers[key] = MoveReader(content.moves, embedder)
        return _readers[key]


@dataclass
class SimulationResult:
    persona: str
    scenario: str
    difficulty: str
    seed: int
    outcome: str
    objections_raised: list[str]
    turns: list[dict[str, str]]
    states: list[dict[str, Any]]
    rep_turns_unused: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "objections_raised": self.objections_raised,
            "turns": self.turns,
            "states": self.states,
            "persona": self.persona,
            "scenario": self.scenario,
            "difficulty": self.difficulty,
            "seed": self.seed,
            "rep_turns_unused": self.rep_turns_unused,
        }


class PracticeService:
    def __init__(
        self,
        settings: Settings,
        *,
        content: Content | None = None,
        llm: LLM | None = None,
        embedder: Embedder | None = None,
        use_llm: bool = True,
    ):
        self.settings = settings
        self.content = content or load_content(settings.content_dir)
        self._llm = llm
        self._embedder = embedder
        self._use_llm = use_llm

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from trainer.wiring import build_embedder

            self._embedder = build_embedder(self.settings)
        return self._embedder

    @property
    def llm(self) -> LLM | None:
        if self._llm is None and self._use_llm:
            from trainer.wiring import build_llm

            self._llm = build_llm(self.settings)
        return self._llm

    def resolve(self, persona_id: str | None, scenario: str | None, difficulty: str | None) -> tuple[str, str, str]:
        """Check ids, with errors that list the valid ones."""
        pid = persona_id or sorted(self.content.personas)[0]
        if pid not in self.content.personas:
            raise NotFoundError(f"unknown persona {pid!r}; valid personas: {', '.join(sorted(self.content.personas))}")
        sc = (scenario or "A").upper()
        if sc not in SCENARIOS:
            raise InputError(f"unknown scenario {scenario!r}; valid scenarios: {', '.join(SCENARIOS)}")
        diff = difficulty or self.settings.difficulty
        if diff not in DIFFICULTIES:
            raise InputError(f"unknown difficulty {difficulty!r}; valid difficulties: {', '.join(DIFFICULTIES)}")
        return pid, sc, diff

    def new_call(
        self,
        persona_id: str | None = None,
        scenario: str | None = None,
        difficulty: str | None = None,
        seed: int = 0,
    ) -> Call:
        pid, sc, diff = self.resolve(persona_id, scenario, difficulty)
        embedder = self.embedder
        llm = self.llm
        voice = Voice(llm, self.content.prompts, embedder, budget_s=self.settings.voice_budget_s)
        offline = move_reader(self.content, embedder)
        reader: MoveReader | LLMMoveReader = offline
        if llm is not None and llm.capable:
            reader = LLMMoveReader(offline, llm, self.content.prompts)  # a capable model reads moves too, checked
        return Call(
            self.content.personas[pid],
            sc,
            reader,
            voice,
            difficulty=diff,
            seed=seed,
            embedder=embedder,
            max_message_chars=self.settings.max_message_chars,
        )

    def simulate(
        self,
        script: Transcript,
        persona_id: str | None = None,
        scenario: str | None = None,
        difficulty: str | None = None,
        seed: int = 0,
        warm_up: bool = False,
    ) -> SimulationResult:
        """Play the rep turns of `script` against the engine (its COO turns are ignored). With `warm_up`, each rep
        turn waits until a local model has read the call so far, as a real rep's reading and typing allows; without
        it, each rep turn follows at once and its reply queues behind that read-ahead."""
        rep_lines = [t.text for t in script.turns if t.speaker == "rep"]
        if not rep_lines:
            raise InputError("the rep script has no rep turns to play")
        pid = persona_id or (script.persona if script.persona in self.content.personas else None)
        call = self.new_call(pid, scenario or script.scenario, difficulty, seed)
        call.open()
        used = 0
        for line in rep_lines:
            if call.ended:
                break
            if warm_up:
                call.voice.wait_primed()  # a rep takes longer than that to read the reply and answer
            for _ in call.rep_says(line):
                pass
            used += 1
        outcome = call.outcome or "script_ended"
        return SimulationResult(
            persona=call.persona.id,
            scenario=call.scenario_id,
            difficulty=call.difficulty,
            seed=seed,
            outcome=outcome,
            objections_raised=call.objections_raised(),
            turns=[t.model_dump() for t in call.turns],
            states=[r.to_dict() for r in call.records],
            rep_turns_unused=len(rep_lines) - used,
        )
