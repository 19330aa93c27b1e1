"""`trainer practice` (a call in the terminal) and `trainer simulate` (self-play of a rep script)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trainer.content.loader import load_transcript
from trainer.engine.call import Call
from trainer.errors import InputError, UserError
from trainer.services.practice import PracticeService
from trainer.settings import get_settings

console = Console()

PersonaOpt = Annotated[str | None, typer.Option("--persona", help="Persona id (see `trainer content check`).")]
ScenarioOpt = Annotated[str | None, typer.Option("--scenario", help="A, B or C.")]
DifficultyOpt = Annotated[str | None, typer.Option("--difficulty", help="easy, standard or hard.")]


def practice(
    persona: PersonaOpt = None,
    scenario: ScenarioOpt = None,
    difficulty: DifficultyOpt = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Authored lines only, no model.")] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Store the call as this user and grade it at the end (asks the password)."),
    ] = None,
) -> None:
    """Practise a call in the terminal. Type your lines; /quit hangs up."""
    settings = get_settings()
    service = PracticeService(settings, use_llm=not no_llm)
    live, actor, session_id = None, None, None
    if as_user:
        from trainer.services.grading import GradingService
        from trainer.services.live_calls import LiveCalls
        from trainer.wiring import build_services

        services = build_services(settings)
        actor = services.users.authenticate(as_user, typer.prompt("password", hide_input=True))
        if actor is None:
            raise UserError(f"wrong username or password for {as_user!r}")
        live = LiveCalls(
            services, service, GradingService(settings, content=service.content, embedder=service.embedder)
        )
        session, greeting = live.start(actor, persona_id=persona, scenario=scenario, difficulty=difficulty, seed=seed)
        session_id = session.id
        call = live.call(actor, session_id)
    else:
        call = service.new_call(persona, scenario, difficulty, seed)
        greeting = call.open()
    p = call.persona
    console.print(
        f"[bold]Calling {p.name}, {p.title} of {p.company}[/] ({p.industry}) - scenario {call.scenario_id}: "
        f"{call.scenario.title}. Difficulty: {call.difficulty}. Type /quit to hang up."
    )
    console.print(f"[cyan]{p.first_name}:[/] {greeting}")
    while not call.ended:
        try:
            line = console.input("[green]You:[/] ")
        except EOFError:
            break
        if line.strip() == "/quit":
            break
        try:
            pieces = live.say(actor, session_id, line) if live and session_id else call.rep_says(line)
            console.print(f"[cyan]{p.first_name}:[/] ", end="")
            for piece in pieces:
                console.print(piece, end="", markup=False, highlight=False)
            console.print()
        except InputError as exc:
            console.print(f"\n[yellow]{exc}[/]")
    _print_replay(call)
    if live is not None and session_id is not None:
        grade = live.hang_up(actor, session_id)
        if grade is not None:
            console.print(
                f"\n[bold]Grade:[/] {grade.total}/{grade.max_total} ({grade.status}), stored with session {session_id}"
            )
            for c in grade.criteria:
                console.print(f"  {c.id}: {c.score}/{c.max} - {c.rationale}", markup=False, highlight=False)
            for sug in grade.suggestions:
                console.print(f"  next time, try: {sug.text}", markup=False, highlight=False)


def _print_replay(call: Call) -> None:
    console.print(f"\n[bold]Outcome:[/] {call.outcome or 'you hung up'}")
    table = Table(title="What the COO was thinking, turn by turn")
    for col in ("#", "your moves", "COO act", "interest", "patience", "objections", "facts revealed", "voice"):
        table.add_column(col)
    for i, rec in enumerate(call.records):
        s = rec.state
        ledger = ", ".join(f"{k}:{v}" for k, v in s["ledger"].items())
        table.add_row(
            str(i),
            ", ".join(rec.rep_moves) or "-",
            rec.act + (f" ({rec.fact_id or rec.objection_id})" if rec.fact_id or rec.objection_id else ""),
            str(s["interest"]),
            str(s["patience"]),
            ledger or "-",
            ", ".join(s["facts_revealed"]) or "-",
            rec.voice_source,
        )
    console.print(table)


def simulate(
    rep_script: Annotated[Path, typer.Option("--rep-script", help="Transcript JSON whose rep turns are played.")],
    persona: PersonaOpt = None,
    scenario: ScenarioOpt = None,
    difficulty: DifficultyOpt = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Authored lines only, no model.")] = False,
) -> None:
    """Play a rep script against the COO engine; print the new transcript, outcome, objections and states."""
    script = load_transcript(rep_script)
    service = PracticeService(get_settings(), use_llm=not no_llm)
    result = service.simulate(script, persona, scenario, difficulty, seed)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    coo_name = service.content.personas[result.persona].first_name
    ci = 0
    for turn in result.turns:
        if turn["speaker"] == "rep":
            console.print(f"[green]Rep:[/] {turn['text']}", markup=True, highlight=False)
        else:
            st = result.states[ci]
            ci += 1
            console.print(f"[cyan]{coo_name}:[/] {turn['text']}", highlight=False)
            console.print(
                f"    [dim]{st['act']} | interest {st['interest']} patience {st['patience']} | "
                f"{', '.join(f'{k}:{v}' for k, v in st['ledger'].items()) or 'no objections'}[/]"
            )
    note = f" ({result.rep_turns_unused} rep turns unused)" if result.rep_turns_unused else ""
    console.print(f"[bold]Outcome:[/] {result.outcome}{note}")
    console.print(f"[bold]Objections raised:[/] {', '.join(result.objections_raised) or 'none'}")
