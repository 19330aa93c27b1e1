"""`trainer serve`: the web app on TRAINER_HOST:TRAINER_PORT, behind a login (users from `trainer users add` or
`trainer seed demo`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from trainer.settings import get_settings

console = Console()


def serve(
    host: Annotated[str | None, typer.Option("--host", help="Bind address (default: TRAINER_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: TRAINER_PORT).")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Authored COO lines only, no model.")] = False,
) -> None:
    """Serve the web app: reps practise and read their grades, coaches set drills, managers review the team."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    from trainer.playbook.query_map import query_map_for
    from trainer.services.grading import GradingService
    from trainer.services.live_calls import LiveCalls
    from trainer.services.practice import PracticeService
    from trainer.web.app import create_app, login_checker
    from trainer.wiring import build_services

    services = build_services(settings)
    practice = PracticeService(settings, content=services.content, use_llm=not no_llm)
    live = LiveCalls(services, practice, GradingService(settings, content=services.content))
    _ = practice.embedder  # load the understanding layer's model now, not on the first call
    query_map_for(services.content.glossary, practice.embedder)  # and fit the playbook search's map (~1 s)
    llm = practice.llm
    start = getattr(llm, "start", None)
    if callable(start):  # the embedded model server: start it before the first rep waits for it
        console.print(f"starting the {llm.backend} model {llm.model_id} ...")  # type: ignore[union-attr]
        start()
    blocks = create_app(settings, services=services, live=live)
    console.print(f"Web app on [bold]http://{host}:{port}/[/] - Ctrl+C stops it")
    blocks.queue(default_concurrency_limit=16).launch(
        server_name=host,
        server_port=port,
        auth=login_checker(services),
        auth_message="Sign in with your trainer account.",
        quiet=True,
    )
