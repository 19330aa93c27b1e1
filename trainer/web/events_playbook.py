"""Events of the Playbook tab: a question in the user's own words, the passages of the playbook that answer it."""

from __future__ import annotations

import gradio as gr

from trainer.web.handlers import WebHandlers
from trainer.web.layout import PlaybookArea
from trainer.web.ui import keeps_outputs, shown_as_toast, username


def wire_playbook(h: WebHandlers, a: PlaybookArea, playbook_tab: gr.Tab) -> None:
    @keeps_outputs(1)
    def search(query: str, section: str, request: gr.Request) -> str:
        with shown_as_toast():
            return h.search_playbook(h.actor(username(request)), query, section or "")

    a.search.click(search, [a.query, a.section], [a.results], api_name="search_playbook")
    a.query.submit(search, [a.query, a.section], [a.results], api_visibility="private")

    def read(request: gr.Request) -> str:
        with shown_as_toast():
            return h.playbook_text(h.actor(username(request)))

    playbook_tab.select(read, None, [a.full_text], api_visibility="private")
