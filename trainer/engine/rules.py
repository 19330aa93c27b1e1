"""The rules that move the COO's state and pick its next act. Data-driven by persona, scenario and difficulty.

`step()` is a pure function: (state, the rep's moves) -> (new state, decision). It never calls a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trainer.content.models import Fact, Persona, ScenarioSpec
from trainer.engine.state import CooState, DifficultyProfile

# Interest a move earns (before difficulty and diminishing returns).
GAINS: dict[str, float] = {
    "relevance_check": 1.0,
    "permission_ask": 0.5,
    "constraint_framing": 1.5,
    "symptom_vs_constraint": 1.0,
    "flow_question": 1.0,
    "relief_vs_redesign": 1.0,
    "grounded_proof": 1.5,
    "disruption_reassurance": 1.0,
    "objection_acknowledged": 0.5,
}
# (interest lost, patience lost) per move.
LOSSES: dict[str, tuple[float, float]] = {
    "feature_pitch": (2.0, 1.5),
    "jargon": (1.0, 1.0),
    "abstract_claim": (1.0, 0.5),
    "objection_dismissed": (2.0, 2.0),
    "disruptive_proposal": (2.0, 1.5),
    "off_role": (0.5, 1.0),
    "vague_close": (0.5, 0.0),
}
_TOPIC_MOVES = {"relevance_check", "constraint_framing", "symptom_vs_constraint", "flow_question", "grounded_proof"}

TopicScorer = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class Decision:
    act: str
    fact_id: str | None = None
    objection_id: str | None = None


def initial_state(persona: Persona, scenario: ScenarioSpec, profile: DifficultyProfile) -> CooState:
    return CooState(
        interest=float(scenario.interest_start),
        patience=max(1.0, persona.patience + profile.patience_bonus),
        ledger={o.id: "held" for o in scenario.objections},
    )


def step(
    state: CooState,
    moves: frozenset[str],
    rep_text: str,
    persona: Persona,
    scenario: ScenarioSpec,
    profile: DifficultyProfile,
    seen_moves: Sequence[frozenset[str]] = (),
    topic_scorer: TopicScorer | None = None,
) -> tuple[CooState, Decision]:
    """Apply one rep turn (its moves) and decide the COO's reply. `seen_moves` are the earlier rep turns' moves."""
    s = state.copy()
    s.rep_turns += 1
    _apply_deltas(s, moves, persona, scenario, profile, seen_moves)
    _update_ledger(s, moves, scenario, profile)
    decision = _decide(s, moves, rep_text, scenario, profile, topic_scorer)
    if decision.act == "reveal_fact" and decision.fact_id:
        s.facts_revealed.append(decision.fact_id)
    if decision.act == "raise_objection" and decision.objection_id:
        s.ledger[decision.objection_id] = "raised"
        s.raised_times[decision.objection_id] = s.raised_times.get(decision.objection_id, 0) + 1
    if decision.act == "not_relevant":
        s.not_relevant_said += 1
        s.recognises = False
    if decision.act == "grant_time":
        s.time_granted = True
    final_acts = ("accept_session", "acknowledge_exit", "end_call", "defer")
    if s.outcome is None and decision.act not in final_acts and s.rep_turns >= profile.max_rep_turns:
        s.outcome = "max_turns"
        s.reasons.append(f"the call reached {profile.max_rep_turns} rep turns")
        decision = Decision("end_call")
    s.last_act = decision.act
    return s, decision


def _apply_deltas(
    s: CooState,
    moves: frozenset[str],
    persona: Persona,
    scenario: ScenarioSpec,
    profile: DifficultyProfile,
    seen_moves: Sequence[frozenset[str]],
) -> None:
    for move in sorted(moves):
        if move in GAINS and scenario.pattern_applies:
            repeats = sum(1 for earlier in seen_moves if move in earlier)
            gain = GAINS[move] * profile.gain / (1 + 0.5 * repeats)
            if move in scenario.wins_over.moves:
                gain += 0.5 * profile.gain
            s.interest += gain
        if move in LOSSES:
            lost_interest, lost_patience = LOSSES[move]
            s.interest -= lost_interest * profile.loss
            s.patience -= lost_patience * profile.loss
            s.reasons.append(f"{move} cost interest and patience")
        if move in scenario.ends_call_when.moves:
            s.patience -= 1.0 * profile.loss
    if not moves:
        s.patience -= 1.0 * profile.loss
        s.reasons.append("the rep said nothing the COO could place")
    s.interest = max(0.0, min(10.0, s.interest))


def _update_ledger(s: CooState, moves: frozenset[str], scenario: ScenarioSpec, profile: DifficultyProfile) -> None:
    for obj in scenario.objections:
        if s.ledger.get(obj.id) != "raised":
            continue
        if "objection_dismissed" in moves:
            s.patience -= 1.0 * profile.loss
            s.reasons.append(f"the rep argued with the {obj.id} objection")
            continue
        seen = s.resolving.setdefault(obj.id, [])
        for move in sorted(moves & (set(obj.resolved_by) | {"objection_acknowledged"})):
            if move not in seen:
                seen.append(move)
        constructive = moves & set(GAINS)
        if len(constructive) >= 2 and "constructive answer" not in seen:
            seen.append("constructive answer")  # two good operational moves answer a worry even without naming it
        if len(seen) >= profile.resolve_moves:
            s.ledger[obj.id] = "resolved"
            s.interest = min(10.0, s.interest + 1.0 * profile.gain)
            s.reasons.append(f"{obj.id} resolved by {', '.join(seen)}")


def _decide(
    s: CooState,
    moves: frozenset[str],
    rep_text: str,
    scenario: ScenarioSpec,
    profile: DifficultyProfile,
    topic_scorer: TopicScorer | None,
) -> Decision:
    if "off_role" in moves:
        if s.patience <= 0:
            return _end(s, "hung_up", "patience ran out")
        s.reasons.append("the rep tried to take the COO out of its role")
        return Decision("redirect_role")
    if s.patience <= 0:
        return _end(s, "hung_up", "patience ran out")
    if s.patience <= 1 and s.interest < 2 and "clean_exit" not in moves:
        s.outcome = "deferred"
        s.reasons.append("almost out of patience and not interested: the COO brushes the rep off")
        return Decision("defer")
    if not scenario.pattern_applies:
        return _decide_not_applicable(s, moves)
    if "clean_exit" in moves:
        s.outcome = "clean_exit"
        return Decision("acknowledge_exit")
    if "specific_close" in moves:
        return _decide_close(s, scenario, profile)
    if "vague_close" in moves:
        s.outcome = "deferred"
        s.reasons.append("a vague next step gets a polite brush-off")
        return Decision("defer")
    if "sign_off" in moves:
        s.outcome = "no_decision"
        s.reasons.append("the rep said goodbye without a next step")
        return Decision("acknowledge_exit")
    objection = _triggered_objection(s, moves, scenario, profile)
    if objection is not None:
        s.reasons.append(f"{objection} triggered")
        return Decision("raise_objection", objection_id=objection)
    if moves & {"feature_pitch", "jargon", "disruptive_proposal"}:
        return Decision("push_back_theory")
    if "abstract_claim" in moves:
        return Decision("test_claim")
    if s.patience <= 1 and s.interest < 3:
        s.outcome = "deferred"
        s.reasons.append("low patience and little interest: the COO brushes the rep off")
        return Decision("defer")
    if s.rep_turns == 1 and not s.time_granted:
        if moves & {"relevance_check", "permission_ask"}:
            s.recognises = True if "relevance_check" in moves else s.recognises
            return Decision("grant_time")
        return Decision("ask_purpose")
    fact = _earned_fact(s, moves, rep_text, scenario, profile, topic_scorer)
    if fact is not None:
        s.recognises = True
        return Decision("reveal_fact", fact_id=fact.id)
    if not moves:
        return Decision("ask_purpose")
    if (
        s.interest >= profile.accept_interest
        and s.rep_turns >= 3
        and s.facts_revealed
        and s.last_act != "ask_next_step"
    ):
        return Decision("ask_next_step")
    return Decision("answer")


def _decide_not_applicable(s: CooState, moves: frozenset[str]) -> Decision:
    """The pattern is not this COO's problem: the right move for the rep is a clean exit."""
    if "clean_exit" in moves:
        s.outcome = "clean_exit"
        return Decision("acknowledge_exit")
    if "vague_close" in moves:
        s.outcome = "deferred"
        return Decision("defer")
    if "sign_off" in moves:
        s.outcome = "no_decision"
        return Decision("acknowledge_exit")
    if moves & {"feature_pitch", "jargon", "disruptive_proposal", "abstract_claim"}:
        return Decision("push_back_theory")
    pushing = moves & (_TOPIC_MOVES | {"specific_close", "relief_vs_redesign"})
    if pushing and s.not_relevant_said >= 1:
        s.patience -= 1.5
        s.reasons.append("the rep kept pushing after being told it is not their problem")
        if s.patience <= 0 or s.not_relevant_said >= 3:
            return _end(s, "hung_up", "pushed past a clear no")
    if pushing:
        return Decision("not_relevant")
    if s.rep_turns == 1 and "permission_ask" in moves:
        s.time_granted = True
        return Decision("grant_time")
    return Decision("ask_purpose" if s.rep_turns == 1 else "answer")


