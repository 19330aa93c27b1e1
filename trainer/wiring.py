"""The one place that picks adapters from settings. Everything vendor-specific is imported lazily from here, so
`import trainer` stays light and a missing optional backend fails only when chosen, with a clear message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainer.settings import Settings

if TYPE_CHECKING:
    from trainer.adapters.db import Database
    from trainer.content.loader import Content
    from trainer.playbook.query_terms import QueryTerms
    from trainer.ports import LLM, Embedder, PassageSearch
    from trainer.services.facade import Services


def build_embedder(settings: Settings) -> Embedder:
    """The process-wide offline embedder (all-MiniLM-L6-v2 int8, ONNX): one instance per process, ~2 ms a sentence."""
    from trainer.adapters.embedder_onnx import get_embedder

    return get_embedder()


def build_passage_store(settings: Settings, embedder: Embedder | None = None) -> PassageSearch:
    """Chroma PersistentClient under the data dir, or HttpClient when TRAINER_CHROMA_URL is set.

    The returned store is also a `trainer.services.knowledge.PassageIndex` (the write side that ingest uses).
    Searches use the team's glossary (playbooks/glossary.yaml under the content folder) when there is one.
    """
    from trainer.adapters.chroma_store import open_store
    from trainer.content.loader import load_glossary

    return open_store(
        path=settings.chroma_path,
        url=settings.chroma_url or None,
        collection=settings.chroma_collection,
        embedder=embedder or build_embedder(settings),
        glossary=load_glossary(settings.content_dir),
    )


def build_llm(settings: Settings) -> LLM:
    """The configured LLM backend (TRAINER_LLM_BACKEND); ConfigError names the setting when one is missing."""
    from trainer.adapters.llm.factory import build_llm as build

    return build(settings)


def build_database(settings: Settings) -> Database:
    """SQLite at settings.sqlite_path, or the DATABASE_URL database (PostgreSQL). Run `trainer db upgrade` first."""
    from trainer.adapters.db import Database

    return Database(settings.effective_database_url)


def build_services(settings: Settings) -> Services:
    """The service layer (users, sessions, grades, drills, review) over the configured database and content."""
    from trainer.content.loader import load_content
    from trainer.services.facade import Services

    return Services(
        build_database(settings),
        load_content(settings.content_dir),
        max_message_chars=settings.max_message_chars,
        default_difficulty=settings.difficulty,
    )


def build_question_reader(settings: Settings, content: Content | None = None) -> QueryTerms | None:
    """A capable model's reading of search questions into the playbook's words, or None: the embedded model is
    never capable (and is not started for this), nor is a model TRAINER_LLM_CAPABLE does not trust."""
    if settings.llm_backend == "embedded":
        return None
    llm = build_llm(settings)
    if not llm.capable:
        return None
    from trainer.content.loader import load_content
    from trainer.playbook.query_terms import QueryTerms

    content = content or load_content(settings.content_dir)
    return QueryTerms(llm, content.prompts, content.glossary)
