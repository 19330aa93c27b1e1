"""What the grade reports beside the four scores: the four movements, the objections met, the extra rubric
sections, and "next time, try" suggestions. All derived from the same move reading."""

from __future__ import annotations

from trainer.content.vocab import OBJECTION_SIGNALS
from trainer.grading.model import CriterionGrade, Evidence, MovementResult, ObjectionMet
from trainer.moves.reading import CallReading, TurnReading

# Moves that answer what each objection signals (the playbook's objection table).
ANSWERS_SIGNAL: dict[str, set[str]] = {
    "more_staff": {"symptom_vs_constraint", "constraint_framing"},
    "it_will_block": {"disruption_reassurance"},
    "space_bottleneck": {"symptom_vs_constraint", "constraint_framing"},
    "staff_wont_adopt": {"disruption_reassurance"},
    "wont_move_needle": {"grounded_proof", "flow_question"},
    "concern": {"disruption_reassurance", "constraint_framing", "flow_question", "grounded_proof"},
}


def _ev(t: TurnReading, move: str) -> Evidence:
    hit = t.hit(move)
    return Evidence(t.turn, hit.quote if hit else t.text)


def movements(call: CallReading) -> list[MovementResult]:
    reps = call.rep()
    opening = reps[:2]
    m1 = [t for t in opening if "relevance_check" in t.moves]
    m2 = [t for t in reps if "constraint_framing" in t.moves]
    m3 = [t for t in reps if "grounded_proof" in t.moves]
    abstract = [t for t in reps if "abstract_claim" in t.moves]
    m4 = [t for t in reps if t.moves & {"specific_close", "clean_exit"}]
    out = [
        MovementResult("movement_1", "Operational relevance check (opening)", bool(m1),
                       [_ev(m1[0], "relevance_check")] if m1 else [],
                       "" if m1 else "The opening did not reference a recognisable operational pattern."),
        MovementResult("movement_2", "Constraint framing (middle)", bool(m2),
                       [_ev(m2[0], "constraint_framing")] if m2 else [],
                       "" if m2 else "The rep never described where time is being lost."),
        MovementResult("movement_3", "Proof as operational validation", bool(m3),
                       [_ev(m3[0], "grounded_proof")] if m3 else ([_ev(abstract[0], "abstract_claim")] if abstract else []),
                       "" if m3 else ("Only abstract metrics were offered as proof." if abstract else "No proof was offered.")),
        MovementResult("movement_4", "Decision or exit (close)", bool(m4),
                       [_ev(m4[-1], "specific_close" if "specific_close" in m4[-1].moves else "clean_exit")] if m4 else [],
                       "" if m4 else "The call did not end on a working session or an explicit exit."),
    ]  # fmt: skip
    return out


def objections_met(call: CallReading) -> list[ObjectionMet]:
    met: list[ObjectionMet] = []
    for coo in call.coo():
        kinds = coo.objections or (["concern"] if "concern" in coo.signals else [])
        for oid in kinds:
            quote = coo.signals.get(f"objection:{oid}", coo.signals.get("concern", coo.text))
            nxt = next((t for t in call.rep() if t.turn > coo.turn), None)
            signal = OBJECTION_SIGNALS[oid][1] if oid in OBJECTION_SIGNALS else None
            if nxt is None:
                met.append(ObjectionMet(oid, coo.turn, quote, "call_ended", signal=signal))
                continue
            answered = nxt.moves & ANSWERS_SIGNAL[oid]
            if "objection_dismissed" in nxt.moves:
                reading, move = "argued", "objection_dismissed"
            elif "objection_acknowledged" in nxt.moves and answered:
                reading, move = "read_as_signal", sorted(answered)[0]
            elif answered:
                reading, move = "answered", sorted(answered)[0]
            elif "objection_acknowledged" in nxt.moves:
                reading, move = "acknowledged_only", "objection_acknowledged"
            else:
                reading, move = "ignored", ""
            hit = nxt.hit(move) if move else None
            met.append(ObjectionMet(oid, coo.turn, quote, reading, nxt.turn, hit.quote if hit else nxt.text, signal))
    return met


