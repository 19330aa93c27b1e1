"""The coach's and manager's screens as plain methods (see `handlers`): drills, team sessions and their CSV export,
a manager's score override on an opened session, and per-criterion trends.

`WebHandlers` inherits these. The services check every right; a refusal is the service's own message.
"""

from __future__ import annotations

import datetime as dt

from trainer.content.loader import Content
from trainer.content.vocab import QUALITY_CRITERIA
from trainer.errors import InputError, NotFoundError
from trainer.services.access import require_actor
from trainer.services.facade import Services
from trainer.services.grades import OVERRIDERS, GradeView
from trainer.services.records import SESSION_STATES, Actor, Drill, PracticeSession
from trainer.services.review import SessionFilter
from trainer.web import views
from trainer.web.forms import parse_date, parse_whole
from trainer.web.views import Table, TrendPoints

TREND_PERIODS = ("week", "day", "month")


CLEAN_EXIT_TYPICAL_PERCENT = 67  # 8 of 12: what a coach gives a textbook clean exit (calibration c04)


class TeamHandlers:
    services: Services
    content: Content

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

    def drill_caveat(self, drill: Drill) -> str | None:
        """A word to the coach when the drill's pass mark is above what its best call usually earns: where the COO
        does not have the problem, a textbook clean exit scores about 8 of 12 (the coach's label of calibration call
        c04), because the quality check gives little for a constraint nobody has."""
        scenario = next(
            (spec for sid, spec in self.content.personas[drill.persona_id].scenarios.items() if sid == drill.scenario),
            None,
        )
        if scenario is None or scenario.pattern_applies or drill.pass_mark <= CLEAN_EXIT_TYPICAL_PERCENT:
            return None
        return (
            f"In this scenario the COO does not have the problem, so the right call is a clean exit, which usually "
            f"scores about {CLEAN_EXIT_TYPICAL_PERCENT} %: a pass mark of {drill.pass_mark} % may not be reachable."
        )

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
                    str(len(progress)),
                    str(count["passed"]),
                    str(count["in progress"]),
                    str(count["not started"]),
                    str(other),
                    f"{d.due_at:%Y-%m-%d}" if d.due_at else "",
                    f"{d.pass_mark} %",
                    views.persona_label(self.content, d.persona_id),
                    d.scenario,
                    d.difficulty,
                ]
            )
            choices.append((d.title, d.id))
        # who did it first: the counts fit on screen before the drill's settings
        headers = ["Drill", "Assigned", "Passed", "In progress", "Not started", "Failed/overdue", "Due", "Pass mark"]
        headers += ["COO", "Scenario", "Difficulty"]
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
                    views.score_text(r.grade),
                    views.outcome_text(s),
                    views.persona_label(self.content, s.persona_id),
                    s.scenario,
                    s.difficulty,
                    r.drill_title or "",
                ]
            )
            choices.append(views.session_choice(self.content, s, r.username))
        headers = ["Started (UTC)", "Rep", "Score", "Outcome", "COO", "Scenario", "Difficulty", "Drill"]
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

    # ------------------------------------------------------------------------------------------------ override

    def can_override(self, actor: Actor | None) -> bool:
        return actor is not None and actor.role in OVERRIDERS

    def criterion_choices(self, actor: Actor | None, session_id: str) -> list[tuple[str, str]]:
        """The criteria of a session's grade, with the score that counts and the AI's (none when not graded)."""
        actor = require_actor(actor)
        view = self.services.grades.latest(actor, session_id) if session_id else None
        if view is None:
            return []
        return [
            (f"{views.criterion_label(cid)}: {view.scores.get(cid, ai)}/{top} (AI {ai})", cid)
            for cid, (ai, top) in view.grade.criterion_scores().items()
        ]

    def override_score(
        self,
        actor: Actor | None,
        session_id: str,
        criterion_id: str,
        score: float | int | str | None,
        reason: str,
    ) -> str:
        """A manager replaces one criterion's score of the session's latest grade, saying why; the grade as
        markdown afterwards (the new total, the overrides with who, when and why)."""
        actor = require_actor(actor)
        if not session_id:
            raise InputError("open a graded session first")
        if not criterion_id:
            raise InputError("choose the criterion whose score you override")
        value = parse_whole(score, "the new score")
        if value is None:
            raise InputError("give the new score, a whole number")
        view = self.services.grades.latest(actor, session_id)
        if view is None:
            raise InputError("this session has no grade yet: only a graded call's scores can be overridden")
        self.services.grades.override(actor, view.grade.id, criterion_id, value, reason)
        session = self.services.sessions.get(actor, session_id)
        return self.grade_text(actor, session, self.services.grades.latest(actor, session_id))

    def grade_text(self, actor: Actor, session: PracticeSession, view: GradeView | None) -> str:
        """The stored grade as markdown, each override with the name of who made it."""
        names: dict[str, str] = {}
        for o in [*view.overrides.values(), *view.replaced] if view else ():
            if o.created_by not in names:
                try:
                    names[o.created_by] = self.services.users.get_user(actor, o.created_by).username
                except NotFoundError:  # someone outside the actor's team (an admin)
                    names[o.created_by] = "an admin"
        return views.stored_grade_markdown(view, session, names)

    # ------------------------------------------------------------------------------------------------ trends

    def team_trends(
        self,
        actor: Actor | None,
        *,
        team_id: str | None = None,
        rep_id: str | None = None,
        persona_id: str | None = None,
        scenario: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        period: str = "week",
    ) -> TrendPoints:
        """Each criterion's average score per day, week or month (by the call's start), over the team's graded
        calls that match the filters; the score that counts (overrides applied)."""
        actor = require_actor(actor)
        if period not in TREND_PERIODS:
            raise InputError(f"a trend period is {', '.join(TREND_PERIODS)}, not {period!r}")
        f = self._filters(rep_id, persona_id, scenario, None, date_from, date_to)
        trends = self.services.review.criterion_trends(
            actor,
            self._team(actor, team_id),
            f,
            period,  # type: ignore[arg-type]
        )
        order = [c for c in QUALITY_CRITERIA if c in trends] + sorted(set(trends) - set(QUALITY_CRITERIA))
        periods: list[dt.date] = sorted({p.period_start for points in trends.values() for p in points})
        cells = {(cid, p.period_start): p for cid in order for p in trends[cid]}
        rows = []
        for day in periods:
            row = [views.period_label(day, period)]
            for cid in order:
                p = cells.get((cid, day))
                row.append(f"{p.mean:.2f} ({p.count})" if p else "")
            rows.append(row)
        table = Table(["Period", *(views.criterion_label(c) for c in order)], rows)
        points = [(p.period_start, views.criterion_label(cid), p.mean, p.count) for cid in order for p in trends[cid]]
        return TrendPoints(table, points)
