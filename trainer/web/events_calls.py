"""Events of the Practice and My sessions tabs: start a call, stream the COO's replies, hang up, open and resume."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from trainer.errors import RunError, UserError
from trainer.web.handlers import WebHandlers
from trainer.web.layout import GRADE_PLACEHOLDER, PracticeArea, SessionsArea
from trainer.web.ui import clicked_choice, frame, keeps_outputs, shown_as_toast, username

# a browser confirm before a call is dropped: Abandon sits next to Hang up and cannot be undone
CONFIRM_ABANDON = "() => confirm('Drop this call without a grade? It cannot be picked up again.')"


def wire_calls(
    blocks: gr.Blocks,
    h: WebHandlers,
    p: PracticeArea,
    m: SessionsArea,
    tabs: gr.Tabs,
    practice_tab: gr.Tab,
    sessions_tab: gr.Tab,
) -> None:
    def who(request: gr.Request | None) -> Any:
        return h.actor(username(request))

    def ended_line(what: str) -> dict:
        """The last line of the chat once a call is over, so the rep sees it without typing into a dead call."""
        return {"role": "assistant", "content": f"*{what} The call is over: your grade is beside the transcript.*"}

    # ---------------------------------------------------------------------------------------- my sessions

    def load_mine(request: gr.Request) -> tuple:
        actor = who(request)
        if "sessions" not in h.tabs(actor):
            return gr.skip(), gr.skip()
        table = h.my_sessions(actor)
        return frame(table), gr.Dropdown(choices=table.choices, value=None)

    def load_practice(request: gr.Request) -> tuple:
        actor = who(request)
        if "practice" not in h.tabs(actor):
            return gr.skip(), gr.skip(), gr.skip()
        personas = h.persona_choices(actor)
        first = personas[0][1] if personas else None
        drills = [("(free practice)", ""), *h.my_drill_choices(actor)]
        return (
            gr.Dropdown(choices=personas, value=first),
            gr.Dropdown(choices=h.scenario_choices(actor, first), value="A"),
            gr.Dropdown(choices=drills, value=""),
        )

    def refresh_drills(chosen: str, request: gr.Request) -> Any:
        """The rep's drills with their current status (after a call, or back on the tab); the choice is kept."""
        actor = who(request)
        if "practice" not in h.tabs(actor):
            return gr.skip()
        drills = [("(free practice)", ""), *h.my_drill_choices(actor)]
        return gr.Dropdown(choices=drills, value=chosen if chosen in {d for _, d in drills} else "")

    blocks.load(load_practice, outputs=[p.persona, p.scenario, p.drill], api_visibility="private")
    practice_tab.select(refresh_drills, [p.drill], [p.drill], api_visibility="private")

    def then_lists_refreshed(event: Any) -> None:
        """After a call is abandoned from My sessions (another call may be on Practice): the lists show it."""
        event.then(load_mine, outputs=[m.table, m.pick], api_visibility="private").then(
            refresh_drills, [p.drill], [p.drill], api_visibility="private"
        )

    def scenarios_for(persona_id: str, scenario: str, request: gr.Request) -> Any:
        """The persona's scenarios; the one chosen stays when the new persona has it too."""
        with shown_as_toast():
            choices = h.scenario_choices(who(request), persona_id)
        return gr.Dropdown(choices=choices, value=scenario if scenario in {s for _, s in choices} else "A")

    # on the user's choice only: a drill sets the COO and the scenario together (drill_chosen)
    p.persona.input(scenarios_for, [p.persona, p.scenario], [p.scenario], api_visibility="private")

    def drill_chosen(drill_id: str, request: gr.Request) -> tuple:
        """A drill sets the COO, the scenario and the difficulty (shown, not editable); free practice frees them."""
        if not drill_id:
            return gr.Dropdown(interactive=True), gr.Dropdown(interactive=True), gr.Dropdown(interactive=True)
        actor = who(request)
        with shown_as_toast():
            persona_id, scenario, difficulty = h.drill_setup(actor, drill_id)
            scenarios = h.scenario_choices(actor, persona_id)
        return (
            gr.Dropdown(value=persona_id, interactive=False),
            gr.Dropdown(choices=scenarios, value=scenario, interactive=False),
            gr.Dropdown(value=difficulty, interactive=False),
        )

    p.drill.change(drill_chosen, [p.drill], [p.persona, p.scenario, p.difficulty], api_visibility="private")

    @keeps_outputs(4)
    def start(
        persona_id: str, scenario: str, difficulty: str, drill_id: str, state: dict | None, request: gr.Request
    ) -> tuple:
        if state and not state.get("ended"):  # the call on screen stays as it is
            gr.Warning("You are still on a call: hang up (or abandon it) before you start another.", title="On a call")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        with shown_as_toast():
            view = h.start_call(who(request), persona_id, scenario, difficulty, drill_id or None)
        state = {"session_id": view.session_id, "messages": view.messages, "ended": False}
        return view.title, view.messages, GRADE_PLACEHOLDER, state

    p.start.click(
        start,
        [p.persona, p.scenario, p.difficulty, p.drill, p.state],
        [p.title, p.chat, p.grade, p.state],
        api_name="start_call",
    )

    def send(text: str, state: dict | None, request: gr.Request) -> Iterator[tuple]:
        if not state or state.get("ended"):
            gr.Warning("Start a call first." if not state else "This call has ended: start a new call.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        actor = who(request)
        before = list(state["messages"])
        shown = [*before, {"role": "user", "content": text}]
        yield shown, "", gr.skip(), gr.skip()  # the rep's line at once; restored below if it is refused
        reply = ""
        try:
            for reply in h.say(actor, state["session_id"], text):
                yield [*shown, {"role": "assistant", "content": reply}], gr.skip(), gr.skip(), gr.skip()
        except UserError as exc:
            if reply:
                raise gr.Error(str(exc), title="Please check", print_exception=False) from None
            gr.Warning(str(exc), title="Not sent")
            yield before, text, gr.skip(), gr.skip()  # nothing stored, nothing lost: the text is back in the box
            return
        except RunError as exc:
            raise gr.Error(f"something failed: {exc}", title="Run failed", print_exception=False) from None
        messages = [*shown, {"role": "assistant", "content": reply}] if reply else shown
        new_state = {**state, "messages": messages}
        grade: Any = gr.skip()
        with shown_as_toast():
            if h.call_over(actor, state["session_id"]):  # the COO ended the call: grade it now
                new_state["ended"] = True
                grade = h.hang_up(actor, state["session_id"])
                messages = [*messages, ended_line("The COO ended the call.")]
                new_state["messages"] = messages
        yield messages, gr.skip(), new_state, grade

    for trigger in (p.msg.submit, p.send.click):
        trigger(send, [p.msg, p.state], [p.chat, p.msg, p.state, p.grade], api_visibility="private")

    def hang_up(state: dict | None, request: gr.Request) -> tuple:
        if not state:
            gr.Warning("No call in progress: start one first.")
            return gr.skip(), gr.skip(), gr.skip()
        with shown_as_toast():
            md = h.hang_up(who(request), state["session_id"])
        if state.get("ended"):
            return md, gr.skip(), gr.skip()
        messages = [*state["messages"], ended_line("You hung up.")]
        return md, {**state, "ended": True, "messages": messages}, messages

    p.hang_up.click(hang_up, [p.state], [p.grade, p.state, p.chat], api_name="hang_up")

    def abandon(state: dict | None, sure: bool, request: gr.Request) -> tuple:
        if not state or state.get("ended"):
            gr.Warning("No call in progress." if not state else "This call has ended: nothing to abandon.")
            return gr.skip(), gr.skip()
        if not sure:  # the rep said no to "drop this call?": it goes on
            return gr.skip(), gr.skip()
        with shown_as_toast():
            md = h.abandon_call(who(request), state["session_id"])
        return md, {**state, "ended": True}

    asked = p.abandon.click(None, None, [p.sure], js=CONFIRM_ABANDON, api_visibility="private")
    asked.then(abandon, [p.state, p.sure], [p.grade, p.state], api_name="abandon_call")
    # the grade panel changes when a call ends (hung up, ended by the COO, abandoned) or starts: the lists follow
    p.grade.change(load_mine, outputs=[m.table, m.pick], api_visibility="private").then(
        refresh_drills, [p.drill], [p.drill], api_visibility="private"
    )

    # ---------------------------------------------------------------------------------------- my sessions

    blocks.load(load_mine, outputs=[m.table, m.pick], api_visibility="private")
    sessions_tab.select(load_mine, outputs=[m.table, m.pick], api_visibility="private")
    m.refresh.click(load_mine, outputs=[m.table, m.pick], api_visibility="private")

    def open_mine(session_id: str, request: gr.Request) -> tuple:
        with shown_as_toast():
            detail = h.open_session(who(request), session_id)
        shown = gr.Button(visible=detail.active)
        return detail.title, detail.messages, detail.grade, shown, shown

    m.open.click(open_mine, [m.pick], [m.title, m.chat, m.grade, m.resume, m.abandon], api_name="open_session")

    def open_clicked(evt: gr.SelectData, request: gr.Request) -> tuple:
        """A click on a row of My calls opens that call, as choosing it and pressing Open does."""
        session_id = clicked_choice(h.my_sessions(who(request)), evt)
        if session_id is None:
            gr.Warning("That call is no longer in the list: press Refresh.")
            return (gr.skip(),) * 6
        return gr.Dropdown(value=session_id), *open_mine(session_id, request)

    m.table.select(
        open_clicked, None, [m.pick, m.title, m.chat, m.grade, m.resume, m.abandon], api_visibility="private"
    )

    def abandon_mine(session_id: str, state: dict | None, request: gr.Request) -> tuple:
        """Abandon the open call chosen in My sessions (the same call on the Practice tab ends with it)."""
        actor = who(request)
        with shown_as_toast():
            md = h.abandon_call(actor, session_id)
            title = h.open_session(actor, session_id).title  # now says "abandoned"
        hidden = gr.Button(visible=False)
        if state and state.get("session_id") == session_id:
            return title, md, hidden, hidden, md, {**state, "ended": True}
        return title, md, hidden, hidden, gr.skip(), gr.skip()

    then_lists_refreshed(
        m.abandon.click(
            abandon_mine,
            [m.pick, p.state],
            [m.title, m.grade, m.resume, m.abandon, p.grade, p.state],
            api_visibility="private",
        )
    )

    def resumed(actor: Any, session_id: str) -> Iterator[tuple]:
        """The Practice tab's (title, chat, grade, state) for an open call picked up again, then the reply the COO
        still owed when the page went away, as it streams."""
        with shown_as_toast():
            view, owed = h.resume(actor, session_id)
            state = {"session_id": view.session_id, "messages": view.messages, "ended": False}
            yield view.title, view.messages, GRADE_PLACEHOLDER, state
            reply = ""
            for reply in owed:
                yield gr.skip(), [*view.messages, {"role": "assistant", "content": reply}], gr.skip(), gr.skip()
            if reply:
                messages = [*view.messages, {"role": "assistant", "content": reply}]
                yield gr.skip(), messages, gr.skip(), {**state, "messages": messages}

    def resume(session_id: str, request: gr.Request) -> Iterator[tuple]:
        if not session_id:
            raise gr.Error("choose a session first", title="Please check", print_exception=False)
        first = True
        for outputs in resumed(who(request), session_id):
            yield *outputs, (gr.Tabs(selected="practice") if first else gr.skip())
            first = False

    m.resume.click(resume, [m.pick], [p.title, p.chat, p.grade, p.state, tabs], api_name="resume_call")

    def resume_after_reload(state: dict | None, request: gr.Request) -> Iterator[tuple]:
        """A page opened (or reloaded) while the rep still has a call open: the call is back on Practice."""
        actor = who(request)
        session_id = None if state or "practice" not in h.tabs(actor) else h.open_call(actor)
        if session_id is None:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        gr.Info("Your call was still open: it is back, carry on where you left off.", title="Call resumed")
        yield from resumed(actor, session_id)

    blocks.load(resume_after_reload, [p.state], [p.title, p.chat, p.grade, p.state], api_visibility="private")
