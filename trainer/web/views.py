"""What the web app shows, as plain values: tables (headers + rows + choices), chat messages and markdown.

No Gradio here: the handlers return these and the app hands them to its components.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from trainer.content.loader import Content
from trainer.grading.model import Grade
from trainer.grading.render import grade_markdown
from trainer.ports import Passage
from trainer.services.grades import GradeView
from trainer.services.knowledge import Answer
from trainer.services.progress import DrillProgress
from trainer.services.records import Drill, PracticeSession, Turn

Message = dict[str, str]  # {"role": "user" | "assistant", "content": text}: gr.Chatbot's messages format


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, id) of each row, for an "open" dropdown


@dataclass(frozen=True)
class CallView:
    """A call on the Practice tab: who the rep is calling and the conversation so far."""

    session_id: str
    title: str  # markdown
    messages: list[Message]
    ended: bool = False


@dataclass(frozen=True)
class SessionDetail:
    """A stored session opened for reading: transcript and grade."""

    session_id: str
    title: str  # markdown
    messages: list[Message]
    grade: str  # markdown
    active: bool  # still open: the rep may resume it


@dataclass(frozen=True)
class TrendPoints:
    """Per-criterion averages over time: a table (a row per period, "average (calls)" per criterion) and the same
    points as (period start, criterion, average, calls) for a line plot."""

    table: Table
    points: list[tuple[dt.date, str, float, int]]


def when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def persona_label(content: Content, persona_id: str) -> str:
    p = content.personas.get(persona_id)
    return f"{p.name} ({p.company})" if p else persona_id


def scenario_label(content: Content, persona_id: str, scenario: str) -> str:
    p = content.personas.get(persona_id)
    spec = p.scenarios.get(scenario) if p else None  # type: ignore[call-overload]
    return f"{scenario}: {spec.title}" if spec else scenario


def call_title(content: Content, session: PracticeSession, drill: Drill | None = None) -> str:
    p = content.personas[session.persona_id]
    lines = [
        f"**Calling {p.name}, {p.title} of {p.company}** ({p.industry}, {p.size}) - scenario "
        f"{scenario_label(content, session.persona_id, session.scenario)} - difficulty {session.difficulty}"
    ]
    if drill is not None:
        lines.append(f"Drill **{drill.title}** (pass mark {drill.pass_mark} %)")
        if drill.instructions:
            lines.append(f"> {drill.instructions}")
    return "\n\n".join(lines)


def greeting_of(content: Content, session: PracticeSession) -> str:
    """The COO's opening line (said when the call starts; not stored as a turn)."""
    return content.opening_line(session.persona_id, session.scenario)


def messages_from_turns(greeting: str, turns: list[Turn]) -> list[Message]:
    """The conversation as stored: rep turns, and the COO's replies that were said (an interrupted one marked)."""
    out: list[Message] = [{"role": "assistant", "content": greeting}] if greeting else []
    for t in turns:
        if t.speaker == "rep":
            out.append({"role": "user", "content": t.text})
        elif t.status in ("complete", "interrupted") and t.text.strip():
            out.append({"role": "assistant", "content": t.text + (" [cut off]" if t.status == "interrupted" else "")})
    return out


def score_text(view: GradeView | None) -> str:
    if view is None:
        return ""
    g = view.grade
    if g.status == "failed":
        return "grade failed"
    if view.total is None or not g.max_total:
        return ""
    marked = " *" if view.overrides else ""
    return f"{view.total:g}/{g.max_total:g} ({view.percent or 0:.0f} %){marked}"


# who ended the call, said: "hung up" alone was used both when the rep hung up and when the COO did
_OUTCOME_WORDS = {"hung_up": "COO hung up", "deferred": "COO deferred"}


def outcome_text(session: PracticeSession) -> str:
    if session.state == "active":
        return "open"
    if session.state == "abandoned":
        return "abandoned"
    return _OUTCOME_WORDS.get(session.outcome or "", (session.outcome or "rep hung up").replace("_", " "))


def criterion_label(criterion_id: str) -> str:
    return criterion_id.replace("_", " ").capitalize()


def period_label(start: dt.date, period: str) -> str:
    if period == "month":
        return f"{start:%Y-%m}"
    return f"week of {start:%Y-%m-%d}" if period == "week" else f"{start:%Y-%m-%d}"


