"""The signal grader's rules: the four quality-check scores from the move reading and the COO's reactions.

Anchors (calibration README): each score names what it saw, and quotes the rep's own words. Deterministic.
Only rep turns earn or lose points; `off_role` (words aimed at the system, not the COO) is ignored for scoring.
"""

from __future__ import annotations

import re

from trainer.grading.model import CallOutcome, CriterionGrade, Evidence
from trainer.moves.reading import CallReading, TurnReading

OPERATIONAL = ("relevance_check", "constraint_framing", "flow_question", "symptom_vs_constraint", "grounded_proof",
               "disruption_reassurance", "relief_vs_redesign")  # fmt: skip
LAPSES = ("abstract_claim", "feature_pitch", "jargon")
PITCH = ("feature_pitch", "jargon")
MONOLOGUE_WORDS = 110
_OWN_NUMBERS = re.compile(
    r"\bhow (many|long|often|much)\b|\b(\d+|one|two|three|four|five|six|ten|twenty|thirty|forty|fifty|sixty|ninety)"
    r"\s?(min|minutes|hours?|days?|weeks?|%|per)\b",
    re.I,
)
_SYMPTOM_OBJECTIONS = ("more_staff", "space_bottleneck")
_DISRUPTION_WORRIES = ("it_will_block", "staff_wont_adopt")


def _q(t: TurnReading, move: str) -> Evidence:
    hit = t.hit(move)
    return Evidence(t.turn, hit.quote if hit else t.text)


def _answers_to(call: CallReading, turns: list[TurnReading]) -> list[tuple[TurnReading, TurnReading | None]]:
    return [(t, call.next_coo(t.turn)) for t in turns]


def operational_terms(call: CallReading) -> CriterionGrade:
    reps = call.rep()
    # a session proposal that names what will be walked or timed is operational talk too
    good = [t for t in reps if t.moves & set(OPERATIONAL) or "what" in t.elements("specific_close")]
    lapses = [t for t in reps if t.moves & set(LAPSES)]
    pitch = [
        t for t in reps if t.moves & set(PITCH) or ("abstract_claim" in t.moves and not t.moves & set(OPERATIONAL))
    ]
    monologues = [t for t in reps if len(t.text.split()) > MONOLOGUE_WORDS]
    own_numbers = [t for t in good if _OWN_NUMBERS.search(" ".join(h.quote for h in t.hits))]
    ev_good = [_q(t, next((m for m in OPERATIONAL if m in t.moves), "specific_close")) for t in good[:2]]
    ev_bad = [_q(t, next(m for m in LAPSES if m in t.moves)) for t in lapses[:2]]
    if not good:
        score, why = (
            0,
            "The rep never spoke in operational terms: the talk was product features, jargon or abstract value.",
        )
        if not lapses:
            why = "The rep said nothing operational: no flow, time, handoffs, waiting or staff in any turn."
    elif len(pitch) >= len(good):
        score, why = 1, (f"Mostly pitch: {len(pitch)} of {len(reps)} rep turns were product, jargon or abstract claims, "
                         f"with operational words in only {len(good)}.")  # fmt: skip
    elif lapses or monologues:
        kinds = sorted({m.replace("_", " ") for t in lapses for m in t.moves & set(LAPSES)})
        if monologues:
            kinds.append("a monologue")
        score, why = 2, (f"Operational in {len(good)} of {len(reps)} rep turns, with lapses ({', '.join(kinds)}): "
                         "the playbook asks to avoid abstract value claims and tool talk.")  # fmt: skip
    elif own_numbers and len(good) * 5 >= len(reps) * 3:
        score, why = 3, (f"Operational throughout ({len(good)} of {len(reps)} rep turns on flow, time, waiting or staff), "
                         "and the rep worked with the COO's own numbers.")  # fmt: skip
        ev_good = [Evidence(own_numbers[0].turn, _number_quote(own_numbers[0])), *ev_good[:1]]
    elif len(good) >= 4 and len(good) * 5 >= len(reps) * 4:
        score, why = 3, (f"Operational throughout: {len(good)} of {len(reps)} rep turns on flow, time, waiting or "
                         "staff, with no pitch, jargon or abstract claim.")  # fmt: skip
    else:
        score, why = 2, (f"Operational in {len(good)} of {len(reps)} rep turns with no pitch, but the rep never worked "
                         "with the COO's own numbers (how many, how long, where the time goes).")  # fmt: skip
    return CriterionGrade("operational_terms", score, 3, why, _dedupe(ev_good + ev_bad))


