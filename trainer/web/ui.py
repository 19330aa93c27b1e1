"""Small Gradio helpers shared by the tabs' event modules."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import gradio as gr
import pandas as pd

from trainer.errors import AccessDenied, NotFoundError, RunError, UserError
from trainer.web.views import Table

if TYPE_CHECKING:
    from trainer.services.records import Actor
    from trainer.web.handlers import WebHandlers

F = TypeVar("F", bound=Callable[..., Any])
ALL = ("All", "")  # the "no filter" choice of a filter dropdown


class _FixableError(gr.Error):
    """A UserError on its way to the user: `keeps_outputs` turns it into a warning."""


@contextmanager
def shown_as_toast() -> Iterator[None]:
    """A UserError (fixable) or RunError (something broke) becomes a Gradio error toast. (Gradio also marks every
    output of the event with an "Error" badge: wrap form-like events in `keeps_outputs` to avoid that.)"""
    try:
        yield
    except (AccessDenied, NotFoundError) as exc:
        raise _FixableError(str(exc), title="Not available", print_exception=False) from None
    except UserError as exc:
        raise _FixableError(str(exc), title="Please check", print_exception=False) from None
    except RunError as exc:
        raise gr.Error(f"something failed: {exc}", title="Run failed", print_exception=False) from None


def clicked_choice(table: Table, evt: gr.SelectData) -> str | None:
    """The choice (a session id) of the table row the user clicked, matched by the row's values, so a table that
    changed since it was drawn never opens the wrong row; None when the row is no longer there."""
    clicked = [str(v) for v in (evt.row_value or [])]
    for row, (_label, value) in zip(table.rows, table.choices, strict=False):
        if [str(v) for v in row] == clicked:
            return value
    return None


def keeps_outputs(n_outputs: int) -> Callable[[F], F]:
    """For an event where the user fills something in (a drill, an override, filters, a question): a fixable error
    is a warning toast and all `n_outputs` outputs stay as they were, so the form stays filled and usable. (Raised
    as gr.Error, Gradio would cover every output with an "Error" badge until each is dismissed.)"""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def event(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except _FixableError as exc:
                gr.Warning(exc.message, title=exc.title)
                return gr.skip() if n_outputs == 1 else tuple(gr.skip() for _ in range(n_outputs))

        return cast(F, event)

    return wrap


def team_filter_dropdowns(h: WebHandlers, actor: Actor) -> tuple[gr.Dropdown, gr.Dropdown, gr.Dropdown]:
    """The team, rep and COO filters of the Team sessions and Trends tabs: the actor's own team first (the team box
    shown only to whoever sees more than one), every rep and COO of it."""
    teams = h.team_choices(actor)
    team = actor.team_id or (teams[0][1] if teams else None)
    return (
        gr.Dropdown(choices=teams, value=team, visible=len(teams) > 1),
        gr.Dropdown(choices=[ALL, *(h.rep_choices(actor, team) if team else [])], value=""),
        gr.Dropdown(choices=[ALL, *h.persona_choices(actor)], value=""),
    )


def frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(table.rows, columns=table.headers)


def username(request: gr.Request | None) -> str | None:
    """The signed-in user's name; None when there is no request or no login (no access)."""
    return getattr(request, "username", None) if request is not None else None


class ExportFolder:
    """Where downloads (the CSV export) are written before Gradio copies them into its own cache.

    One folder per app, created on first use; files older than `max_age_s` are removed at each new export and the
    folder at exit, so a server that runs for months does not fill the disk with old exports. (Gradio's copies are
    pruned by the Blocks' `delete_cache`.)
    """

    def __init__(self, max_age_s: float = 900.0):
        self.max_age_s = max_age_s
        self._folder: Path | None = None
        self._lock = threading.Lock()

    def write(self, name: str, text: str) -> Path:
        """`text` saved as `name` (a new file; an older export of the same name is replaced)."""
        with self._lock:
            if self._folder is None or not self._folder.is_dir():
                self._folder = Path(tempfile.mkdtemp(prefix="trainer-exports-"))
                atexit.register(shutil.rmtree, self._folder, True)
            self._prune(self._folder)
            path = self._folder / name
            path.write_text(text, encoding="utf-8")
            return path

    def _prune(self, folder: Path) -> None:
        cutoff = time.time() - self.max_age_s
        for old in folder.iterdir():
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except OSError:  # removed meanwhile, or not ours to remove: the next export tries again
                pass
