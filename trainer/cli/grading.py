"""`trainer grade FILE` and `trainer eval DIR`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trainer.content.loader import load_transcript
from trainer.grading.render import grade_markdown
from trainer.services.grading import GradingService, grade_json
from trainer.settings import get_settings

console = Console()


def grade(
    file: Annotated[Path, typer.Argument(help="Transcript JSON (the calibration format).")],
    rubric: Annotated[str, typer.Option("--rubric", help="Rubric id.")] = "coo_quality_check",
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown for people (the default).")] = False,
    grader: Annotated[str | None, typer.Option("--grader", help="signal or llm (default: TRAINER_GRADER).")] = None,
) -> None:
    """Grade a call against the rubric: scores, the rep's own words as evidence, playbook citations."""
    transcript = load_transcript(file)
    result = GradingService(get_settings()).grade(transcript, rubric, grader)
    if as_json:
        print(grade_json(result))
    else:
        print(grade_markdown(result, title=f"Call grade: {transcript.id or file.stem}"))
    if result.status == "failed":
        raise typer.Exit(1)


def evaluate(
    folder: Annotated[Path, typer.Argument(help="Folder of labelled transcripts (expected.scores).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    grader: Annotated[str | None, typer.Option("--grader", help="signal or llm.")] = None,
) -> None:
    """Grade every labelled call in a folder and report agreement with the coach."""
    report = GradingService(get_settings()).evaluate(folder, grader)
    m = report.metrics()
    if as_json:
        print(json.dumps(m, indent=2))
        return
    o = m["overall"]
    console.print(f"[bold]{m['calls']} calls[/] ({m['failed']} failed grades)")
    table = Table("criterion", "n", "exact", "within ±1", "QWK")
    for crit, v in m["criteria"].items():
        table.add_row(crit, str(v["n"]), str(v["exact"]), str(v["within_1"]), str(v["qwk"]))
    table.add_row("overall", "", str(o["exact"]), str(o["within_1"]), str(o["qwk"]))
    console.print(table)
    console.print(f"Spearman of totals: {o['spearman_totals']}   outcome agreement: {o['outcome_agreement']}")
    console.print(f"verified quotes: {m['verified_quotes']}   resolvable citations: {m['resolvable_citations']}")
    for t in m["injection_twins"]:
        console.print(
            f"injection twin {t['call']} vs {t['twin']}: {'identical' if t['identical'] else t['differences']}"
        )
    if m["disagreements"]:
        d = Table("call", "criterion", "coach", "grader", title="Disagreements")
        for row in m["disagreements"]:
            d.add_row(row["call"], row["criterion"], str(row["expected"]), str(row["got"]))
        console.print(d)
