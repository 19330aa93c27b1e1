"""The `trainer` command line: a thin layer over the service layer. Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from trainer.cli import content as content_cli
from trainer.cli import grading as grading_cli
from trainer.cli import llm as llm_cli
from trainer.cli import people as people_cli
from trainer.cli import playbook as playbook_cli
from trainer.cli import practice as practice_cli
from trainer.cli import serve as serve_cli
from trainer.errors import ContentError, RunError, UserError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Practise COO phone calls; grade them.")
app.add_typer(content_cli.app, name="content")
app.add_typer(llm_cli.app, name="llm")
app.add_typer(playbook_cli.app, name="playbook")
app.add_typer(people_cli.db_app, name="db")
app.add_typer(people_cli.users_app, name="users")
app.add_typer(people_cli.seed_app, name="seed")
app.command("settings")(content_cli.show_settings)
app.command("version")(content_cli.version)
app.command("practice")(practice_cli.practice)
app.command("simulate")(practice_cli.simulate)
app.command("grade")(grading_cli.grade)
app.command("eval")(grading_cli.evaluate)
app.command("serve")(serve_cli.serve)

err_console = Console(stderr=True)


def main() -> None:
    """Entry point: user errors print a clear message (exit 2), run failures say so (exit 1); no tracebacks."""
    try:
        app(standalone_mode=False)
    except ContentError as exc:
        for line in exc.problems:
            err_console.print(line, markup=False, highlight=False)
        sys.exit(2)
    except UserError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except RunError as exc:
        err_console.print(f"run failed: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # usage errors (unknown option, missing argument) arrive here in non-standalone mode
        # click's or typer's own copy of it (typer >= 0.2x vendors click): both have show() and exit_code
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
