"""Playbook passages in Chroma, embedded (`PersistentClient` under the data dir) or on a `chroma run` server.

Chroma is thread-safe but not process-safe: two processes writing one `PersistentClient` folder can corrupt its
index. One process (the CLI, a test, a single app worker) may use the embedded store; as soon as more than one
process needs the playbook, run `chroma run --path DIR` and set TRAINER_CHROMA_URL so they all go through it.

chromadb is used directly for ingest and search (we embed, validate and filter ourselves, and need exact ids);
`as_langchain()` gives the same collection as a langchain-chroma vector store for LangChain code (retrievers).
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from trainer.adapters.embedder_onnx import ChromaMiniLM, LangChainMiniLM, get_embedder
from trainer.errors import ConfigError, InputError
from trainer.playbook.glossary import Glossary
from trainer.playbook.passages import embedding_text
from trainer.playbook.query import check_search, normalise_where
from trainer.playbook.query_map import query_map_for
from trainer.playbook.rerank import rerank
from trainer.playbook.soft_match import WordVectors, soft_bonus
from trainer.ports import Embedder, Passage, StoreUnavailable

COLLECTION_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}
HTTP_TIMEOUT_S = 30.0
_HEADING_KEY = "heading_path"


def _client_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False)


def persistent_client(path: Path) -> Any:
    """An embedded client on `path`, after checking that the folder can be written."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"the vector store folder {path} is not writable ({exc.strerror or exc}); set TRAINER_DATA_DIR to a "
            "folder you can write to, or set TRAINER_CHROMA_URL to use a chroma server"
        ) from None
    try:
        return chromadb.PersistentClient(path=str(path), settings=_client_settings())
    except Exception as exc:
        raise StoreUnavailable(f"cannot open the vector store in {path}: {exc}") from exc


