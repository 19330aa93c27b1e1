"""'Next time, try' suggestions: concrete, for the lowest criteria, each grounded in a cited passage.

They are advice, not quotes: no line in quotation marks that a rep could read as words put in their mouth (the
grade's quotes are always the rep's own, checked verbatim)."""

from __future__ import annotations

from trainer.grading.model import CriterionGrade, Suggestion

_TRY: dict[str, dict[int, str]] = {
    "operational_terms": {
        0: "Drop the product talk: open on what the COO's staff do all day - where work waits, where it is handed off - and ask for their numbers.",
        1: "Replace feature and ROI lines with the COO's flow: time, handoffs, waiting, staff. One operational question beats three features.",
        2: "Where a claim or a long explanation crept in, ask for the COO's own numbers instead: how many, how long, where the week goes - and use their answer.",
    },
    "real_constraint": {
        0: "Name where time is being lost (admin, waiting, handoffs) and ask whether that matches their floor.",
        1: "After the COO answers, name one specific place where time is lost and check it with them before moving on.",
        2: "Get the COO to confirm the constraint in their words, and tell it apart from the symptom (more staff, more space).",
    },
    "disruption_risk": {
        0: "When the COO pushes back, read it as fear of disruption: acknowledge it, then offer a small start with a stop condition.",
        1: "Trade the big rollout for fast relief: one line or one team, no new steps or screens, and say when you would stop.",
        2: "Say out loud how you would avoid disruption: start small, add no new steps or screens, and stop if it slows staff down.",
    },
    "clarity": {
        0: "Close: propose a short working session - who, when, what will be mapped - and make it optional, or exit cleanly.",
        1: "Turn the loose next step (information to send, a call some time) into a specific working session to map where time is lost, made optional.",
        2: "Tighten the next step: who attends, when, and exactly what will be mapped or reviewed.",
    },
}


def suggestions(criteria: list[CriterionGrade], sections: list[CriterionGrade]) -> list[Suggestion]:
    """Two or three suggestions for the lowest-scoring criteria, each with the first citation of that criterion."""
    ranked = sorted((c for c in criteria if c.score < c.max), key=lambda c: (c.score, c.id))
    out = [
        Suggestion(_TRY[c.id][c.score], c.id, c.citations[0] if c.citations else None)
        for c in ranked[:3]
        if c.id in _TRY and c.score in _TRY[c.id]
    ]
    if len(out) < 2:
        for s in sorted((s for s in sections if s.score < s.max), key=lambda c: (c.score, c.id)):
            out.append(
                Suggestion(
                    f"Work on {s.id.replace('_', ' ')}: {s.rationale}", s.id, s.citations[0] if s.citations else None
                )
            )
            if len(out) >= 2:
                break
    if not out:
        best = criteria[0] if criteria else None
        if best is not None:
            out.append(
                Suggestion(
                    "Keep the same spine on a harder drill: raise the difficulty or try scenario C.",
                    best.id,
                    best.citations[0] if best.citations else None,
                )
            )
    return out
