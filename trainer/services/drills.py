"""Drills: a coach sets a persona + scenario + difficulty + rubric with a pass mark, a due date and an attempt limit,
assigns it to reps of their team (or the whole team), and sees who did it. Reps see their drills with a status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from trainer.content.loader import Content
from trainer.errors import AccessDenied, InputError
from trainer.services.access import drill_not_found, require_actor, require_team_role
from trainer.services.catalogue import default_rubric_id, validate_practice
from trainer.services.progress import DrillProgress, drill_progress, effective_percent, latest_overrides
from trainer.services.records import Actor, Assignment, Drill, SessionQuery, UserRecord, clean_text, new_id, utcnow
from trainer.services.storage import Store, UnitOfWork

MAX_TITLE = 120
MAX_INSTRUCTIONS = 4000
MAX_ATTEMPTS_LIMIT = 100
DRILL_AUTHORS = ("coach",)  # and admins
DRILL_VIEWERS = ("coach", "manager")  # and admins


def as_due_at(due: dt.datetime | dt.date | None) -> dt.datetime | None:
    """A due date means the end of that day (UTC); a naive time is read as UTC."""
    if due is None:
        return None
    if isinstance(due, dt.datetime):
        return due if due.tzinfo else due.replace(tzinfo=dt.UTC)
    if isinstance(due, dt.date):
        return dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=dt.UTC)
    raise InputError("a due date is a date (YYYY-MM-DD) or a date and time")


def assignees(uow: UnitOfWork, drill: Drill, assignments: Iterable[Assignment]) -> list[UserRecord]:
    """The reps a drill is assigned to: named reps plus every current rep of an assigned team."""
    ids: dict[str, None] = {}
    for a in assignments:
        if a.drill_id != drill.id:
            continue
        if a.user_id is not None:
            ids[a.user_id] = None
        elif a.team_id is not None:
            for u in uow.users.find(team_id=a.team_id, role="rep"):
                ids[u.id] = None
    users = uow.users.get_many(ids)
    return [users[i] for i in ids if i in users and users[i].active]


def is_assigned(uow: UnitOfWork, actor: Actor, drill: Drill) -> bool:
    return any(u.id == actor.id for u in assignees(uow, drill, uow.drills.assignments([drill.id])))


def check_drill_start(uow: UnitOfWork, actor: Actor, drill_id: str) -> Drill:
    """The drill if the actor may start an attempt now: assigned, none open, attempts left."""
    uow.users.get(actor.id, lock=True)  # two starts at once by one rep queue here, so the attempt count holds
    drill = uow.drills.get(drill_id) if isinstance(drill_id, str) else None
    if drill is None or not is_assigned(uow, actor, drill):
        raise drill_not_found(str(drill_id))
    counted = [
        s
        for s in uow.sessions.query(SessionQuery(user_id=actor.id, drill_id=drill.id))
        if s.state in ("active", "ended")
    ]
    open_ = [s for s in counted if s.state == "active"]
    if open_:
        started = f"{open_[0].started_at:%Y-%m-%d %H:%M}"
        raise InputError(
            f"you already have an attempt at this drill open (started {started}): resume it from My sessions, or "
            "abandon it there"
        )
    if drill.max_attempts is not None and len(counted) >= drill.max_attempts:
        raise InputError(f"no attempts left on this drill ({drill.max_attempts} allowed): ask your coach")
    return drill


def progress_for(uow: UnitOfWork, drill: Drill, users: Sequence[UserRecord], now: dt.datetime) -> list[DrillProgress]:
    sessions = uow.sessions.query(SessionQuery(drill_id=drill.id))
    grades = uow.grades.latest([s.id for s in sessions])
    overrides = latest_overrides(uow.grades.overrides([g.id for g in grades.values()]))
    percents = {sid: effective_percent(g, overrides) for sid, g in grades.items()}
    return [drill_progress(drill, u.id, u.username, sessions, percents, now) for u in users]


class DrillService:
    def __init__(self, store: Store, content: Content, clock: Callable = utcnow, default_difficulty: str = "standard"):
        self.store = store
        self.content = content
        self.clock = clock
        self.default_difficulty = default_difficulty

    def create(
        self,
        actor: Actor | None,
        *,
        persona_id: str,
        scenario: str,
        difficulty: str | None = None,
        rubric_id: str | None = None,
        instructions: str = "",
        due: dt.datetime | dt.date | None = None,
        pass_mark: float = 70,
        max_attempts: int | None = None,
        title: str | None = None,
        team_id: str | None = None,
    ) -> Drill:
        """A coach creates a drill for their team (an admin names the team)."""
        actor = require_actor(actor)
        team_id = team_id or actor.team_id
        if team_id is None:
            raise InputError("name the team this drill is for")
        require_team_role(actor, team_id, DRILL_AUTHORS, "create drills")
        rubric_id = rubric_id or default_rubric_id(self.content)
        difficulty = difficulty or self.default_difficulty
        validate_practice(self.content, persona_id, scenario, difficulty, rubric_id)
        now = self.clock()
        due_at = as_due_at(due)
        if due_at is not None and due_at <= now:
            raise InputError(f"the due date {due_at:%Y-%m-%d %H:%M} UTC is in the past: pick a later one")
        if (
            isinstance(pass_mark, bool)
            or not isinstance(pass_mark, int | float)
            or not 0 <= pass_mark <= 100
            or pass_mark != int(pass_mark)
        ):
            raise InputError(f"the pass mark is a whole percentage from 0 to 100, not {pass_mark!r}")
        if max_attempts is not None and (
            isinstance(max_attempts, bool)
            or not isinstance(max_attempts, int)
            or not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT
        ):
            raise InputError(f"max attempts is a whole number from 1 to {MAX_ATTEMPTS_LIMIT}, or none for unlimited")
        instructions = clean_text(instructions)
        if len(instructions) > MAX_INSTRUCTIONS:
            raise InputError(f"instructions can be at most {MAX_INSTRUCTIONS} characters (got {len(instructions)})")
        persona = self.content.personas[persona_id]
        named = clean_text(title)
        title = named or f"{persona.name} - scenario {scenario} ({difficulty})"
        if len(title) > MAX_TITLE:
            raise InputError(f"a drill title can be at most {MAX_TITLE} characters")
        with self.store.unit_of_work() as uow:
            if uow.drills.by_title(team_id, title) is not None:
                if named:  # a second click on a form still filled in, or a name already used
                    raise InputError(f"the team already has a drill called '{title}': give this one another title")
                n = 2  # an automatic title gets a number
                while uow.drills.by_title(team_id, f"{title} ({n})") is not None:
                    n += 1
                title = f"{title} ({n})"
        drill = Drill(
            id=new_id(),
            team_id=team_id,
            created_by=actor.id,
            title=title,
            persona_id=persona_id,
            scenario=scenario,
            difficulty=difficulty,
            rubric_id=rubric_id,
            instructions=instructions,
            due_at=due_at,
            pass_mark=int(pass_mark),
            max_attempts=max_attempts,
            created_at=now,
        )
        with self.store.unit_of_work(write=True) as uow:
            if uow.teams.get(team_id) is None:
                raise InputError(f"team {team_id!r} does not exist")
            uow.drills.add(drill)
            uow.commit()
        return drill

    def _team_drill(self, uow: UnitOfWork, actor: Actor, drill_id: str) -> Drill:
        drill = uow.drills.get(drill_id) if isinstance(drill_id, str) else None
        if drill is None or (actor.role != "admin" and drill.team_id != actor.team_id):
            raise drill_not_found(str(drill_id))
        return drill

    def get(self, actor: Actor | None, drill_id: str) -> Drill:
        """For the team's coach and manager, the reps it is assigned to, and admins."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            drill = self._team_drill(uow, actor, drill_id)
            if actor.role in ("admin", *DRILL_VIEWERS) or is_assigned(uow, actor, drill):
                return drill
        raise drill_not_found(str(drill_id))

    def assign(
        self, actor: Actor | None, drill_id: str, *, user_ids: Sequence[str] = (), whole_team: bool = False
    ) -> list[Assignment]:
        """Assign to reps of the drill's team, or to the whole team (reps who join later included)."""
        actor = require_actor(actor)
        if not user_ids and not whole_team:
            raise InputError("assign the drill to at least one rep, or to the whole team")
        now = self.clock()
        with self.store.unit_of_work(write=True) as uow:
            drill = self._team_drill(uow, actor, drill_id)
            require_team_role(actor, drill.team_id, DRILL_AUTHORS, "assign drills")
            existing = uow.drills.assignments([drill.id])
            have_users = {a.user_id for a in existing if a.user_id}
            have_team = any(a.team_id == drill.team_id for a in existing)
            users = uow.users.get_many(user_ids)
            for uid in user_ids:  # check everything before writing anything
                user = users.get(uid)
                if user is None or user.team_id != drill.team_id or user.role != "rep":
                    raise InputError(
                        f"{uid!r} is not a rep in this drill's team: drills are assigned to reps of their own team"
                    )
            added: list[Assignment] = []
            for uid in dict.fromkeys(user_ids):
                if uid not in have_users:
                    added.append(Assignment(new_id(), drill.id, uid, None, actor.id, now))
            if whole_team and not have_team:
                added.append(Assignment(new_id(), drill.id, None, drill.team_id, actor.id, now))
            for a in added:
                uow.drills.assign(a)
            uow.commit()
        return added

    def list_team(self, actor: Actor | None, team_id: str) -> list[Drill]:
        actor = require_actor(actor)
        require_team_role(actor, team_id, DRILL_VIEWERS, "see the team's drills")
        with self.store.unit_of_work() as uow:
            return uow.drills.find(team_id=team_id)

    def completion(self, actor: Actor | None, drill_id: str) -> list[DrillProgress]:
        """Every assigned rep's status on the drill: for the team's coach and manager, and admins."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            drill = self._team_drill(uow, actor, drill_id)
            if actor.role not in ("admin", *DRILL_VIEWERS):
                raise AccessDenied("only the team's coach or manager can see who did a drill")
            reps = assignees(uow, drill, uow.drills.assignments([drill.id]))
            return progress_for(uow, drill, reps, self.clock())

    def my_drills(self, actor: Actor | None) -> list[DrillProgress]:
        """The actor's assigned drills with status, scores and attempts left; soonest due first."""
        actor = require_actor(actor)
        now = self.clock()
        with self.store.unit_of_work() as uow:
            user = uow.users.get(actor.id)
            if user is None:
                return []
            drills = uow.drills.assigned_to(actor.id, actor.team_id if actor.role == "rep" else None)
            out = [progress_for(uow, d, [user], now)[0] for d in drills]
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(out, key=lambda p: (p.drill.due_at or far, p.drill.created_at))