def http_client(url: str) -> Any:
    """A client of the chroma server at `url` (http://host:port). Checks that the server answers."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"TRAINER_CHROMA_URL must look like http://host:port (got {url!r})")
    ssl = parsed.scheme == "https"
    try:
        port = parsed.port or (443 if ssl else 8000)
    except ValueError:
        raise ConfigError(f"TRAINER_CHROMA_URL has a bad port: {url!r}") from None
    hint = "start it with `chroma run --path DIR --host HOST --port PORT`, or unset TRAINER_CHROMA_URL for the embedded store"
    try:  # fail fast (the chroma client itself waits forever on a host that does not answer)
        socket.create_connection((parsed.hostname, port), timeout=3).close()
    except OSError as exc:
        raise StoreUnavailable(f"the chroma server at {url} is not reachable ({exc}); {hint}") from None
    try:
        client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=_client_settings())
        client.heartbeat()
    except Exception as exc:
        raise StoreUnavailable(
            f"the chroma server at {url} does not answer as a chroma server ({exc}); {hint}"
        ) from None
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):  # chromadb sets no timeout at all
        session.timeout = httpx.Timeout(HTTP_TIMEOUT_S)
    return client


@contextmanager
def _store_errors(location: str) -> Iterator[None]:
    """Connection and server failures become StoreUnavailable; a bad filter becomes InputError."""
    try:
        yield
    except (InputError, ConfigError, StoreUnavailable):
        raise
    except ValueError as exc:
        if "connect" in str(exc).lower():
            raise StoreUnavailable(f"the vector store at {location} went away: {exc}") from None
        raise InputError(f"bad search filter: {exc}") from None
    except (httpx.HTTPError, OSError, ChromaError) as exc:
        raise StoreUnavailable(f"the vector store at {location} failed: {exc}") from None


class ChromaPassageStore:
    """`PassageSearch` plus what ingest needs (`source_ids`, `upsert`, `update_metadata`, `delete`)."""

    def __init__(
        self, client: Any, collection_name: str, embedder: Embedder, location: str, glossary: Glossary | None = None
    ):
        self._client = client
        self._glossary = glossary or Glossary()
        self._embedder = embedder
        self._words = WordVectors(embedder)
        self.location = location
        self.collection_name = collection_name
        with _store_errors(location):
            try:
                self._collection = client.get_or_create_collection(
                    collection_name,
                    configuration=COLLECTION_CONFIGURATION,
                    embedding_function=ChromaMiniLM(),
                    metadata={"model_id": embedder.model_id, "dim": embedder.dim},
                )
            except ValueError as exc:
                if "connect" in str(exc).lower():
                    raise
                raise ConfigError(
                    f"cannot use the collection {collection_name!r} ({exc}); set TRAINER_CHROMA_COLLECTION to another "
                    "name (3-512 letters, digits, '.', '_' or '-')"
                ) from None
        built_with = (self._collection.metadata or {}).get("model_id")
        if built_with and built_with != embedder.model_id:
            raise ConfigError(
                f"the collection {collection_name!r} was built with {built_with}, not {embedder.model_id}; "
                "set TRAINER_CHROMA_COLLECTION to a new name and ingest again"
            )

    @property
    def glossary(self) -> Glossary:
        """The team's glossary the searches use (empty when there is none)."""
        return self._glossary

    # ------------------------------------------------------------------------------------------------ search

    def search(self, query: str, k: int = 3, where: dict[str, Any] | None = None) -> list[Passage]:
        """Best `k` passages: the query with the glossary's playbook words for what it says (glossary.py), its
        embedding moved toward the playbook's vocabulary by the map fitted on the glossary (query_map.py), cosine
        similarity, then a re-rank of the candidates for the rare words they share with the query and for
        near-synonyms of its words (trainer/playbook/rerank.py, soft_match.py)."""
        query = self._glossary.expand(check_search(query, k))
        vector = query_map_for(self._glossary, self._embedder).apply(self._embedder.embed([query]))
        n_candidates = max(4 * k, 20)
        with _store_errors(self.location):
            res = self._collection.query(
                query_embeddings=vector,
                n_results=n_candidates,
                where=normalise_where(where),
                include=["documents", "metadatas", "distances"],
            )
        found = [
            self._passage(pid, doc, meta)
            for pid, doc, meta in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], strict=True)
        ]
        similarities = [1.0 - float(d) for d in res["distances"][0]]
        documents = [embedding_text(p) for p in found]
        ranked = rerank(query, documents, similarities, soft=soft_bonus(query, documents, self._words))
        return [_with_score(found[i], score) for i, score in ranked[:k]]

    def get(self, ids: Sequence[str]) -> list[Passage]:
        """The passages with these ids, in the order asked; unknown ids are left out."""
        if not ids:
            return []
        with _store_errors(self.location):
            res = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            pid: self._passage(pid, doc, meta)
            for pid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def count(self) -> int:
        with _store_errors(self.location):
            return int(self._collection.count())

    def all_passages(self) -> list[Passage]:
        with _store_errors(self.location):
            res = self._collection.get(include=["documents", "metadatas"])
        found = [
            self._passage(pid, doc, meta)
            for pid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        ]
        return sorted(found, key=lambda p: (str(p.metadata.get("source", "")), int(p.metadata.get("position", 0))))

    # ------------------------------------------------------------------------------------------------ ingest

    def source_ids(self, source: str) -> set[str]:
        with _store_errors(self.location):
            return set(self._collection.get(where={"source": source}, include=[])["ids"])

    def upsert(self, passages: Sequence[Passage], embeddings: np.ndarray) -> None:
        if len(passages) != len(embeddings):
            raise ValueError("one embedding per passage")
        batch = max(1, min(int(self._client.get_max_batch_size()), 1000))
        with _store_errors(self.location):
            for start in range(0, len(passages), batch):
                part = passages[start : start + batch]
                self._collection.upsert(
                    ids=[p.id for p in part],
                    embeddings=embeddings[start : start + batch],
                    documents=[p.text for p in part],
                    metadatas=[{**p.metadata, _HEADING_KEY: p.heading_path} for p in part],
                )

    def update_metadata(self, passages: Sequence[Passage]) -> None:
        """Refresh the metadata of passages already stored (same id: same text, same vector)."""
        batch = max(1, min(int(self._client.get_max_batch_size()), 1000))
        with _store_errors(self.location):
            for start in range(0, len(passages), batch):
                part = passages[start : start + batch]
                self._collection.update(
                    ids=[p.id for p in part], metadatas=[{**p.metadata, _HEADING_KEY: p.heading_path} for p in part]
                )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            with _store_errors(self.location):
                self._collection.delete(ids=list(ids))

    # ------------------------------------------------------------------------------------------------ views

    def as_langchain(self) -> Any:
        """The same collection as a `langchain_chroma.Chroma` vector store (for LangChain retrievers)."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self._client,
            collection_name=self.collection_name,
            embedding_function=LangChainMiniLM(),
            collection_configuration=COLLECTION_CONFIGURATION,  # type: ignore[arg-type]
        )

    @staticmethod
    def _passage(pid: str, doc: str | None, meta: Any) -> Passage:
        metadata = dict(sorted((meta or {}).items()))
        heading_path = str(metadata.pop(_HEADING_KEY, ""))
        return Passage(id=pid, heading_path=heading_path, text=doc or "", metadata=metadata)


def _with_score(p: Passage, score: float) -> Passage:
    return Passage(id=p.id, heading_path=p.heading_path, text=p.text, metadata=p.metadata, score=round(score, 4))


def open_store(
    *,
    path: Path | None = None,
    url: str | None = None,
    collection: str = "playbook",
    embedder: Embedder | None = None,
    glossary: Glossary | None = None,
) -> ChromaPassageStore:
    """The store on a chroma server when `url` is given, else the embedded one in `path`. With a `glossary`,
    searches add the playbook's words for the everyday phrasings a query uses."""
    embedder = embedder or get_embedder()
    if url:
        return ChromaPassageStore(http_client(url), collection, embedder, url, glossary)
    if path is None:
        raise ConfigError("no vector store location: set TRAINER_DATA_DIR or TRAINER_CHROMA_URL")
    return ChromaPassageStore(persistent_client(path), collection, embedder, str(path), glossary)
