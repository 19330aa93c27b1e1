"""What each screen of the web app does, as plain methods over the service layer: an actor and plain values in,
plain values out (see `views`). No Gradio here, so every handler can be called and tested directly.

The services check every right (a rep never sees another rep's session, only a coach creates drills, ...); the
role checks here only keep a screen from offering what a role cannot use. A missing actor (None) gets no access.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from trainer.content.vocab import SCENARIOS, SECTION_TAGS
from trainer.errors import AccessDenied, InputError, NotFoundError
from trainer.ports import Passage, StoreUnavailable
from trainer.services import knowledge
from trainer.services.access import require_actor
from trainer.services.catalogue import DIFFICULTIES
from trainer.services.drills import DRILL_AUTHORS
from trainer.services.facade import Services
from trainer.services.live_calls import LiveCalls
from trainer.services.records import Actor, Drill, PracticeSession
from trainer.web import views
from trainer.web.handlers_team import TeamHandlers
from trainer.web.views import CallView, SessionDetail, Table

# Which tabs each role sees. Every role may practise and read the playbook; coaches and managers review their team;
# coaches set drills.
TABS: dict[str, tuple[str, ...]] = {
    "rep": ("practice", "sessions", "playbook"),
    "coach": ("practice", "sessions", "drills", "team", "trends", "playbook"),
    "manager": ("practice", "sessions", "drills", "team", "trends", "playbook"),
    "admin": ("practice", "sessions", "team", "trends", "playbook"),
}
FIRST_TAB = {"rep": "practice", "coach": "drills", "manager": "team", "admin": "team"}
PLAYBOOK_RESULTS = 3  # passages shown for a question on the Playbook tab


class WebHandlers(TeamHandlers):
    """Every screen's handlers: the rep's here, the team's in `TeamHandlers`."""

    def __init__(self, services: Services, live: LiveCalls, question_reader: knowledge.QuestionReader | None = None):
        self.services = services
        self.live = live
        self.question_reader = question_reader  # a capable model reading Playbook questions, when configured
        self.content = services.content
        self._lock = threading.Lock()
        self._answering: set[str] = set()  # sessions whose COO reply is streaming: one line at a time per call

    # ------------------------------------------------------------------------------------------------ who

    def actor(self, username: str | None) -> Actor | None:
        """The signed-in user behind Gradio's `request.username` (None: no access)."""
        return self.services.users.signed_in(username)

    def tabs(self, actor: Actor | None) -> tuple[str, ...]:
        return TABS.get(actor.role, ()) if actor is not None else ()

    def first_tab(self, actor: Actor | None) -> str | None:
        return FIRST_TAB.get(actor.role) if actor is not None else None

    def can_create_drills(self, actor: Actor | None) -> bool:
        return actor is not None and actor.role in DRILL_AUTHORS

    def whoami(self, actor: Actor | None) -> str:
        actor = require_actor(actor)
        teams = {t.id: t.name for t in self.services.users.list_teams(actor)}
        team = f" - {teams[actor.team_id]}" if actor.team_id in teams else ""
        return f"Signed in as **{actor.display_name or actor.username}** ({actor.role}){team}"

    # ------------------------------------------------------------------------------------------------ practice

    def persona_choices(self, actor: Actor | None) -> list[tuple[str, str]]:
        require_actor(actor)
        return [(views.persona_label(self.content, pid), pid) for pid in sorted(self.content.personas)]

    def scenario_choices(self, actor: Actor | None, persona_id: str | None) -> list[tuple[str, str]]:
        require_actor(actor)
        if persona_id not in self.content.personas:
            return [(s, s) for s in SCENARIOS]
        return [(views.scenario_label(self.content, persona_id, s), s) for s in SCENARIOS]

    def difficulty_choices(self) -> list[str]:
        return list(DIFFICULTIES)

    def drill_setup(self, actor: Actor | None, drill_id: str) -> tuple[str, str, str]:
        """(persona id, scenario, difficulty) of one of the actor's assigned drills: the call it sets."""
        actor = require_actor(actor)
        drill = next((p.drill for p in self.services.drills.my_drills(actor) if p.drill.id == drill_id), None)
        if drill is None:
            raise NotFoundError("that drill is not assigned to you; choose another one or free practice")
        return drill.persona_id, drill.scenario, drill.difficulty

    def my_drill_choices(self, actor: Actor | None) -> list[tuple[str, str]]:
        """The actor's assigned drills, soonest due first; a passed one is still offered (more practice)."""
        return [views.drill_choice(p) for p in self.services.drills.my_drills(actor)]

    def start_call(
        self,
        actor: Actor | None,
        persona_id: str | None,
        scenario: str | None,
        difficulty: str | None,
        drill_id: str | None = None,
    ) -> CallView:
        """Start a stored call (free practice, or an assigned drill when `drill_id` is given)."""
        actor = require_actor(actor)
        session, greeting = self.live.start(
            actor,
            persona_id=None if drill_id else persona_id or None,
            scenario=None if drill_id else scenario or None,
            difficulty=None if drill_id else difficulty or None,
            drill_id=drill_id or None,
        )
        title = views.call_title(self.content, session, self._drill(actor, session))
        return CallView(session.id, title, [{"role": "assistant", "content": greeting}])

    def say(self, actor: Actor | None, session_id: str, text: str) -> Iterator[str]:
        """The COO's reply so far, growing as it streams. The rep's turn is stored before the model is asked; bad
        input (empty, too long, the call has ended, a line sent while the COO is still answering) raises InputError
        on the first step and stores nothing."""
        with self._lock:
            if session_id in self._answering:
                raise InputError("the COO is still answering: wait for the reply, then say your next line")
            self._answering.add(session_id)
        try:
            reply = ""
            for piece in self.live.say(actor, session_id, text):
                reply += piece
                yield reply
        finally:
            with self._lock:
                self._answering.discard(session_id)

    def call_over(self, actor: Actor | None, session_id: str) -> bool:
        """Has the call ended (the COO hung up, accepted, or the rep hung up)?"""
        return self.services.sessions.get(actor, session_id).state != "active"

    def hang_up(self, actor: Actor | None, session_id: str) -> str:
        """End the rep's call (if the COO did not already) and grade it once; the grade as markdown."""
        actor = require_actor(actor)
        session = self.services.sessions.get(actor, session_id)
        if session.user_id != actor.id:
            raise AccessDenied("only the person practising can hang up this call")
        if session.state == "abandoned":
            return "*This call was abandoned: it is not graded.*"
        stored = self.services.grades.latest(actor, session_id)
        if stored is not None and stored.grade.status != "failed":
            return self._with_drill_verdict(actor, session, self.grade_text(actor, session, stored))
        grade = self.live.hang_up(actor, session_id)
        if grade is None:
            ended = self.services.sessions.get(actor, session_id)
            if not self.services.sessions.transcript(actor, session_id):
                return f"*Call ended ({views.outcome_text(ended)}) before you said anything: nothing to grade.*"
            return "*Call ended. No grader is configured, so it is not graded.*"
        from trainer.grading.render import grade_markdown

        return self._with_drill_verdict(actor, session, grade_markdown(grade, passage_ids=False))

    def _with_drill_verdict(self, actor: Actor, session: PracticeSession, md: str) -> str:
        """A drill attempt's grade opens with the verdict against the drill's pass mark, and what is left."""
        drill = self._drill(actor, session)
        view = self.services.grades.latest(actor, session.id)
        if drill is None or view is None or view.percent is None:
            return md
        progress = next((p for p in self.services.drills.my_drills(actor) if p.drill.id == drill.id), None)
        verdict = "passed" if view.percent >= drill.pass_mark else "not passed"
        left = ""
        if verdict == "not passed" and progress is not None and progress.attempts_left is not None:
            n = progress.attempts_left
            left = f"; {n} attempt{'' if n == 1 else 's'} left" if n else "; no attempts left: ask your coach"
        line = (
            f"**Drill '{drill.title}': {verdict}** - this call {view.percent:.0f} % against a pass mark of "
            f"{drill.pass_mark} %{left}."
        )
        title, _, rest = md.partition("\n")
        return f"{title}\n\n{line}\n{rest}" if title.startswith("#") else f"{line}\n\n{md}"

    def abandon_call(self, actor: Actor | None, session_id: str) -> str:
        """Drop the rep's open call without a grade (a drill attempt it was does not count, so the drill can be
        started again). Refused while the COO is answering, and for a call that has ended."""
        actor = require_actor(actor)
        if not session_id:
            raise InputError("choose a session first")
        with self._lock:
            if session_id in self._answering:
                raise InputError("the COO is still answering: wait for the reply, then abandon the call")
        self.live.abandon(actor, session_id)
        return "*Call abandoned: it is not graded, and a drill attempt does not count.*"

    def open_call(self, actor: Actor | None) -> str | None:
        """The actor's newest call that is still open (left by a reload or a closed tab), if any."""
        active = self.services.sessions.list_mine(require_actor(actor), states=("active",), limit=1)
        return active[0].id if active else None

    def resume(self, actor: Actor | None, session_id: str) -> tuple[CallView, Iterator[str]]:
        """Pick an open call up again (after a reload or a closed tab). The iterator streams a reply still owed."""
        actor = require_actor(actor)
        session = self.services.sessions.get(actor, session_id)
        if session.state != "active":
            raise InputError("this call has ended: open it to read the transcript and the grade")
        _call, owed = self.live.resume(actor, session_id)
        turns = self.services.sessions.transcript(actor, session_id)
        messages = views.messages_from_turns(views.greeting_of(self.content, session), turns)
        title = views.call_title(self.content, session, self._drill(actor, session))

        def streamed() -> Iterator[str]:
            reply = ""
            for piece in owed:
                reply += piece
                yield reply

        return CallView(session.id, title, messages), streamed()

    # ------------------------------------------------------------------------------------------------ sessions

    def my_sessions(self, actor: Actor | None) -> Table:
        """The actor's own calls, newest first, with outcome and score."""
        actor = require_actor(actor)
        sessions = self.services.sessions.list_mine(actor)
        drills = {p.drill.id: p.drill.title for p in self.services.drills.my_drills(actor)}
        rows, choices = [], []
        for s in sessions:
            view = self.services.grades.latest(actor, s.id)
            rows.append(
                [
                    views.when(s.started_at),
                    views.score_text(view),
                    views.outcome_text(s),
                    views.persona_label(self.content, s.persona_id),
                    views.scenario_label(self.content, s.persona_id, s.scenario),
                    s.difficulty,
                    drills.get(s.drill_id or "", ""),
                ]
            )
            choices.append(views.session_choice(self.content, s))
        # what a rep looks for first (how did it go) before what is long (the scenario's title)
        headers = ["Started (UTC)", "Score", "Outcome", "COO", "Scenario", "Difficulty", "Drill"]
        return Table(headers, rows, choices)

    def open_session(self, actor: Actor | None, session_id: str) -> SessionDetail:
        """A session's transcript and grade: the rep's own, or one of the team's for their coach or manager."""
        actor = require_actor(actor)
        if not session_id:
            raise InputError("choose a session first")
        session = self.services.sessions.get(actor, session_id)
        turns = self.services.sessions.transcript(actor, session_id)
        view = self.services.grades.latest(actor, session_id)
        who = "" if session.user_id == actor.id else self.services.users.get_user(actor, session.user_id).username
        title = views.call_title(self.content, session, self._drill(actor, session))
        head = f"**{who}** - " if who else ""
        title = f"{head}{views.when(session.started_at)} UTC - {views.outcome_text(session)}\n\n{title}"
        return SessionDetail(
            session.id,
            title,
            views.messages_from_turns(views.greeting_of(self.content, session), turns),
            self.grade_text(actor, session, view),
            active=session.state == "active" and session.user_id == actor.id,
        )

    # ------------------------------------------------------------------------------------------------ helpers

    def _drill(self, actor: Actor, session: PracticeSession) -> Drill | None:
        if not session.drill_id:
            return None
        try:
            return self.services.drills.get(actor, session.drill_id)
        except (AccessDenied, NotFoundError):  # a drill the actor may not see: shown without its title
            return None

    # ------------------------------------------------------------------------------------------------ playbook

    def playbook_sections(self) -> list[tuple[str, str]]:
        """(label, section tag) for the search's "which part" filter; the first, empty tag: the whole playbook."""
        return [("Whole playbook", ""), *((views.SECTION_LABELS.get(t, t), t) for t in SECTION_TAGS)]

    def search_playbook(self, actor: Actor | None, query: str, section: str = "") -> str:
        """The playbook passages that answer a question in the user's own words (markdown)."""
        require_actor(actor)
        query = (query or "").strip()
        if not query:
            raise InputError('type a question, e.g. "what do I say when they want more staff?"')
        store = self.live.grading.store() if self.live.grading is not None else None
        if store is None:
            problem = self.live.grading.store_problem if self.live.grading is not None else "no playbook store"
            return f"*The playbook cannot be searched right now ({problem}).*"
        where = knowledge.section_filter([section]) if section else None
        answer = knowledge.ask(store, query, k=PLAYBOOK_RESULTS, where=where, reader=self.question_reader)
        if not answer.passages and store.count() == 0:
            return "*No playbook has been ingested yet: run `trainer playbook ingest playbooks/coo_phone_outbound.md`.*"
        return views.playbook_results(answer)

    def playbook_text(self, actor: Actor | None) -> str:
        """The playbook(s) to read in full: the content folder's as written (markdown as is, plain text
        preformatted), each saying when it is not ingested; a playbook ingested from elsewhere rebuilt from its
        stored passages, so what is shown is what the search and the grader use."""
        require_actor(actor)
        ingested, problem = self._ingested_playbooks()
        parts = []
        for path in self.content.playbooks:
            text = path.read_text(encoding="utf-8")
            text = text if path.suffix == ".md" else f"```text\n{text}\n```"
            if problem is None and path.name not in ingested:
                text = (
                    f"*{path.name} is not ingested: the search and the grader do not use it yet "
                    f"(`trainer playbook ingest {path.parent.name}/{path.name}`).*\n\n{text}"
                )
            parts.append(text)
        names = {path.name for path in self.content.playbooks}
        for source, passages in ingested.items():
            if source not in names:
                parts.append(
                    f"# {source}\n\n*As ingested: rebuilt from the passages the search and the grader use.*\n\n"
                    + views.playbook_from_passages(passages)
                )
        if problem is not None:
            parts.append(f"*The ingested playbooks cannot be read right now ({problem}).*")
        return "\n\n---\n\n".join(parts) or "*There is no playbook in the content folder.*"

    def _ingested_playbooks(self) -> tuple[dict[str, list[Passage]], str | None]:
        """(source file name: its passages) in the store, or why the store cannot be read."""
        store = self.live.grading.store() if self.live.grading is not None else None
        if store is None:
            return {}, self.live.grading.store_problem if self.live.grading is not None else "no playbook store"
        try:
            return knowledge.playbooks_in(store), None
        except StoreUnavailable as exc:
            return {}, str(exc)
