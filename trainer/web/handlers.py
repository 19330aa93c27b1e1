"""What each screen of the web app does, as plain methods over the service layer: an actor and plain values in,
plain values out (see `views`). No Gradio here, so every handler can be called and tested directly.

The services check every right (a rep never sees another rep's session, only a coach creates drills, ...); the
role checks here only keep a screen from offering what a role cannot use. A missing actor (None) gets no access.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from trainer.content.vocab import SCENARIOS
from trainer.errors import AccessDenied, InputError, NotFoundError
from trainer.services.access import require_actor
from trainer.services.catalogue import DIFFICULTIES
from trainer.services.drills import DRILL_AUTHORS
from trainer.services.facade import Services
from trainer.services.live_calls import LiveCalls
from trainer.services.records import SESSION_STATES, Actor, Drill, PracticeSession
from trainer.services.review import SessionFilter
from trainer.web import views
from trainer.web.forms import parse_date, parse_whole
from trainer.web.views import CallView, SessionDetail, Table

# Which tabs each role sees. Every role may practise; coaches and managers review their team; coaches set drills.
TABS: dict[str, tuple[str, ...]] = {
    "rep": ("practice", "sessions"),
    "coach": ("practice", "sessions", "drills", "team"),
    "manager": ("practice", "sessions", "drills", "team"),
    "admin": ("practice", "sessions", "team"),
}
FIRST_TAB = {"rep": "practice", "coach": "drills", "manager": "team", "admin": "team"}


class WebHandlers:
    def __init__(self, services: Services, live: LiveCalls):
        self.services = services
        self.live = live
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
            return views.stored_grade_markdown(stored, session)
        grade = self.live.hang_up(actor, session_id)
        if grade is None:
            ended = self.services.sessions.get(actor, session_id)
            if not self.services.sessions.transcript(actor, session_id):
                return f"*Call ended ({views.outcome_text(ended)}) before you said anything: nothing to grade.*"
            return "*Call ended. No grader is configured, so it is not graded.*"
        from trainer.grading.render import grade_markdown

        return grade_markdown(grade)

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
                    views.persona_label(self.content, s.persona_id),
                    views.scenario_label(self.content, s.persona_id, s.scenario),
                    s.difficulty,
                    drills.get(s.drill_id or "", ""),
                    views.outcome_text(s),
                    views.score_text(view),
                ]
            )
            choices.append(views.session_choice(self.content, s))
        headers = ["Started (UTC)", "COO", "Scenario", "Difficulty", "Drill", "Outcome", "Score"]
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
            views.stored_grade_markdown(view, session),
            active=session.state == "active" and session.user_id == actor.id,
        )

    # ------------------------------------------------------------------------------------------------ team

    def team_choices(self, actor: Actor | None) -> list[tuple[str, str]]:
        return [(t.name, t.id) for t in self.services.users.list_teams(actor)]

    def _team(self, actor: Actor, team_id: str | None) -> str:
        team = team_id or actor.team_id
        if not team:
            raise InputError("choose a team first")
        return team

    def rep_choices(self, actor: Actor | None, team_id: str | None = None) -> list[tuple[str, str]]:
        actor = require_actor(actor)
        members = self.services.users.list_users(actor, self._team(actor, team_id))
        return [(f"{u.display_name or u.username} ({u.username})", u.id) for u in members if u.role == "rep"]

    def create_drill(
        self,
        actor: Actor | None,
        *,
        persona_id: str,
        scenario: str,
        difficulty: str | None = None,
        title: str = "",
        instructions: str = "",
        due: str = "",
        pass_mark: float | None = 70,
        max_attempts: float | int | str | None = None,
        rep_ids: list[str] | None = None,
        whole_team: bool = False,
    ) -> Drill:
        """Create a drill for the coach's team and assign it to the chosen reps (or the whole team)."""
        actor = require_actor(actor)
        if not rep_ids and not whole_team:
            raise InputError("assign the drill to at least one rep, or to the whole team")
        if not persona_id or not scenario:
            raise InputError("choose a COO and a scenario for the drill")
        attempts = parse_whole(max_attempts, "max attempts")
        drill = self.services.drills.create(
            actor,
            persona_id=persona_id,
            scenario=scenario,
            difficulty=difficulty or None,
            title=title or None,
            instructions=instructions or "",
            due=parse_date(due, "the due date"),
            pass_mark=70 if pass_mark is None else pass_mark,
            max_attempts=attempts or None,
        )
        self.services.drills.assign(actor, drill.id, user_ids=list(rep_ids or []), whole_team=whole_team)
        return drill

    def team_drills(self, actor: Actor | None, team_id: str | None = None) -> Table:
        """The team's drills with how many assigned reps passed, are in progress, have not started, ..."""
        actor = require_actor(actor)
        drills = self.services.drills.list_team(actor, self._team(actor, team_id))
        rows, choices = [], []
        for d in sorted(drills, key=lambda d: d.created_at, reverse=True):
            progress = self.services.drills.completion(actor, d.id)
            count = {s: sum(1 for p in progress if p.status == s) for s in ("passed", "in progress", "not started")}
            other = sum(1 for p in progress if p.status in ("failed", "overdue"))
            rows.append(
                [
                    d.title,
                    views.persona_label(self.content, d.persona_id),
                    d.scenario,
                    d.difficulty,
                    f"{d.due_at:%Y-%m-%d}" if d.due_at else "",
                    f"{d.pass_mark} %",
                    str(len(progress)),
                    str(count["passed"]),
                    str(count["in progress"]),
                    str(count["not started"]),
                    str(other),
                ]
            )
            choices.append((d.title, d.id))
        headers = ["Drill", "COO", "Scenario", "Difficulty", "Due", "Pass mark", "Assigned", "Passed"]
        headers += ["In progress", "Not started", "Failed/overdue"]
        return Table(headers, rows, choices)

    def drill_completion(self, actor: Actor | None, drill_id: str) -> Table:
        """Each assigned rep's status on one drill."""
        if not drill_id:
            raise InputError("choose a drill first")
        rows = [
            [
                p.username,
                p.status,
                str(p.attempts),
                "unlimited" if p.attempts_left is None else str(p.attempts_left),
                views.percent(p.first_score),
                views.percent(p.best_score),
                views.percent(p.latest_score),
            ]
            for p in self.services.drills.completion(actor, drill_id)
        ]
        return Table(["Rep", "Status", "Attempts", "Attempts left", "First", "Best", "Latest"], rows)

    def _filters(
        self,
        rep_id: str | None,
        persona_id: str | None,
        scenario: str | None,
        state: str | None,
        date_from: str | None,
        date_to: str | None,
    ) -> SessionFilter:
        if state and state not in SESSION_STATES:
            raise InputError(f"unknown state {state!r}; valid states: {', '.join(SESSION_STATES)}")
        return SessionFilter(
            rep_id=rep_id or None,
            persona_id=persona_id or None,
            scenario=scenario or None,
            states=(state,) if state else None,
            started_from=parse_date(date_from, "the 'from' date"),
            started_to=parse_date(date_to, "the 'to' date"),
        )

    def team_sessions(
        self,
        actor: Actor | None,
        *,
        team_id: str | None = None,
        rep_id: str | None = None,
        persona_id: str | None = None,
        scenario: str | None = None,
        state: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Table:
        """The team's sessions, newest first, filtered; a score marked * has a manager override."""
        actor = require_actor(actor)
        f = self._filters(rep_id, persona_id, scenario, state, date_from, date_to)
        rows, choices = [], []
        for r in self.services.review.team_sessions(actor, self._team(actor, team_id), f):
            s = r.session
            rows.append(
                [
                    views.when(s.started_at),
                    r.username,
                    views.persona_label(self.content, s.persona_id),
                    s.scenario,
                    s.difficulty,
                    r.drill_title or "",
                    views.outcome_text(s),
                    views.score_text(r.grade),
                ]
            )
            choices.append(views.session_choice(self.content, s, r.username))
        headers = ["Started (UTC)", "Rep", "COO", "Scenario", "Difficulty", "Drill", "Outcome", "Score"]
        return Table(headers, rows, choices)

    def export_csv(
        self,
        actor: Actor | None,
        *,
        team_id: str | None = None,
        rep_id: str | None = None,
        persona_id: str | None = None,
        scenario: str | None = None,
        state: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> str:
        """The filtered team sessions as CSV text (one row per session, each criterion's effective and AI score)."""
        actor = require_actor(actor)
        f = self._filters(rep_id, persona_id, scenario, state, date_from, date_to)
        return self.services.review.export_csv(actor, self._team(actor, team_id), f)

    # ------------------------------------------------------------------------------------------------ helpers

    def _drill(self, actor: Actor, session: PracticeSession) -> Drill | None:
        if not session.drill_id:
            return None
        try:
            return self.services.drills.get(actor, session.drill_id)
        except (AccessDenied, NotFoundError):  # a drill the actor may not see: shown without its title
            return None
