"""Who may see and do what. Every service calls these; the UI's own checks are a convenience, not the guard.

- a rep sees only their own sessions and grades;
- a coach sees their team's reps (and themselves);
- a manager sees everyone in their team;
- an admin sees everything.
Something the actor may not see gives exactly the same NotFoundError as something that does not exist.
"""

from __future__ import annotations

from trainer.errors import AccessDenied, NotFoundError
from trainer.services.records import Actor, UserRecord

STAFF_ROLES = ("coach", "manager")


def require_actor(actor: Actor | None) -> Actor:
    """A missing user means no access, whatever the call."""
    if actor is None or not isinstance(actor, Actor):
        raise AccessDenied("sign in first: this needs a signed-in user")
    return actor


def sees_user(actor: Actor, owner: UserRecord) -> bool:
    """May `actor` see `owner`'s sessions and grades?"""
    if actor.id == owner.id or actor.role == "admin":
        return True
    if actor.team_id is None or owner.team_id != actor.team_id:
        return False
    if actor.role == "manager":
        return True
    if actor.role == "coach":
        return owner.role == "rep"
    return False


def require_team_role(actor: Actor, team_id: str, roles: tuple[str, ...], what: str) -> None:
    """Admins may act on any team; the listed roles only on their own team."""
    if actor.role == "admin":
        return
    if actor.role not in roles:
        raise AccessDenied(f"only a {' or '.join(roles)} (or an admin) can {what}")
    if actor.team_id != team_id:
        raise AccessDenied(f"you can {what} for your own team only")


def session_not_found(session_id: str) -> NotFoundError:
    return NotFoundError(f"session {session_id!r} not found")


def drill_not_found(drill_id: str) -> NotFoundError:
    return NotFoundError(f"drill {drill_id!r} not found")


def grade_not_found(grade_id: str) -> NotFoundError:
    return NotFoundError(f"grade {grade_id!r} not found")