def _number_quote(t: TurnReading) -> str:
    for h in t.hits:
        if _OWN_NUMBERS.search(h.quote):
            return h.quote
    return t.text


def _doubts(coo: TurnReading) -> set[str]:
    """The COO's hedges and rejections, leaving out those said in the same breath as an objection to the proposal
    (its value, IT, adoption): "yeah, that's fair ... still, I don't see it moving the needle" doubts the fix, not
    where the time goes."""
    about_the_fix = {coo.signals[f"objection:{o}"] for o in coo.objections if o not in _SYMPTOM_OBJECTIONS}
    return {s for s in ("hedge", "reject") if s in coo.signals and coo.signals[s] not in about_the_fix}


def real_constraint(call: CallReading) -> CriterionGrade:
    reps = call.rep()
    framing = [t for t in reps if t.moves & {"constraint_framing", "symptom_vs_constraint"}]
    probes = [t for t in reps if "flow_question" in t.moves or "relevance_check" in t.moves]
    distinguished = [t for t in reps if "symptom_vs_constraint" in t.moves]
    answers = _answers_to(
        call, [t for t in reps if t.moves & {"constraint_framing", "symptom_vs_constraint", "flow_question"}]
    )
    confirmed = [
        (t, a)
        for t, a in answers
        if a is not None
        and {"affirm", "describes_constraint"} & set(a.signals)
        and not _doubts(a)
        and not t.moves & set(PITCH)  # "yes" to a pitch that mentions hours is no confirmed constraint
        and (t is not reps[0] or "describes_constraint" in a.signals)  # a "yes" to the opener says it is relevant
    ]
    # the COO's last judgement on a named constraint (a yes, a description, a maybe or a no) is what stands
    last_judged = next(
        (
            a
            for t, a in reversed(answers)
            if t.moves & {"constraint_framing", "symptom_vs_constraint"}
            and not t.moves & {"specific_close", "vague_close"}  # a "maybe" to a proposed session judges the session
            and not t.moves & {*PITCH, "disruptive_proposal", "objection_dismissed"}  # a doubt judges the pitch, the
            # rollout or the argument, not where the time goes
            and a is not None
            and ({"affirm", "describes_constraint"} & set(a.signals) or _doubts(a))
        ),
        None,
    )
    doubted = last_judged is not None and bool(_doubts(last_judged))
    rejected = any(a is not None and "reject" in a.signals for _, a in answers) or any(
        "reject" in c.signals for c in call.coo()
    )
    symptom_raised = any(set(c.objections) & set(_SYMPTOM_OBJECTIONS) for c in call.coo())
    if not framing:
        if probes and rejected:
            return CriterionGrade("real_constraint", 1, 3, "The rep probed for a constraint; the COO said the problem "
                                  "is not there, so nothing was found.", [_q(probes[0], next(iter(probes[0].moves & {"flow_question", "relevance_check"})))])  # fmt: skip
        if probes:
            return CriterionGrade("real_constraint", 1, 3, "The rep asked about the operation but never named where "
                                  "time is being lost.", [_q(probes[0], next(iter(probes[0].moves & {"flow_question", "relevance_check"})))])  # fmt: skip
        return CriterionGrade("real_constraint", 0, 3, "No constraint was named: the rep never described where time is "
                              "lost (admin, waiting, handoffs). There is no quote to show because the point is an absence.")  # fmt: skip
    ev = [_q(framing[0], "constraint_framing" if "constraint_framing" in framing[0].moves else "symptom_vs_constraint")]
    if rejected and not confirmed:
        return CriterionGrade("real_constraint", 1, 3, "The rep probed a constraint, but the COO said it is fixed or "
                              "not theirs: nothing real was found.", ev)  # fmt: skip
    if confirmed and not doubted:
        t, a = confirmed[0]
        ev.append(Evidence(t.turn, (t.hit("constraint_framing") or t.hit("flow_question") or t.hits[0]).quote))
        if distinguished:
            ev.append(_q(distinguished[0], "symptom_vs_constraint"))
            return CriterionGrade("real_constraint", 3, 3, "A specific constraint where time is lost, confirmed by the "
                                  f"COO (\"{_coo_words(a)}\") and told apart from the symptom.", _dedupe(ev))  # fmt: skip
        if not symptom_raised:
            return CriterionGrade("real_constraint", 3, 3, "A specific constraint where time is lost, confirmed by the "
                                  f"COO (\"{_coo_words(a)}\").", _dedupe(ev))  # fmt: skip
        return CriterionGrade("real_constraint", 2, 3, "The COO confirmed where time is lost, but the rep never told the "
                              "constraint apart from the symptom the COO named (more staff, more space).", _dedupe(ev))  # fmt: skip
    if distinguished:
        ev.append(_q(distinguished[0], "symptom_vs_constraint"))
    return CriterionGrade("real_constraint", 2, 3, "A plausible constraint was named, but the COO did not confirm it "
                          "(the answer stayed hedged).", _dedupe(ev))  # fmt: skip


