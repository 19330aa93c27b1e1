"""`trainer llm check`: which backend and model are configured, and one measured round trip."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from trainer.ports import LLMRequest, Message
from trainer.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="The configured LLM backend.")
console = Console()

CHECK_PROMPT = "Reply with one short sentence: is this line working?"


def check_request(style: str) -> LLMRequest:
    """A tiny request in the model's preferred style (a transcript to continue for a completions model)."""
    if style == "completions":
        return LLMRequest(
            prompt=f"Phone call transcript.\n\nRep: {CHECK_PROMPT}\nCOO:", max_tokens=24, temperature=0.0, stop=("\n",)
        )
    return LLMRequest(messages=(Message("user", CHECK_PROMPT),), max_tokens=24, temperature=0.0)


@app.command("check")
def check(
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=20, help="How many round trips to time.")] = 1,
) -> None:
    """Report the configured backend and model and time a real round trip (first token and total).

    A wrong key or an unreachable server ends with a message saying which setting to change.
    """
    from trainer.wiring import build_llm

    settings = get_settings()
    llm = build_llm(settings)
    out = console.print
    out(f"backend: {llm.backend}", markup=False, highlight=False)
    out(f"model: {llm.model_id} (style: {llm.preferred_style}, capable: {llm.capable})", markup=False, highlight=False)
    start = getattr(llm, "start", None)
    if callable(start):
        t0 = time.perf_counter()
        start()
        out(f"server start: {time.perf_counter() - t0:.2f} s", markup=False, highlight=False)
    for i in range(rounds):
        stream = llm.stream(check_request(llm.preferred_style))
        for _ in stream:
            pass
        reply = stream.reply
        first = f"{reply.first_token_s:.3f} s" if reply.first_token_s is not None else "n/a"
        label = f"round trip {i + 1}" if rounds > 1 else "round trip"
        out(
            f"{label}: first token {first}, total {reply.total_s:.3f} s, {reply.status}: {reply.text.strip()[:80]!r}",
            markup=False,
            highlight=False,
        )
        if reply.status != "complete":
            out(f"warning: the reply was cut off: {reply.error}", markup=False, highlight=False)
    stop = getattr(llm, "stop", None)
    if callable(stop):
        stop()
