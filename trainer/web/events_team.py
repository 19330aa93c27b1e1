"""Events of the Drills and Team sessions tabs: create and assign drills, completion, team review, CSV export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import gradio as gr

from trainer.web.handlers import WebHandlers
from trainer.web.layout import DrillsArea, TeamArea
from trainer.web.ui import (
    ALL,
    ExportFolder,
    clicked_choice,
    frame,
    keeps_outputs,
    shown_as_toast,
    team_filter_dropdowns,
    username,
)


def wire_team(
    blocks: gr.Blocks, h: WebHandlers, d: DrillsArea, t: TeamArea, drills_tab: gr.Tab, team_tab: gr.Tab
) -> None:
    exports = ExportFolder()

    def who(request: gr.Request | None) -> Any:
        return h.actor(username(request))

    def scenarios_for(persona_id: str, request: gr.Request) -> Any:
        with shown_as_toast():
            return gr.Dropdown(choices=h.scenario_choices(who(request), persona_id), value="A")

    # ---------------------------------------------------------------------------------------- drills

    def load_drills(request: gr.Request) -> tuple:
        actor = who(request)
        if "drills" not in h.tabs(actor) or actor.team_id is None:
            return (gr.skip(),) * 5
        table = h.team_drills(actor)
        personas = h.persona_choices(actor)
        reps = h.rep_choices(actor) if h.can_create_drills(actor) else []
        return (
            frame(table),
            gr.Dropdown(choices=table.choices, value=None),
            gr.Dropdown(choices=personas, value=personas[0][1] if personas else None),
            gr.Dropdown(choices=h.scenario_choices(actor, personas[0][1] if personas else None), value="A"),
            gr.CheckboxGroup(choices=reps, value=[]),
        )

    drill_outputs = [d.table, d.pick, d.persona, d.scenario, d.reps]
    blocks.load(load_drills, outputs=drill_outputs, api_visibility="private")
    drills_tab.select(load_drills, outputs=drill_outputs, api_visibility="private")
    d.persona.change(scenarios_for, [d.persona], [d.scenario], api_visibility="private")

    @keeps_outputs(3)
    def create_drill(
        persona_id: str,
        scenario: str,
        difficulty: str,
        title: str,
        instructions: str,
        due: str,
        pass_mark: float | None,
        attempts: float | None,
        reps: list[str],
        whole: bool,
        request: gr.Request,
    ) -> tuple:
        actor = who(request)
        with shown_as_toast():
            drill = h.create_drill(
                actor,
                persona_id=persona_id,
                scenario=scenario,
                difficulty=difficulty,
                title=title,
                instructions=instructions,
                due=due,
                pass_mark=pass_mark,
                max_attempts=attempts,
                rep_ids=reps,
                whole_team=whole,
            )
            table = h.team_drills(actor)
        gr.Info(f"Drill '{drill.title}' created and assigned.")
        caveat = h.drill_caveat(drill)
        if caveat:
            gr.Warning(caveat, title="About the pass mark")
        return f"Created **{drill.title}**.", frame(table), gr.Dropdown(choices=table.choices, value=drill.id)

    d.create.click(
        create_drill,
        [
            d.persona,
            d.scenario,
            d.difficulty,
            d.title,
            d.instructions,
            d.due,
            d.pass_mark,
            d.attempts,
            d.reps,
            d.whole_team,
        ],
        [d.status, d.table, d.pick],
        api_name="create_drill",
    )

    def completion(drill_id: str, request: gr.Request) -> Any:
        if not drill_id:
            return gr.skip()
        with shown_as_toast():
            return frame(h.drill_completion(who(request), drill_id))

    d.pick.change(completion, [d.pick], [d.completion], api_name="drill_completion")

    # ---------------------------------------------------------------------------------------- team sessions

    def load_team(request: gr.Request) -> tuple:
        actor = who(request)
        if "team" not in h.tabs(actor):
            return (gr.skip(),) * 4
        return (*team_filter_dropdowns(h, actor), gr.Group(visible=h.can_override(actor)))

    filters = [t.team, t.rep, t.persona, t.scenario, t.state, t.date_from, t.date_to]

    def by_filters(
        team: str, rep: str, persona: str, scenario: str, state: str, date_from: str, date_to: str
    ) -> dict[str, str]:
        """The filter boxes' values as the handlers' keyword arguments (team sessions, CSV export)."""
        return {"team_id": team, "rep_id": rep, "persona_id": persona, "scenario": scenario, "state": state,
                "date_from": date_from, "date_to": date_to}  # fmt: skip

    @keeps_outputs(2)
    def team_sessions(
        team: str,
        rep: str,
        persona: str,
        scenario: str,
        state: str,
        date_from: str,
        date_to: str,
        request: gr.Request,
    ) -> tuple:
        with shown_as_toast():
            table = h.team_sessions(who(request), **by_filters(team, rep, persona, scenario, state, date_from, date_to))
        return frame(table), gr.Dropdown(choices=table.choices, value=None)

    def team_sessions_on_show(
        team: str,
        rep: str,
        persona: str,
        scenario: str,
        state: str,
        date_from: str,
        date_to: str,
        request: gr.Request,
    ) -> tuple:
        if "team" not in h.tabs(who(request)):
            return gr.skip(), gr.skip()  # a rep's page load: no error toast, the tab is hidden anyway
        return team_sessions(team, rep, persona, scenario, state, date_from, date_to, request)

    team_tab.select(team_sessions_on_show, filters, [t.table, t.pick], api_visibility="private")
    blocks.load(load_team, outputs=[t.team, t.rep, t.persona, t.override_group], api_visibility="private").then(
        team_sessions_on_show, filters, [t.table, t.pick], api_visibility="private"
    )
    t.apply.click(team_sessions, filters, [t.table, t.pick], api_name="team_sessions")
    # a choice in a filter applies at once (a date on Enter), so the table and the CSV export always match
    for choice in (t.rep, t.persona, t.scenario, t.state):
        choice.input(team_sessions, filters, [t.table, t.pick], api_visibility="private")
    for date in (t.date_from, t.date_to):
        date.submit(team_sessions, filters, [t.table, t.pick], api_visibility="private")

    def team_changed(team_id: str, request: gr.Request) -> Any:
        with shown_as_toast():
            return gr.Dropdown(choices=[ALL, *h.rep_choices(who(request), team_id)], value="")

    t.team.change(team_changed, [t.team], [t.rep], api_visibility="private")

    @keeps_outputs(1)
    def export(
        team: str,
        rep: str,
        persona: str,
        scenario: str,
        state: str,
        date_from: str,
        date_to: str,
        request: gr.Request,
    ) -> Any:
        with shown_as_toast():
            text = h.export_csv(who(request), **by_filters(team, rep, persona, scenario, state, date_from, date_to))
        path = exports.write(f"team-sessions-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.csv", text)
        return gr.File(value=str(path), visible=True)

    t.export.click(export, filters, [t.csv], api_name="export_csv")

    def open_team(session_id: str, request: gr.Request) -> tuple:
        actor = who(request)
        with shown_as_toast():
            detail = h.open_session(actor, session_id)
            criteria = h.criterion_choices(actor, session_id) if h.can_override(actor) else []
        picked = gr.Dropdown(choices=criteria, value=criteria[0][1] if criteria else None)
        return detail.title, detail.messages, detail.grade, detail.session_id, picked

    t.open.click(open_team, [t.pick], [t.title, t.chat, t.grade, t.opened, t.criterion], api_name="open_team_session")

    def open_clicked(
        team: str,
        rep: str,
        persona: str,
        scenario: str,
        state: str,
        date_from: str,
        date_to: str,
        evt: gr.SelectData,
        request: gr.Request,
    ) -> tuple:
        """A click on a row of the team's sessions opens it, as choosing it and pressing Open does."""
        with shown_as_toast():
            table = h.team_sessions(who(request), **by_filters(team, rep, persona, scenario, state, date_from, date_to))
        session_id = clicked_choice(table, evt)
        if session_id is None:
            gr.Warning("That session is not in the list any more: press Apply filters.")
            return (gr.skip(),) * 6
        return gr.Dropdown(value=session_id), *open_team(session_id, request)

    t.table.select(
        open_clicked, filters, [t.pick, t.title, t.chat, t.grade, t.opened, t.criterion], api_visibility="private"
    )

    @keeps_outputs(3)
    def override(
        session_id: str | None, criterion_id: str, score: float | None, reason: str, request: gr.Request
    ) -> tuple:
        actor = who(request)
        with shown_as_toast():
            md = h.override_score(actor, session_id or "", criterion_id, score, reason)
            criteria = h.criterion_choices(actor, session_id or "")
        gr.Info("Score overridden: the new total is in the grade.")
        return md, gr.Dropdown(choices=criteria, value=criterion_id), ""

    def keep_pick(
        team: str,
        rep: str,
        persona: str,
        scenario: str,
        state: str,
        date_from: str,
        date_to: str,
        picked: str,
        request: gr.Request,
    ) -> tuple:
        """The table again (the overridden score marked *), the opened session still chosen."""
        with shown_as_toast():
            table = h.team_sessions(who(request), **by_filters(team, rep, persona, scenario, state, date_from, date_to))
        ids = {c[1] for c in table.choices}
        return frame(table), gr.Dropdown(choices=table.choices, value=picked if picked in ids else None)

    t.override.click(
        override,
        [t.opened, t.criterion, t.score, t.reason],
        [t.grade, t.criterion, t.reason],
        api_name="override_score",
    ).success(keep_pick, [*filters, t.pick], [t.table, t.pick], api_visibility="private")