def disruption_risk(call: CallReading) -> CriterionGrade:
    reps = call.rep()
    dismissed = [t for t in reps if "objection_dismissed" in t.moves]
    reassure = [t for t in reps if "disruption_reassurance" in t.moves]
    elements = sorted({e for t in reassure for e in t.elements("disruption_reassurance")})
    disruptive = [t for t in reps if "disruptive_proposal" in t.moves]
    if dismissed:
        return CriterionGrade("disruption_risk", 0, 3, "The rep argued with or brushed off the COO's worry instead of "
                              "reading it as a fear of disruption.", [_q(dismissed[0], "objection_dismissed")])  # fmt: skip
    ev = [_q(t, "disruption_reassurance") for t in reassure[:3]]
    if len(elements) >= 2:
        names = ", ".join(e.replace("_", " ") for e in elements)
        return CriterionGrade("disruption_risk", 3, 3, f"Disruption risk addressed explicitly ({names}).", _dedupe(ev))
    if disruptive and not reassure:
        return CriterionGrade("disruption_risk", 1, 3, "The rep proposed disruptive change (a new platform or a long "
                              "rollout) and never addressed the disruption it brings.", [_q(disruptive[0], next(iter(disruptive[0].moves & {"disruptive_proposal", "feature_pitch"})))])  # fmt: skip
    if reassure:
        return CriterionGrade("disruption_risk", 2, 3, "No disruption added, and one reassurance, but no explicit small "
                              "start, no-new-steps promise and stop condition together.", _dedupe(ev))  # fmt: skip
    return CriterionGrade("disruption_risk", 2, 3, "The rep added no disruption but never addressed it: no small start, "
                          "no promise of no new steps, no stop condition. No quote: the point is an absence.")  # fmt: skip


# An exit asked as a question ("shall I close it off and not chase you?") is read as an offer, not an exit; when the
# COO says yes to it, the rep has left cleanly all the same.
_EXIT_OFFER = re.compile(
    r"\b(close (it|this|the file) off|leave it (there|at that)|not chase|won'?t chase|stop chasing|take you off)\b[^?]{0,80}\?",
    re.I,
)


