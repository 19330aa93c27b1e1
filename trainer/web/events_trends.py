"""Events of the Trends tab: each criterion's average score over time for the team, as a table and a line plot."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from trainer.web.handlers import WebHandlers
from trainer.web.layout import TrendsArea
from trainer.web.ui import ALL, frame, keeps_outputs, shown_as_toast, team_filter_dropdowns, username
from trainer.web.views import TrendPoints

PLOT_COLUMNS = ["period", "criterion", "average", "calls"]


def plot_frame(trends: TrendPoints) -> pd.DataFrame:
    """The points in long form for gr.LinePlot: one line per criterion, the period start as a date."""
    df = pd.DataFrame(trends.points, columns=PLOT_COLUMNS)
    df["period"] = pd.to_datetime(df["period"])
    return df


def wire_trends(blocks: gr.Blocks, h: WebHandlers, r: TrendsArea, trends_tab: gr.Tab) -> None:
    def who(request: gr.Request | None) -> Any:
        return h.actor(username(request))

    def load_filters(request: gr.Request) -> tuple:
        actor = who(request)
        if "trends" not in h.tabs(actor):
            return (gr.skip(),) * 3
        return team_filter_dropdowns(h, actor)

    filters = [r.team, r.rep, r.persona, r.scenario, r.date_from, r.date_to, r.period]

    @keeps_outputs(3)
    def show(
        team: str,
        rep: str,
        persona: str,
        scenario: str,
        date_from: str,
        date_to: str,
        period: str,
        request: gr.Request,
    ) -> tuple:
        with shown_as_toast():
            trends = h.team_trends(
                who(request),
                team_id=team,
                rep_id=rep,
                persona_id=persona,
                scenario=scenario,
                date_from=date_from,
                date_to=date_to,
                period=period or "week",
            )
        periods = {point[0] for point in trends.points}
        note = "*No graded calls match these filters.*"
        if periods:
            note = "*Average score per criterion (calls graded in brackets), overrides applied.*"
        if len(periods) == 1:  # a line needs two points: say so rather than show an empty plot
            note += " *One period so far: the plot draws its lines from the second one on; the table has the scores.*"
        return note, frame(trends.table), plot_frame(trends)

    blocks.load(load_filters, outputs=[r.team, r.rep, r.persona], api_visibility="private")
    trends_tab.select(show, filters, [r.note, r.table, r.plot], api_visibility="private")
    r.show.click(show, filters, [r.note, r.table, r.plot], api_name="team_trends")

    def team_changed(team_id: str, request: gr.Request) -> Any:
        with shown_as_toast():
            return gr.Dropdown(choices=[ALL, *h.rep_choices(who(request), team_id)], value="")

    r.team.change(team_changed, [r.team], [r.rep], api_visibility="private")
