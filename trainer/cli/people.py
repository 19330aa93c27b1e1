"""`trainer db upgrade|status`, `trainer users add|list`, `trainer seed demo`: a thin layer over the services."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from trainer.errors import InputError
from trainer.settings import get_settings

db_app = typer.Typer(no_args_is_help=True, help="The database: SQLite in the data dir, or DATABASE_URL.")
users_app = typer.Typer(no_args_is_help=True, help="People: add and list users (reps, coaches, managers, admins).")
seed_app = typer.Typer(no_args_is_help=True, help="Seed data for trying the app.")
console = Console()


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False)


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Option(help="Target revision.")] = "head") -> None:
    """Create or migrate the schema (safe to run again)."""
    from trainer.wiring import build_database

    db = build_database(get_settings())
    before, after = db.upgrade(revision)
    where = db.describe()
    _say(f"database {where}: " + (f"already at {after}" if before == after else f"{before or '(empty)'} -> {after}"))


@db_app.command("status")
def status() -> None:
    """Print the database URL (no password) and its schema revision."""
    from trainer.adapters.db.migrate import head_revision
    from trainer.wiring import build_database

    db = build_database(get_settings())
    current = db.current_revision()
    head = head_revision()
    note = "up to date" if current == head else "run `trainer db upgrade`"
    _say(f"database {db.describe()}: revision {current or '(empty)'}, code needs {head} ({note})")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask for a password: pipe it in with --password-stdin")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="3-32 characters: a-z, 0-9, '.', '_' or '-'.")],
    role: Annotated[str, typer.Option(help="rep, coach, manager or admin.")] = "rep",
    team: Annotated[str | None, typer.Option(help="Team name (created when missing); admins may have none.")] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin instead of prompting.")] = False,
) -> None:
    """Add a user with an argon2-hashed password."""
    from trainer.services.facade import COMMAND_LINE
    from trainer.wiring import build_services

    services = build_services(get_settings())
    password = _read_password(password_stdin)
    user = services.users.add_user(COMMAND_LINE, username, password, role, None, display_name, new_team_name=team)
    _say(f"added {user.role} {user.username}" + (f" to team {team}" if team else ""))


@users_app.command("list")
def list_users() -> None:
    """Every team and its members."""
    from trainer.services.facade import COMMAND_LINE
    from trainer.wiring import build_services

    services = build_services(get_settings())
    teams = services.users.list_teams(COMMAND_LINE)
    if not teams:
        _say("no teams yet: `trainer users add NAME --team TEAM` or `trainer seed demo`")
    for team in teams:
        _say(f"{team.name}:")
        for user in services.users.list_users(COMMAND_LINE, team.id):
            _say(f"  {user.username:<20} {user.role:<8} {user.display_name}")


@seed_app.command("demo")
def seed_demo() -> None:
    """A demo team (one manager, one coach, three reps) and two drills; prints the logins. Safe to run again."""
    from trainer.services.demo import DEMO_TEAM
    from trainer.services.demo import seed_demo as seed
    from trainer.wiring import build_services

    logins = seed(build_services(get_settings()))
    _say(f"demo team '{DEMO_TEAM}' - sign in with:")
    for login in logins:
        password = login.password or "(existing account: password unchanged)"
        _say(f"  {login.role:<8} {login.username:<8} {password}")
