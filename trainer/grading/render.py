"""A grade as markdown, for people."""

from __future__ import annotations

from trainer.grading.model import CriterionGrade, Grade

_READING = {
    "read_as_signal": "read as a process signal and answered",
    "answered": "answered the signal without acknowledging it",
    "acknowledged_only": "acknowledged, signal not answered",
    "argued": "argued with",
    "ignored": "ignored",
    "call_ended": "the call ended before the rep answered",
}


def _criterion_md(c: CriterionGrade, override: int | None = None, passage_ids: bool = True) -> list[str]:
    heading = f"### {c.id.replace('_', ' ').capitalize()} - {c.score}/{c.max}"
    if override is not None:
        heading = f"### {c.id.replace('_', ' ').capitalize()} - {override}/{c.max} (manager; AI: {c.score}/{c.max})"
    out = [heading, "", c.rationale, ""]
    for e in c.evidence:
        out.append(f'> turn {e.turn}: "{e.quote}"')
    if c.evidence:
        out.append("")
    for cit in c.citations:
        ref = f" (`{cit.passage_id}`)" if passage_ids else ""
        out.append(f"- playbook: *{cit.heading_path}*{ref}: {' '.join(cit.text.split())}")
    if c.citations:
        out.append("")
    return out


OUTCOME_WORDS = {
    "working_session": "working session agreed",
    "clean_exit": "clean exit",
    "follow_up_call": "follow-up call",
    "vague": "vague next step",
    "none": "no decision",
}


def grade_markdown(
    grade: Grade,
    title: str = "Call grade",
    overrides: dict[str, int] | None = None,
    total_with_overrides: float | None = None,
    passage_ids: bool = True,
) -> str:
    """The grade for people. With a manager's `overrides` (criterion id -> score), the overridden scores and the
    total that counts are shown where the AI's would be, the AI's beside them. Without `passage_ids` (the web
    app), a citation shows its heading and text but not the store's id of the passage."""
    lines = [f"# {title}", ""]
    if grade.status == "failed":
        return "\n".join([*lines, f"**Grade failed:** {grade.reason}", ""])
    overrides = overrides or {}
    total = f"{grade.total}/{grade.max_total}"
    if overrides and total_with_overrides is not None:
        total = (
            f"{total_with_overrides:g}/{grade.max_total} with manager overrides (AI: {grade.total}/{grade.max_total})"
        )
    lines += [
        f"**Total: {total}** - outcome: {OUTCOME_WORDS.get(grade.outcome, grade.outcome)} - "
        f"grader: {grade.grader}{f' ({grade.model_id})' if grade.model_id else ''} - rubric {grade.rubric_id} "
        f"v{grade.rubric_version}" + (f" - **{grade.status}**: {grade.reason}" if grade.status != "ok" else ""),
        "",
    ]
    if grade.suggestions:  # what to do next time first: the reason a rep reads the grade
        lines += ["## Next time, try", ""]
        for sug in grade.suggestions:
            cite = f" (playbook: *{sug.citation.heading_path}*)" if sug.citation else ""
            lines.append(f"- {sug.text}{cite}")
        lines.append("")
    lines += ["## Quality check", ""]
    for c in grade.criteria:
        lines += _criterion_md(c, overrides.get(c.id), passage_ids)
    lines += ["## The four movements", ""]
    for m in grade.movements:
        mark = "reached" if m.reached else "missed"
        quote = f' - "{m.evidence[0].quote}"' if m.evidence else ""
        lines.append(f"- **{m.title}**: {mark}{quote}{f' ({m.note})' if m.note else ''}")
    lines.append("")
    if grade.objections:
        lines += ["## Objections met", ""]
        for o in grade.objections:
            sig = f" (usually signals: {o.signal.lower()})" if o.signal else ""
            lines.append(f'- turn {o.coo_turn}: "{o.coo_quote}"{sig} - {_READING.get(o.reading, o.reading)}')
        lines.append("")
    if grade.sections:
        lines += ["## More from the rubric", ""]
        for s in grade.sections:
            lines.append(f"- {s.id.replace('_', ' ')}: {s.score}/{s.max} - {s.rationale}")
        lines.append("")
    if grade.notes:
        lines += ["## Notes", "", *[f"- {n}" for n in grade.notes], ""]
    return "\n".join(lines)
