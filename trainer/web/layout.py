"""The components of each tab, laid out; `app.py` wires their events. Element ids are what the browser tests use."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from trainer.content.vocab import SCENARIOS
from trainer.services.records import SESSION_STATES

CHAT_HEIGHT = 420
GRADE_PLACEHOLDER = "*The grade appears here when the call ends.*"


@dataclass
class PracticeArea:
    persona: gr.Dropdown
    scenario: gr.Dropdown
    difficulty: gr.Dropdown
    drill: gr.Dropdown
    start: gr.Button
    title: gr.Markdown
    chat: gr.Chatbot
    msg: gr.Textbox
    send: gr.Button
    hang_up: gr.Button
    abandon: gr.Button
    grade: gr.Markdown
    state: gr.State  # {"session_id", "messages", "ended"} of the call on screen
    sure: gr.Checkbox  # hidden: the rep's answer to "drop this call?" (a browser confirm)


def practice_area(difficulties: list[str], default_difficulty: str) -> PracticeArea:
    with gr.Row():
        persona = gr.Dropdown(label="COO", elem_id="persona", scale=2)
        scenario = gr.Dropdown(label="Scenario", elem_id="scenario", scale=3)
        difficulty = gr.Dropdown(difficulties, value=default_difficulty, label="Difficulty", elem_id="difficulty")
        drill = gr.Dropdown(label="...or one of my drills", elem_id="drill", scale=3)
    start = gr.Button("Start call", variant="primary", elem_id="start-call")
    title = gr.Markdown(elem_id="call-title")
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Call", elem_id="chat", height=CHAT_HEIGHT, feedback_options=None)
            msg = gr.Textbox(
                label="Your line",
                elem_id="msg",
                placeholder="Say your line and press Enter",
                lines=1,
                max_lines=6,
            )
            with gr.Row():
                send = gr.Button("Send", elem_id="send")
                hang_up = gr.Button("Hang up", variant="stop", elem_id="hang-up")
                abandon = gr.Button("Abandon call", elem_id="abandon-call")
        with gr.Column(scale=2):
            grade = gr.Markdown(GRADE_PLACEHOLDER, elem_id="grade")
    sure = gr.Checkbox(visible=False)
    return PracticeArea(
        persona,
        scenario,
        difficulty,
        drill,
        start,
        title,
        chat,
        msg,
        send,
        hang_up,
        abandon,
        grade,
        gr.State(None),
        sure,
    )


@dataclass
class SessionsArea:
    table: gr.Dataframe
    refresh: gr.Button
    pick: gr.Dropdown
    open: gr.Button
    resume: gr.Button
    abandon: gr.Button
    title: gr.Markdown
    chat: gr.Chatbot
    grade: gr.Markdown


def sessions_area() -> SessionsArea:
    table = gr.Dataframe(label="My calls", interactive=False, elem_id="my-sessions", wrap=True)
    with gr.Row():
        pick = gr.Dropdown(label="Session", elem_id="my-pick", scale=4)
        open_ = gr.Button("Open", elem_id="my-open", scale=0)
        resume = gr.Button("Resume call", elem_id="my-resume", visible=False, scale=0)
        abandon = gr.Button("Abandon call", elem_id="my-abandon", visible=False, scale=0)
        refresh = gr.Button("Refresh", scale=0)
    title = gr.Markdown()
    with gr.Row():
        chat = gr.Chatbot(label="Transcript", elem_id="my-chat", height=CHAT_HEIGHT, feedback_options=None, scale=3)
        grade = gr.Markdown(elem_id="my-grade")
    return SessionsArea(table, refresh, pick, open_, resume, abandon, title, chat, grade)


@dataclass
class DrillsArea:
    create_group: gr.Group
    persona: gr.Dropdown
    scenario: gr.Dropdown
    difficulty: gr.Dropdown
    title: gr.Textbox
    instructions: gr.Textbox
    due: gr.Textbox
    pass_mark: gr.Number
    attempts: gr.Dropdown
    reps: gr.CheckboxGroup
    whole_team: gr.Checkbox
    create: gr.Button
    status: gr.Markdown
    table: gr.Dataframe
    pick: gr.Dropdown
    completion: gr.Dataframe


def drills_area(difficulties: list[str], default_difficulty: str) -> DrillsArea:
    with gr.Group(visible=False) as create_group:
        gr.Markdown("### New drill")
        with gr.Row():
            persona = gr.Dropdown(label="COO", elem_id="drill-persona")
            scenario = gr.Dropdown(label="Scenario", elem_id="drill-scenario")
            difficulty = gr.Dropdown(difficulties, value=default_difficulty, label="Difficulty")
        with gr.Row():
            title = gr.Textbox(label="Title (optional)", elem_id="drill-title")
            due = gr.Textbox(label="Due date (YYYY-MM-DD, optional)", elem_id="drill-due")
            pass_mark = gr.Number(70, label="Pass mark (%)", minimum=0, maximum=100)
            attempts = gr.Dropdown(
                [("unlimited", ""), *((str(n), str(n)) for n in range(1, 11))], value="", label="Max attempts"
            )
        instructions = gr.Textbox(label="Instructions for the reps (optional)", lines=2)
        with gr.Row():
            reps = gr.CheckboxGroup(label="Assign to", elem_id="drill-reps")
            whole_team = gr.Checkbox(label="Whole team (reps who join later too)")
        create = gr.Button("Create and assign", variant="primary", elem_id="drill-create")
        status = gr.Markdown()
    table = gr.Dataframe(label="Team drills", interactive=False, elem_id="team-drills")
    pick = gr.Dropdown(label="Who did this drill?", elem_id="drill-pick")
    completion = gr.Dataframe(
        headers=["Rep", "Status", "Attempts", "Attempts left", "First", "Best", "Latest"],
        label="Completion",
        interactive=False,
        elem_id="drill-completion",
    )
    return DrillsArea(
        create_group,
        persona,
        scenario,
        difficulty,
        title,
        instructions,
        due,
        pass_mark,
        attempts,
        reps,
        whole_team,
        create,
        status,
        table,
        pick,
        completion,
    )


@dataclass
class TeamArea:
    team: gr.Dropdown
    rep: gr.Dropdown
    persona: gr.Dropdown
    scenario: gr.Dropdown
    state: gr.Dropdown
    date_from: gr.Textbox
    date_to: gr.Textbox
    apply: gr.Button
    table: gr.Dataframe
    export: gr.Button
    csv: gr.File
    pick: gr.Dropdown
    open: gr.Button
    title: gr.Markdown
    chat: gr.Chatbot
    grade: gr.Markdown
    override_group: gr.Group  # shown to managers and admins
    criterion: gr.Dropdown
    score: gr.Number
    reason: gr.Textbox
    override: gr.Button
    opened: gr.State  # the id of the session opened below the table (what an override applies to)


def team_area() -> TeamArea:
    with gr.Row():
        team = gr.Dropdown(label="Team", visible=False)
        rep = gr.Dropdown(label="Rep", elem_id="team-rep")
        persona = gr.Dropdown(label="COO")
        scenario = gr.Dropdown([("All", ""), *((s, s) for s in SCENARIOS)], value="", label="Scenario")
        state = gr.Dropdown([("All", ""), *((s, s) for s in SESSION_STATES)], value="", label="State")
        date_from = gr.Textbox(label="From (YYYY-MM-DD)")
        date_to = gr.Textbox(label="To (YYYY-MM-DD)")
    with gr.Row():
        apply = gr.Button("Apply filters", elem_id="team-apply")
        export = gr.Button("Export CSV", elem_id="team-export")
    table = gr.Dataframe(label="Team sessions", interactive=False, elem_id="team-sessions", wrap=True)
    csv = gr.File(label="CSV export", elem_id="team-csv", visible=False)
    with gr.Row():
        pick = gr.Dropdown(label="Session", elem_id="team-pick", scale=4)
        open_ = gr.Button("Open", elem_id="team-open", scale=0)
    title = gr.Markdown()
    with gr.Row():
        chat = gr.Chatbot(label="Transcript", elem_id="team-chat", height=CHAT_HEIGHT, feedback_options=None, scale=3)
        grade = gr.Markdown(elem_id="team-grade")
    with gr.Group(visible=False) as override_group:
        gr.Markdown("### Override a score of the opened session")
        with gr.Row():
            criterion = gr.Dropdown(label="Criterion", elem_id="override-criterion", scale=2)
            score = gr.Number(
                label="New score", minimum=0, elem_id="override-score", scale=1
            )  # 2.5 is refused, not rounded
            reason = gr.Textbox(label="Why (kept beside the AI score)", elem_id="override-reason", scale=4)
        override = gr.Button("Override score", elem_id="override-save")
    return TeamArea(
        team,
        rep,
        persona,
        scenario,
        state,
        date_from,
        date_to,
        apply,
        table,
        export,
        csv,
        pick,
        open_,
        title,
        chat,
        grade,
        override_group,
        criterion,
        score,
        reason,
        override,
        gr.State(None),
    )


@dataclass
class TrendsArea:
    team: gr.Dropdown
    rep: gr.Dropdown
    persona: gr.Dropdown
    scenario: gr.Dropdown
    date_from: gr.Textbox
    date_to: gr.Textbox
    period: gr.Dropdown
    show: gr.Button
    note: gr.Markdown
    table: gr.Dataframe
    plot: gr.LinePlot


def trends_area(periods: tuple[str, ...]) -> TrendsArea:
    with gr.Row():
        team = gr.Dropdown(label="Team", visible=False)
        rep = gr.Dropdown(label="Rep", elem_id="trend-rep")
        persona = gr.Dropdown(label="COO")
        scenario = gr.Dropdown([("All", ""), *((s, s) for s in SCENARIOS)], value="", label="Scenario")
        date_from = gr.Textbox(label="From (YYYY-MM-DD)")
        date_to = gr.Textbox(label="To (YYYY-MM-DD)")
        period = gr.Dropdown(list(periods), value=periods[0], label="Per", elem_id="trend-period")
    show = gr.Button("Show trends", elem_id="trend-show")
    note = gr.Markdown(
        "*Average score per criterion over the team's graded calls (overrides applied).*", elem_id="trend-note"
    )
    table = gr.Dataframe(label="Average score (calls graded)", interactive=False, elem_id="trend-table")
    plot = gr.LinePlot(x="period", y="average", color="criterion", y_lim=[0, 3], label="Trend", elem_id="trend-plot")
    return TrendsArea(team, rep, persona, scenario, date_from, date_to, period, show, note, table, plot)


@dataclass
class PlaybookArea:
    query: gr.Textbox
    section: gr.Dropdown
    search: gr.Button
    results: gr.Markdown
    full_text: gr.Markdown


def playbook_area(sections: list[tuple[str, str]]) -> PlaybookArea:
    with gr.Row():
        query = gr.Textbox(
            label="Ask the playbook",
            elem_id="playbook-query",
            placeholder='In your own words, e.g. "the COO says IT will never sign off"',
            scale=4,
        )
        section = gr.Dropdown(sections, value="", label="Where", elem_id="playbook-section", scale=2)
    search = gr.Button("Search the playbook", variant="primary", elem_id="playbook-search")
    results = gr.Markdown(elem_id="playbook-results")
    with gr.Accordion("Read the whole playbook", open=False, elem_id="playbook-read"):
        full_text = gr.Markdown(elem_id="playbook-text")
    return PlaybookArea(query, section, search, results, full_text)