def clarity(call: CallReading) -> tuple[CriterionGrade, CallOutcome]:
    reps = call.rep()
    exits = [t for t in reps if "clean_exit" in t.moves]
    exits += [t for t in reps if _EXIT_OFFER.search(t.text) and _agreed_or_affirmed(call.next_coo(t.turn))]
    exits.sort(key=lambda t: t.turn)
    closes = [t for t in reps if "specific_close" in t.moves]
    vague = [t for t in reps if "vague_close" in t.moves]
    accepted = [t for t in closes if _agreed(call.next_coo(t.turn)) or _agreed(_previous_coo(call, t.turn))]
    if accepted:
        t = accepted[0]
        elements = set().union(*(c.elements("specific_close") for c in closes))
        yes = call.next_coo(t.turn) if _agreed(call.next_coo(t.turn)) else _previous_coo(call, t.turn)
        if yes is not None and "names_time" in yes.signals:
            elements.add("when")  # the COO said when: "Tuesday at 3, at the repairs hub"
        ev = [_q(t, "specific_close")]
        if len(elements & {"session", "what", "who", "when"}) >= 3:
            return CriterionGrade("clarity", 3, 3, "A specific working session was agreed: who, when and what will be "
                                  "mapped.", ev), "working_session"  # fmt: skip
        missing = " or ".join(x for x in ("who", "when", "what will be mapped") if x.split()[0] not in elements)
        return CriterionGrade("clarity", 2, 3, "A next step was agreed, but it is loose: it does not say "
                              f"{missing or 'enough of who, when and what will be mapped'}.", ev), "follow_up_call"  # fmt: skip
    last_close = max((t.turn for t in closes + vague), default=-1)
    if exits and exits[-1].turn > last_close:
        return CriterionGrade(
            "clarity",
            3,
            3,
            "A clean, explicit exit: the rep closed it off without chasing.",
            [_q(exits[-1], "clean_exit")],
        ), "clean_exit"
    if closes and (not vague or closes[-1].turn > vague[-1].turn):  # the rep's last word on the next step counts
        return CriterionGrade(
            "clarity",
            2,
            3,
            "The rep proposed a concrete session, but the COO did not agree to it.",
            [_q(closes[-1], "specific_close")],
        ), "follow_up_call"
    if vague:
        t = vague[-1]
        tags = set(t.elements("vague_close"))
        answer = call.next_coo(t.turn)
        said_yes = _agreed(answer)
        if said_yes and answer is not None and "names_time" in answer.signals:
            tags.add("when")
        # a call at a set time is concrete but loose; so is a demo or a call with others the COO agreed to, dated
        if "when" in tags and "send_info" not in tags and (said_yes or not tags & {"demo", "senior_call"}):
            return CriterionGrade("clarity", 2, 3, "A concrete but loose next step: a follow-up call at a set time, "
                                  "with nothing to map or decide.", [_q(t, "vague_close")]), "follow_up_call"  # fmt: skip
        return CriterionGrade("clarity", 1, 3, "A vague next step (send information, call later, a demo or a call with "
                              "someone else) instead of a decision.", [_q(t, "vague_close")]), "vague"  # fmt: skip
    deferred = [c for c in call.coo() if "defer" in c.signals]
    if deferred and deferred[-1].turn > last_close:
        # "Send me something and I'll have a look" - "Sure, will do": the COO set a vague next step, the rep took it
        return CriterionGrade("clarity", 1, 3, "A vague next step: the COO asked for something to read and the rep "
                              f"went along (\"{deferred[-1].signals['defer']}\") instead of reaching a decision. No "
                              "quote of the rep: the point is the missing decision."), "vague"  # fmt: skip
    return CriterionGrade("clarity", 0, 3, "No decision: the call ended without a proposed next step or an explicit "
                          "exit. No quote: the point is an absence."), "none"  # fmt: skip


def _agreed_or_affirmed(a: TurnReading | None) -> bool:
    return a is not None and bool({"accept", "affirm"} & set(a.signals)) and "defer" not in a.signals


def _agreed(a: TurnReading | None) -> bool:
    return a is not None and "accept" in a.signals and "defer" not in a.signals


def _previous_coo(call: CallReading, turn: int) -> TurnReading | None:
    """The COO's turn just before `turn`: a rep who recaps the session the COO has just agreed to ("Thursday at one
    with you and Ray") closes on an agreed session, not on a new proposal."""
    before = [c for c in call.coo() if c.turn < turn]
    return before[-1] if before and before[-1].turn == turn - 1 else None


def _coo_words(a: TurnReading) -> str:
    return a.signals.get("affirm") or a.signals.get("describes_constraint") or a.text


def _dedupe(ev: list[Evidence]) -> list[Evidence]:
    seen, out = set(), []
    for e in ev:
        if (e.turn, e.quote) not in seen:
            seen.add((e.turn, e.quote))
            out.append(e)
    return out
