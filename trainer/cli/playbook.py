"""`trainer playbook ingest PATH...` and `trainer playbook search "QUERY"`: a thin layer over services.knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trainer.errors import InputError
from trainer.services import knowledge
from trainer.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="The playbook knowledge base: ingest playbooks, search passages.")
console = Console()


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _open() -> tuple[Any, Any]:
    from trainer.wiring import build_embedder, build_passage_store

    settings = get_settings()
    embedder = build_embedder(settings)
    return build_passage_store(settings, embedder), embedder


@app.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Playbook files (.md or .txt), or folders of them.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Split playbooks into passages and store them. Re-ingesting a file updates it: same text, same passage id;
    passages gone from the file are removed. A file that fails leaves the store as it was."""
    store, embedder = _open()
    reports = knowledge.ingest(paths, store=store, embedder=embedder, progress=not quiet)
    for r in reports:
        _say(f"{r.source}: {r.passages} passages ({r.added} added, {r.kept} unchanged, {r.removed} removed)")
    _say(f"{store.count()} passages in {store.location} (collection {store.collection_name})")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[int, typer.Option("--k", "-k", help="How many passages.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list, best first.")] = False,
    section: Annotated[
        list[str] | None, typer.Option("--section", help="Only these section tags (repeatable), e.g. objections.")
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", help="A Chroma filter as JSON, e.g. '{\"movement\": 2}'.")
    ] = None,
) -> None:
    """The passages that best match QUERY, with their heading path and score."""
    filters: list[dict[str, Any]] = []
    if section:
        filters.append(knowledge.section_filter(section))
    if where:
        try:
            filters.append(json.loads(where))
        except json.JSONDecodeError as exc:
            raise InputError(f'--where is not valid JSON ({exc.msg}); e.g. \'{{"section": "objections"}}\'') from None
    combined = None if not filters else filters[0] if len(filters) == 1 else {"$and": filters}
    store, _ = _open()
    from trainer.wiring import build_question_reader

    answer = knowledge.ask(store, query, k=k, where=combined, reader=build_question_reader(get_settings()))
    passages = answer.passages
    if as_json:
        rows = [
            {"id": p.id, "heading_path": p.heading_path, "text": p.text, "score": p.score, "metadata": p.metadata}
            for p in passages
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if answer.glossary_terms:  # a coach extending the glossary sees what it did to the question
        _say(f"also searched for the playbook's words: {'; '.join(answer.glossary_terms)} (playbooks/glossary.yaml)")
    if answer.model_terms:
        _say(f"and, as the model read the question: {'; '.join(answer.model_terms)}")
    if not passages:
        _say("no passages found (is a playbook ingested? `trainer playbook ingest playbooks/coo_phone_outbound.md`)")
    for i, p in enumerate(passages, 1):
        _say(f"{i}. [{p.score:.3f}] {p.heading_path}  ({p.metadata.get('section')}, {p.id})")
        for line in p.text.splitlines():
            _say(f"   {line}")