def section_scores(call: CallReading, met: list[ObjectionMet]) -> list[CriterionGrade]:
    reps = call.rep()
    out: list[CriterionGrade] = []
    first = reps[:2]
    rel = [t for t in first if "relevance_check" in t.moves]
    perm = [t for t in first if "permission_ask" in t.moves]
    if first and "feature_pitch" in first[0].moves:
        out.append(
            CriterionGrade(
                "movement_relevance",
                0,
                3,
                "The call opened with a product pitch.",
                [_ev(first[0], "feature_pitch")],
                section="movements",
            )
        )
    else:
        score = 3 if rel and perm else 2 if rel or perm else 1
        ev = [_ev(rel[0], "relevance_check")] if rel else []
        ev += [_ev(perm[0], "permission_ask")] if perm else []
        why = {
            3: "Opened on an operational pattern and asked permission.",
            2: "Opened with only one of: an operational pattern, a permission ask.",
            1: "Opened without an operational pattern or a permission ask.",
        }[score]
        out.append(CriterionGrade("movement_relevance", score, 3, why, ev, section="movements"))
    framing = [t for t in reps if "constraint_framing" in t.moves]
    choice = [t for t in reps if "relief_vs_redesign" in t.moves]
    pitch_mid = [t for t in reps if "feature_pitch" in t.moves]
    if framing and choice:
        out.append(
            CriterionGrade(
                "movement_constraint",
                3,
                3,
                "Framed where time is lost and contrasted fast relief with a redesign.",
                [_ev(framing[0], "constraint_framing"), _ev(choice[0], "relief_vs_redesign")],
                section="movements",
            )
        )
    elif framing:
        out.append(
            CriterionGrade(
                "movement_constraint",
                2,
                3,
                "Framed where time is lost, without offering a choice of fast relief or redesign.",
                [_ev(framing[0], "constraint_framing")],
                section="movements",
            )
        )
    elif pitch_mid:
        out.append(
            CriterionGrade(
                "movement_constraint",
                0,
                3,
                "Tool talk instead of constraint framing.",
                [_ev(pitch_mid[0], "feature_pitch")],
                section="movements",
            )
        )
    else:
        out.append(
            CriterionGrade("movement_constraint", 1, 3, "No framing of where time is lost.", section="movements")
        )
    proof = [t for t in reps if "grounded_proof" in t.moves]
    abstract = [t for t in reps if "abstract_claim" in t.moves]
    if proof and {"before_after", "timeline"} <= set().union(*(t.elements("grounded_proof") for t in proof)):
        out.append(
            CriterionGrade(
                "movement_proof",
                3,
                3,
                "One grounded example with before/after flow and a timeline.",
                [_ev(proof[0], "grounded_proof")],
                section="movements",
            )
        )
    elif proof:
        out.append(
            CriterionGrade(
                "movement_proof",
                2,
                3,
                "An example, but without both before/after flow and a timeline.",
                [_ev(proof[0], "grounded_proof")],
                section="movements",
            )
        )
    elif abstract:
        out.append(
            CriterionGrade(
                "movement_proof",
                0,
                3,
                "Only abstract metrics as proof.",
                [_ev(abstract[0], "abstract_claim")],
                section="movements",
            )
        )
    else:
        out.append(CriterionGrade("movement_proof", 1, 3, "No proof offered.", section="movements"))
    closes = [t for t in reps if "specific_close" in t.moves]
    exits = [t for t in reps if "clean_exit" in t.moves]
    vague = [t for t in reps if "vague_close" in t.moves]
    if exits or (closes and {"what", "optional"} <= set().union(*(t.elements("specific_close") for t in closes))):
        t = exits[-1] if exits else closes[0]
        out.append(
            CriterionGrade(
                "movement_close",
                3,
                3,
                "A working session with what is mapped, made optional - or a clean exit.",
                [_ev(t, "clean_exit" if exits else "specific_close")],
                section="movements",
            )
        )
    elif closes:
        out.append(
            CriterionGrade(
                "movement_close",
                2,
                3,
                "A working session proposed, without saying what is mapped or making it optional.",
                [_ev(closes[0], "specific_close")],
                section="movements",
            )
        )
    elif vague:
        out.append(
            CriterionGrade(
                "movement_close", 1, 3, "A vague close.", [_ev(vague[-1], "vague_close")], section="movements"
            )
        )
    else:
        out.append(CriterionGrade("movement_close", 0, 3, "No close.", section="movements"))
    real = [m for m in met if m.reading != "call_ended"]
    if real:
        readings = {m.reading for m in real}
        score = (
            0 if "argued" in readings else 1 if "ignored" in readings else 2 if "acknowledged_only" in readings else 3
        )
        why = {
            0: "At least one objection was argued with.",
            1: "At least one objection was ignored.",
            2: "Objections were acknowledged but the signal behind them was not answered.",
            3: "Every objection was read as a process signal and answered.",
        }[score]
        ev = [Evidence(m.rep_turn, m.rep_quote) for m in real if m.rep_turn is not None and m.rep_quote][:3]
        out.append(CriterionGrade("objection_reading", score, 3, why, ev, section="objections"))
    return out
