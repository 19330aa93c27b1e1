"""All services over one store, as the web app and the CLI use them: `Services(store, content)`."""

from __future__ import annotations

from collections.abc import Callable

from trainer.content.loader import Content
from trainer.services.drills import DrillService
from trainer.services.grades import GradeService
from trainer.services.passwords import Passwords
from trainer.services.records import Actor, utcnow
from trainer.services.review import ReviewService
from trainer.services.sessions import SessionService
from trainer.services.storage import Store
from trainer.services.users import UserService

# The local operator at the command line (who can already open the database file): creates the first users and
# teams. The web app never hands this out: its actors come from `users.authenticate`.
COMMAND_LINE = Actor(id="command-line", username="(command line)", role="admin", team_id=None)


class Services:
    def __init__(
        self,
        store: Store,
        content: Content,
        *,
        passwords: Passwords | None = None,
        max_message_chars: int = 2000,
        default_difficulty: str = "standard",
        clock: Callable = utcnow,
    ):
        self.store = store
        self.content = content
        self.users = UserService(store, passwords, clock)
        self.sessions = SessionService(store, content, max_message_chars, clock, default_difficulty)
        self.grades = GradeService(store, clock)
        self.drills = DrillService(store, content, clock, default_difficulty)
        self.review = ReviewService(store, clock)