def _decide_close(s: CooState, scenario: ScenarioSpec, profile: DifficultyProfile) -> Decision:
    open_objections = [o for o in s.raised_open if s.raised_times.get(o, 0) < 2]
    if open_objections and s.interest < profile.accept_interest + 2:
        s.reasons.append(f"asked to commit while {open_objections[0]} is still open")
        return Decision("raise_objection", objection_id=open_objections[0])
    if s.interest >= profile.accept_interest:
        s.outcome = "working_session"
        s.reasons.append("interest high enough and no objection open: accepts the session")
        return Decision("accept_session")
    if s.interest >= profile.accept_interest - 2:
        s.reasons.append("not yet convinced enough to give time: tests the proposal")
        return Decision("test_claim")
    s.outcome = "deferred"
    s.reasons.append("asked for time before showing why: defers")
    return Decision("defer")


def _triggered_objection(
    s: CooState, moves: frozenset[str], scenario: ScenarioSpec, profile: DifficultyProfile
) -> str | None:
    """The first held objection whose trigger fires. Once the COO is won over (interest at the acceptance bar),
    only a bad move still brings one up: a convinced COO does not go looking for reasons to say no."""
    convinced = s.interest >= profile.accept_interest
    for obj in scenario.objections:
        if s.ledger.get(obj.id) != "held":
            continue
        triggers: set[str] = set(moves & set(obj.triggered_by))
        if convinced:
            triggers = {m for m in triggers if m in LOSSES}
        if triggers or (not convinced and obj.after_turn is not None and s.rep_turns >= obj.after_turn):
            return obj.id
    return None


def _earned_fact(
    s: CooState,
    moves: frozenset[str],
    rep_text: str,
    scenario: ScenarioSpec,
    profile: DifficultyProfile,
    topic_scorer: TopicScorer | None,
) -> Fact | None:
    eligible = [
        f
        for f in scenario.facts
        if f.id not in s.facts_revealed
        and moves & set(f.earned_by)
        and s.interest >= f.min_interest + profile.fact_offset
    ]
    if not eligible:
        return None
    if topic_scorer is None or len(eligible) == 1:
        return eligible[0]
    scores = topic_scorer(rep_text, [f.about for f in eligible])
    return eligible[max(range(len(eligible)), key=lambda i: (scores[i], -i))]


def _end(s: CooState, outcome: str, reason: str) -> Decision:
    s.outcome = outcome  # type: ignore[assignment]
    s.reasons.append(reason)
    return Decision("end_call")