def stored_grade_markdown(view: GradeView | None, session: PracticeSession, names: dict[str, str] | None = None) -> str:
    """The grade that counts, as markdown, with any manager overrides listed beside the AI scores: who (a name
    from `names`, user id -> username), when and why."""
    if view is None:
        if session.state == "active":
            return "*The call is still open: it is graded when it ends.*"
        return "*Not graded.*"
    md = grade_markdown(
        Grade.from_dict(view.grade.document),
        title=f"Call grade (version {view.grade.version})",
        overrides={cid: o.score for cid, o in view.overrides.items()},
        total_with_overrides=view.total,
        passage_ids=False,
    )
    if view.overrides:
        lines = ["", "## Manager overrides", ""]
        for cid, o in view.overrides.items():
            who = (names or {}).get(o.created_by, "a manager")
            lines.append(
                f"- {criterion_label(cid)}: **{o.score}** (AI: {o.ai_score}) - by {who}, {when(o.created_at)} UTC: "
                f"{o.comment}"
            )
        for o in view.replaced:  # the audit trail: what a newer override replaced
            who = (names or {}).get(o.created_by, "a manager")
            lines.append(
                f"- *replaced:* {criterion_label(o.criterion_id)}: {o.score} (AI: {o.ai_score}) - by {who}, "
                f"{when(o.created_at)} UTC: {o.comment}"
            )
        total = f"{view.total:g}/{view.grade.max_total:g}" if view.total is not None and view.grade.max_total else ""
        lines += ["", f"**Total with overrides: {total}**", ""]
        md += "\n".join(lines)
    return md


def session_choice(content: Content, session: PracticeSession, who: str = "") -> tuple[str, str]:
    label = " · ".join(
        x
        for x in (
            when(session.started_at),
            who,
            persona_label(content, session.persona_id),
            f"scenario {session.scenario}",
            outcome_text(session),
        )
        if x
    )
    return label, session.id


def drill_choice(p: DrillProgress) -> tuple[str, str]:
    due = f", due {p.drill.due_at:%Y-%m-%d}" if p.drill.due_at else ""
    left = ""
    if p.attempts_left is not None:
        left = f", {p.attempts_left} attempt{'' if p.attempts_left == 1 else 's'} left"
    return f"{p.drill.title} ({p.status}{due}{left})", p.drill.id


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} %"


SECTION_LABELS = {
    "context": "The COO's situation",
    "scenarios": "Scenarios",
    "scenario_a": "Scenario A - cold, capacity pressure",
    "scenario_b": "Scenario B - improvement already under way",
    "scenario_c": "Scenario C - re-engaging a stalled initiative",
    "coo_lens": "What COOs optimise for and are wary of",
    "spine": "The call spine",
    "movement_1": "Movement 1 - relevance check (opening)",
    "movement_2": "Movement 2 - constraint framing",
    "movement_3": "Movement 3 - proof",
    "movement_4": "Movement 4 - decision or exit (close)",
    "objections": "Objections",
    "quality_check": "Quality check (after the call)",
}


def playbook_results(answer: Answer) -> str:
    """Search results as markdown: each passage under its heading path, and what was added to the question (the
    glossary's playbook words, a capable model's reading)."""
    if not answer.passages:
        return "*Nothing found in the playbook for that question in this part of it.*"
    lines = []
    if answer.glossary_terms:
        lines += [f"*Also searched for the playbook's words: {'; '.join(answer.glossary_terms)}.*", ""]
    if answer.model_terms:
        lines += [f"*And, as the model read your question: {'; '.join(answer.model_terms)}.*", ""]
    for i, p in enumerate(answer.passages, 1):
        section = SECTION_LABELS.get(str(p.metadata.get("section", "")), "")
        lines += [f"**{i}. {p.heading_path}**" + (f" · {section}" if section else ""), "", p.text, ""]
    return "\n".join(lines)


def playbook_from_passages(passages: list[Passage]) -> str:
    """An ingested playbook rebuilt from its passages (in document order): a heading wherever the heading path
    changes, at the depth it has in the path, then the passage's text."""
    lines: list[str] = []
    shown: list[str] = []
    for p in passages:
        path = [part.strip() for part in p.heading_path.split(" > ") if part.strip()]
        same = 0
        while same < min(len(path), len(shown)) and path[same] == shown[same]:
            same += 1
        for depth in range(same, len(path)):
            lines += [f"{'#' * min(depth + 2, 6)} {path[depth]}", ""]
        shown = path
        lines += [*_kept_lines(p.text), ""]
    return "\n".join(lines).strip()


def _kept_lines(text: str) -> list[str]:
    """A passage's lines as markdown that keeps them apart: a hard break after each line of prose, a blank line
    where a bullet list starts or ends (else markdown runs them into one paragraph)."""
    out: list[str] = []
    was_bullet = None
    for line in text.splitlines():
        bullet = line.lstrip().startswith(("- ", "* ", "• "))
        if was_bullet is not None and bullet != was_bullet:
            out.append("")
        out.append(line if bullet else f"{line}  ")
        was_bullet = bullet
    return out
