"""`trainer content check`, `trainer settings`, `trainer version`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trainer import __version__
from trainer.content.loader import load_content
from trainer.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help="Validate the content files (personas, rubrics, prompts, playbooks).")
console = Console()


@app.command("check")
def check(
    content_dir: Annotated[
        Path | None, typer.Option("--content-dir", help="Folder to check (default: TRAINER_CONTENT_DIR).")
    ] = None,
) -> None:
    """Validate every content file; print `file: field: problem` lines and exit non-zero on any problem."""
    root = content_dir or get_settings().content_dir
    content = load_content(root)  # raises ContentError -> printed by main()
    console.print(
        f"ok: {len(content.personas)} personas ({', '.join(sorted(content.personas))}), "
        f"{len(content.rubrics)} rubrics, {len(content.prompts.names())} prompts, "
        f"{len(content.playbooks)} playbooks in {root}",
        markup=False,
        highlight=False,
    )


def show_settings() -> None:
    """Print the settings in force (secrets masked)."""
    s = get_settings()
    for name, info in Settings.model_fields.items():
        value = getattr(s, name)
        if "key" in name and value is not None:
            value = "***"
        console.print(f"{name} = {value}    # {info.description or ''}", markup=False, highlight=False)


def version() -> None:
    """Print the version."""
    console.print(f"trainer {__version__}")
