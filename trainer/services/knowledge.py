"""The playbook knowledge base: ingest playbook files into the passage store, search it, cite from sections.

Ingest is all-or-nothing up to the store: every file is read and split, every new passage embedded and the
vectors checked before the store is written, so a bad file or a failing model leaves the previous index as it was.
Then, per file, new passages are upserted first and the passages that disappeared from the file are deleted last:
a reader never sees a file's passages missing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from trainer.content.vocab import SECTION_TAGS
from trainer.errors import InputError, RunError
from trainer.playbook import embedding_text, expand_paths, load_playbook
from trainer.ports import Embedder, Passage, PassageSearch

EMBED_CHUNK = 64
PROGRESS_FROM = 200  # passages; smaller ingests finish in about a second and show no bar


class PassageIndex(PassageSearch, Protocol):
    """A passage store that can be written (the Chroma adapter is one)."""

    def source_ids(self, source: str) -> set[str]: ...

    def upsert(self, passages: Sequence[Passage], embeddings: np.ndarray) -> None: ...

    def update_metadata(self, passages: Sequence[Passage]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class IngestReport:
    source: str
    passages: int
    added: int
    kept: int  # already in the store with the same id, i.e. the same text under the same heading
    removed: int  # gone from the file, deleted from the store


def embed_passages(passages: Sequence[Passage], embedder: Embedder, *, progress: bool = True) -> np.ndarray:
    """Vectors for the passages (heading path + text), checked: one finite unit row of the model's width each."""
    texts = [embedding_text(p) for p in passages]
    show = progress and len(texts) >= PROGRESS_FROM
    parts: list[np.ndarray] = []
    with tqdm(total=len(texts), unit="passage", desc="embedding", disable=not show, file=sys.stderr) as bar:
        for start in range(0, len(texts), EMBED_CHUNK):
            chunk = texts[start : start + EMBED_CHUNK]
            parts.append(np.asarray(embedder.embed(chunk), dtype=np.float32))
            bar.update(len(chunk))
    vectors = np.concatenate(parts) if parts else np.empty((0, embedder.dim), dtype=np.float32)
    if vectors.shape != (len(texts), embedder.dim):
        raise RunError(f"the embedder returned {vectors.shape} for {len(texts)} passages of width {embedder.dim}")
    norms = np.linalg.norm(vectors, axis=1)
    if not np.all(np.isfinite(vectors)) or not np.allclose(norms, 1.0, atol=1e-3):
        raise RunError("the embedder returned vectors that are not finite unit vectors; nothing was written")
    return vectors


def ingest(
    paths: Iterable[str | Path], *, store: PassageIndex, embedder: Embedder, progress: bool = True
) -> list[IngestReport]:
    """Ingest playbook files (.md, .txt, or folders of them). Re-ingesting a file is idempotent.

    A passage already in the store under the same id has the same source, heading path and text, so the same
    vector: only new passages are embedded (the store's collection is tied to one model), kept ones get their
    metadata refreshed.
    """
    files = expand_paths([Path(p) for p in paths])
    if not files:
        raise InputError("no playbook given; name one or more .md or .txt files")
    parsed = [(f.name, load_playbook(f)) for f in files]  # every file read and split before anything else
    before = {source: store.source_ids(source) for source, _ in parsed}
    new = [p for source, passages in parsed for p in passages if p.id not in before[source]]
    vectors = dict(zip([p.id for p in new], embed_passages(new, embedder, progress=progress), strict=True))
    reports: list[IngestReport] = []
    for source, passages in parsed:
        ids = {p.id for p in passages}
        added = [p for p in passages if p.id in vectors]
        kept = [p for p in passages if p.id not in vectors]
        stale = sorted(before[source] - ids)
        if added:
            store.upsert(added, np.stack([vectors[p.id] for p in added]))
        store.update_metadata(kept)
        store.delete(stale)
        reports.append(IngestReport(source, len(passages), len(added), len(kept), len(stale)))
    return reports


@dataclass(frozen=True)
class Answer:
    """A question's passages, best first, and the playbook words added to the question to find them."""

    passages: list[Passage]
    glossary_terms: list[str]  # from the team's glossary
    model_terms: list[str]  # read by a capable model, when one is configured


class QuestionReader(Protocol):
    def terms(self, question: str) -> list[str]: ...


MAX_READ_CHARS = 1_000  # a question, not a document: longer ones are searched as they are


def ask(
    store: PassageSearch,
    question: str,
    *,
    k: int = 3,
    where: dict[str, Any] | None = None,
    reader: QuestionReader | None = None,
) -> Answer:
    """A question in the user's own words (the CLI's and the web's search; not the grader's, whose citations stay
    reproducible): the glossary's playbook words for what it says and, with a capable model (`reader`, see
    trainer/playbook/query_terms.py), the playbook phrases the model reads in it are added before searching."""
    from_glossary = glossary_terms(store, question)
    from_model: list[str] = []
    if reader is not None and len(question) <= MAX_READ_CHARS:
        from_model = [t for t in reader.terms(question) if t not in from_glossary]
    query = f"{question} ({'; '.join(from_model)})" if from_model else question
    return Answer(store.search(query, k=k, where=where), from_glossary, from_model)


def glossary_terms(store: PassageSearch, query: str) -> list[str]:
    """The playbook words the store's glossary adds to `query` when searching (none without a glossary)."""
    glossary = getattr(store, "glossary", None)
    return list(glossary.playbook_terms_in(query)) if glossary is not None else []


def section_filter(sections: Sequence[str]) -> dict[str, Any]:
    """The filter for passages in any of these section tags (the rubric's `grounded_in`)."""
    unknown = [s for s in sections if s not in SECTION_TAGS]
    if unknown or not sections:
        raise InputError(f"unknown section tag(s) {unknown or '(none)'}; valid tags: {', '.join(SECTION_TAGS)}")
    return {"section": {"$in": list(dict.fromkeys(sections))}}


def cite(store: PassageSearch, query: str, sections: Sequence[str], *, k: int = 2) -> list[Passage]:
    """Passages to cite for a rubric criterion: `query` (its citation_query or a moment of the call) within
    the criterion's `grounded_in` sections."""
    return store.search(query, k=k, where=section_filter(sections))


def playbooks_in(store: PassageSearch) -> dict[str, list[Passage]]:
    """The ingested playbooks: each source file's name with its passages in document order."""
    out: dict[str, list[Passage]] = {}
    for p in store.all_passages():
        out.setdefault(str(p.metadata.get("source", "")), []).append(p)
    return out
