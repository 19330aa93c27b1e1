"""The browser app: thin Gradio wiring over `WebHandlers`.

`create_app` builds the Blocks without serving them (tests call the handlers directly or launch the app on a loopback
port); `trainer serve` launches them with `login_checker` as Gradio's `auth=`. Every function here reads the signed-in
user from `gr.Request.username` (None: no access) and hands it to a handler; the services check every right, because
every event is also an API endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from trainer.services.facade import Services
from trainer.services.live_calls import LiveCalls
from trainer.settings import Settings, get_settings
from trainer.web.events_calls import wire_calls
from trainer.web.events_playbook import wire_playbook
from trainer.web.events_team import wire_team
from trainer.web.events_trends import wire_trends
from trainer.web.handlers import WebHandlers
from trainer.web.handlers_team import TREND_PERIODS
from trainer.web.layout import drills_area, playbook_area, practice_area, sessions_area, team_area, trends_area
from trainer.web.ui import username

TAB_IDS = ("practice", "sessions", "drills", "team", "trends", "playbook")  # in the order of the tabs


def login_checker(services: Services) -> Callable[[str, str], bool]:
    """Gradio's `auth=`: the username and password checked against the users table (argon2id)."""

    def check(username: str, password: str) -> bool:
        return services.users.authenticate(username, password) is not None

    return check


def build_live(settings: Settings, services: Services) -> LiveCalls:
    """Stored calls on the configured model and grader (the embedded model by default)."""
    from trainer.services.grading import GradingService
    from trainer.services.practice import PracticeService

    practice = PracticeService(settings, content=services.content)
    return LiveCalls(services, practice, GradingService(settings, content=services.content))


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    live: LiveCalls | None = None,
    handlers: WebHandlers | None = None,
) -> gr.Blocks:
    """The app's Blocks, not served. Pass `services`/`live` (tests), or they are built from `settings`."""
    settings = settings or get_settings()
    if handlers is None:
        if services is None:
            from trainer.wiring import build_services

            services = build_services(settings)
        from trainer.wiring import build_question_reader

        handlers = WebHandlers(
            services, live or build_live(settings, services), build_question_reader(settings, services.content)
        )
    h = handlers

    def who(request: gr.Request | None) -> Any:
        return h.actor(username(request))

    # delete_cache: Gradio's copies of downloads older than an hour are removed every hour
    with gr.Blocks(title="COO call trainer", analytics_enabled=False, delete_cache=(3600, 3600)) as blocks:
        with gr.Row():
            header = gr.Markdown("Sign in to use the trainer.", elem_id="whoami")
            gr.Button("Log out", link="/logout", size="sm", scale=0)
        with gr.Tabs() as tabs:
            with gr.Tab("Practice", id="practice", visible=False) as practice_tab:
                p = practice_area(h.difficulty_choices(), settings.difficulty)
            with gr.Tab("My sessions", id="sessions", visible=False) as sessions_tab:
                m = sessions_area()
            with gr.Tab("Drills", id="drills", visible=False) as drills_tab:
                d = drills_area(h.difficulty_choices(), settings.difficulty)
            with gr.Tab("Team sessions", id="team", visible=False) as team_tab:
                t = team_area()
            with gr.Tab("Trends", id="trends", visible=False) as trends_tab:
                r = trends_area(TREND_PERIODS)
            with gr.Tab("Playbook", id="playbook", visible=False) as playbook_tab:
                b = playbook_area(h.playbook_sections())

        # ---------------------------------------------------------------------------------------- on load

        def on_load(request: gr.Request) -> tuple:
            actor = who(request)
            allowed = h.tabs(actor)
            if actor is None:
                hidden = gr.Tab(visible=False)
                return ("Sign in to use the trainer.", *(hidden,) * len(TAB_IDS), gr.skip(), gr.skip())
            return (
                h.whoami(actor),
                *(gr.Tab(visible=name in allowed) for name in TAB_IDS),
                gr.Tabs(selected=h.first_tab(actor)),
                gr.Group(visible=h.can_create_drills(actor)),
            )

        blocks.load(
            on_load,
            outputs=[
                header,
                practice_tab,
                sessions_tab,
                drills_tab,
                team_tab,
                trends_tab,
                playbook_tab,
                tabs,
                d.create_group,
            ],
            api_visibility="private",
        )

        wire_calls(blocks, h, p, m, tabs, practice_tab, sessions_tab)
        wire_team(blocks, h, d, t, drills_tab, team_tab)
        wire_trends(blocks, h, r, trends_tab)
        wire_playbook(h, b, playbook_tab)
    return blocks
