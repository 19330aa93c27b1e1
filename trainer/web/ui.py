"""Small Gradio helpers shared by the tabs' event modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gradio as gr
import pandas as pd

from trainer.errors import AccessDenied, NotFoundError, RunError, UserError
from trainer.web.views import Table

ALL = ("All", "")  # the "no filter" choice of a filter dropdown


@contextmanager
def shown_as_toast() -> Iterator[None]:
    """A UserError (fixable) or RunError (something broke) becomes a Gradio error toast; outputs stay as they were."""
    try:
        yield
    except (AccessDenied, NotFoundError) as exc:
        raise gr.Error(str(exc), title="Not available", print_exception=False) from None
    except UserError as exc:
        raise gr.Error(str(exc), title="Please check", print_exception=False) from None
    except RunError as exc:
        raise gr.Error(f"something failed: {exc}", title="Run failed", print_exception=False) from None


def frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(table.rows, columns=table.headers)


def username(request: gr.Request | None) -> str | None:
    """The signed-in user's name; None when there is no request or no login (no access)."""
    return getattr(request, "username", None) if request is not None else None
