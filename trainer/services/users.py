"""Teams and users: add (argon2-hashed password), sign in, list."""

from __future__ import annotations

import re
from collections.abc import Callable

from trainer.errors import AccessDenied, InputError, NotFoundError
from trainer.services.access import require_actor, require_team_role, sees_user
from trainer.services.passwords import MAX_PASSWORD, MIN_PASSWORD, Passwords
from trainer.services.records import ROLES, Actor, Team, UserRecord, clean_text, new_id, utcnow
from trainer.services.storage import Store, StoreConflict

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MAX_TEAM_NAME = 80
MAX_DISPLAY_NAME = 80


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


class UserService:
    def __init__(self, store: Store, passwords: Passwords | None = None, clock: Callable = utcnow):
        self.store = store
        self.passwords = passwords or Passwords()
        self.clock = clock

    # ------------------------------------------------------------------------------------------------ teams

    def ensure_team(self, actor: Actor | None, name: str) -> Team:
        """The team called `name`, created when missing (admins only)."""
        actor = require_actor(actor)
        if actor.role != "admin":
            raise AccessDenied("only an admin can create teams")
        name = clean_text(name)
        if not name or len(name) > MAX_TEAM_NAME:
            raise InputError(f"a team name needs 1 to {MAX_TEAM_NAME} characters")
        with self.store.unit_of_work(write=True) as uow:
            team = uow.teams.by_name(name)
            if team is None:
                team = Team(new_id(), name, self.clock())
                uow.teams.add(team)
                try:
                    uow.commit()
                except StoreConflict:  # another process created it just now
                    return self._team_by_name(name)
            return team

    def _team_by_name(self, name: str) -> Team:
        with self.store.unit_of_work() as uow:
            team = uow.teams.by_name(name)
        if team is None:
            raise NotFoundError(f"team {name!r} not found")
        return team

    def list_teams(self, actor: Actor | None) -> list[Team]:
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            teams = uow.teams.all()
        return teams if actor.role == "admin" else [t for t in teams if t.id == actor.team_id]

    def team_by_name(self, actor: Actor | None, name: str) -> Team:
        actor = require_actor(actor)
        team = self._team_by_name(name.strip())
        if actor.role != "admin" and team.id != actor.team_id:
            raise NotFoundError(f"team {name.strip()!r} not found")
        return team

    # ------------------------------------------------------------------------------------------------ users

    def add_user(
        self,
        actor: Actor | None,
        username: str,
        password: str,
        role: str,
        team_id: str | None,
        display_name: str = "",
        *,
        new_team_name: str | None = None,
    ) -> Actor:
        """Admins add anyone; a manager adds reps and coaches to their own team. Duplicate usernames are refused.

        An admin may pass `new_team_name` instead of `team_id`: that team is created with the user (same transaction,
        so a refused user leaves no team behind) unless it exists already.
        """
        actor = require_actor(actor)
        if new_team_name is not None and actor.role != "admin":
            raise AccessDenied("only an admin can create teams")
        if actor.role != "admin":
            if actor.role != "manager" or team_id is None:
                raise AccessDenied("only an admin, or a manager for their own team, can add users")
            require_team_role(actor, team_id, ("manager",), "add users")
            if role not in ("rep", "coach"):
                raise AccessDenied("a manager can add reps and coaches only; ask an admin for other roles")
        name = normalise_username(username)
        if not USERNAME_RE.match(name):
            raise InputError(
                f"username {username!r} is not valid: use 3-32 characters, lower-case letters, digits, '.', '_' or "
                "'-', starting with a letter or digit"
            )
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}; valid roles: {', '.join(ROLES)}")
        if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
            raise InputError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        display = clean_text(display_name) or name
        if len(display) > MAX_DISPLAY_NAME:
            raise InputError(f"a display name needs at most {MAX_DISPLAY_NAME} characters")
        team_name = clean_text(new_team_name)
        if new_team_name is not None and not 0 < len(team_name) <= MAX_TEAM_NAME:
            raise InputError(f"a team name needs 1 to {MAX_TEAM_NAME} characters")
        if role != "admin" and team_id is None and not team_name:
            raise InputError(f"a {role} belongs to a team: name one")
        password_hash = self.passwords.hash(password)
        with self.store.unit_of_work(write=True) as uow:
            if team_name:
                team = uow.teams.by_name(team_name)
                if team is None:
                    team = Team(new_id(), team_name, self.clock())
                    uow.teams.add(team)
                team_id = team.id
            elif team_id is not None and uow.teams.get(team_id) is None:
                raise InputError(f"team {team_id!r} does not exist")
            if uow.users.by_username(name) is not None:
                raise InputError(f"username {name!r} is already taken: choose another")
            user = UserRecord(new_id(), name, display, role, team_id, password_hash, self.clock())  # type: ignore[arg-type]
            uow.users.add(user)
            try:
                uow.commit()
            except StoreConflict:
                raise InputError(f"username {name!r} is already taken: choose another") from None
        return user.actor()

    def authenticate(self, username: str, password: str) -> Actor | None:
        """The user for these credentials, or None. An unknown name and a wrong password look the same."""
        with self.store.unit_of_work() as uow:
            user = uow.users.by_username(normalise_username(username))
        ok = self.passwords.verify(user.password_hash if user else None, password or "")
        if user is None or not ok or not user.active:
            return None
        return user.actor()

    def signed_in(self, username: str | None) -> Actor | None:
        """The active user behind a login the web layer has already checked (Gradio's `request.username`), or None.

        Looked up on every request, so a deactivated user or a changed role takes effect at once. Never call this
        with a name the user typed without a password check."""
        if not isinstance(username, str) or not username:
            return None
        with self.store.unit_of_work() as uow:
            user = uow.users.by_username(normalise_username(username))
        return user.actor() if user is not None and user.active else None

    def get_user(self, actor: Actor | None, user_id: str) -> Actor:
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            user = uow.users.get(user_id)
        if user is None or not (sees_user(actor, user) or (actor.team_id and user.team_id == actor.team_id)):
            raise NotFoundError(f"user {user_id!r} not found")
        return user.actor()

    def by_username(self, actor: Actor | None, username: str) -> Actor:
        """A user of the actor's own team (any user for an admin)."""
        actor = require_actor(actor)
        name = normalise_username(username)
        with self.store.unit_of_work() as uow:
            user = uow.users.by_username(name)
        if user is None or (actor.role != "admin" and user.team_id != actor.team_id):
            raise NotFoundError(f"user {name!r} not found")
        return user.actor()

    def list_users(self, actor: Actor | None, team_id: str) -> list[Actor]:
        """Members of a team: for its coach and manager, and admins."""
        actor = require_actor(actor)
        require_team_role(actor, team_id, ("coach", "manager"), "list team members")
        with self.store.unit_of_work() as uow:
            return [u.actor() for u in uow.users.find(team_id=team_id)]
