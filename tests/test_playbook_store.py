"""The knowledge base on Chroma, in both modes (embedded folder and `chroma run` server): idempotent ingest, removal of
passages gone from a file, metadata filters, a failed ingest that leaves the previous index usable, clear errors."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT, require_service
from trainer.adapters.chroma_store import ChromaPassageStore, open_store
from trainer.adapters.embedder_onnx import get_embedder
from trainer.errors import ConfigError, ContentError, InputError, RunError
from trainer.ports import PassageSearch, StoreUnavailable
from trainer.services import knowledge
from trainer.settings import get_settings
from trainer.wiring import build_passage_store

MARKDOWN_PLAYBOOK = ROOT / "playbooks" / "coo_phone_outbound.md"


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChromaPassageStore]:
    if request.param == "embedded":
        yield open_store(path=tmp_path / "chroma", collection="playbook")
        return
    url = require_service("TRAINER_TEST_CHROMA_URL")
    name = f"test-{uuid.uuid4().hex[:12]}"  # the server is shared by the whole test run
    yield open_store(url=url, collection=name)
    host, port = url.removeprefix("http://").split(":")
    chromadb.HttpClient(host=host, port=int(port)).delete_collection(name)


def ingest(store: ChromaPassageStore, *paths: Path) -> list[knowledge.IngestReport]:
    return knowledge.ingest(paths, store=store, embedder=get_embedder(), progress=False)


def snapshot(store: ChromaPassageStore, source: str) -> dict[str, str]:
    ids = sorted(store.source_ids(source))
    return {p.id: p.text for p in store.get(ids)}


def test_ingest_is_idempotent_and_removes_what_left_the_file(store: ChromaPassageStore, tmp_path: Path) -> None:
    assert isinstance(store, PassageSearch)
    copy = tmp_path / MARKDOWN_PLAYBOOK.name
    copy.write_text(MARKDOWN_PLAYBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    (first,) = ingest(store, copy)
    assert first.added == first.passages == store.count() > 20
    before = snapshot(store, copy.name)
    (again,) = ingest(store, copy)
    assert (again.added, again.kept, again.removed) == (0, first.passages, 0)
    assert snapshot(store, copy.name) == before and store.count() == first.passages

    text = copy.read_text(encoding="utf-8")
    start, end = text.index("## Quality Check"), len(text)
    text = text[:start] + text[end:]  # the quality check section is gone
    text = text.replace("Clarity beats momentum.", "Clarity beats momentum, every time.")
    copy.write_text(text, encoding="utf-8")
    (edited,) = ingest(store, copy)
    assert (edited.added, edited.removed) == (1, 2)
    assert store.count() == first.passages - 1
    assert not store.search("Did I respect disruption risk?", k=3, where={"section": "quality_check"})
    assert any("every time" in p.text for p in store.search("clarity beats momentum", k=3))
    # another file's passages are untouched by re-ingesting this one
    ingest(store, ORIGINAL_PLAYBOOK)
    ingest(store, copy)
    assert store.source_ids(ORIGINAL_PLAYBOOK.name)


def test_search_returns_scored_passages_and_filters_on_metadata(store: ChromaPassageStore) -> None:
    ingest(store, MARKDOWN_PLAYBOOK, ORIGINAL_PLAYBOOK)
    hits = store.search("the COO says they just need more people", k=3)
    assert len(hits) == 3 and hits[0].metadata["objection"] == "more_staff"
    assert all(h.score is not None for h in hits)
    assert [h.score for h in hits] == sorted([h.score for h in hits], reverse=True)  # type: ignore[type-var]
    only = store.search("how do I end the call", k=5, where={"section": {"$in": ["objections", "movement_1"]}})
    assert only and {p.metadata["section"] for p in only} <= {"objections", "movement_1"}
    txt = store.search("staff", k=5, where={"source": ORIGINAL_PLAYBOOK.name, "objection": "staff_wont_adopt"})
    assert [p.metadata["objection"] for p in txt] == ["staff_wont_adopt"]
    assert store.search("anything", k=3, where={"section": "no_such_section"}) == []
    # the grader's way: a rubric criterion's citation query within its grounded_in sections
    cited = knowledge.cite(store, "describe where time is being lost", ["movement_2"], k=2)
    assert len(cited) == 2 and all(p.metadata["movement"] == 2 for p in cited)
    got = store.get([cited[1].id, "pb-unknown", cited[0].id])
    assert [p.id for p in got] == [cited[1].id, cited[0].id] and got[0].heading_path == cited[1].heading_path


def test_bad_queries_are_refused_clearly(store: ChromaPassageStore) -> None:
    ingest(store, MARKDOWN_PLAYBOOK)
    with pytest.raises(InputError, match="20,000 characters"):
        store.search("flow " * 4000)
    with pytest.raises(InputError, match="empty"):
        store.search("   ")
    with pytest.raises(InputError, match="k must be"):
        store.search("close", k=0)
    with pytest.raises(InputError, match="bad search filter"):
        store.search("close", where={"section": {"$like": "x"}})
    with pytest.raises(InputError, match="unknown section tag"):
        knowledge.cite(store, "close", ["movement_5"])
    assert store.search("close the call", k=1)  # still fine afterwards


class FlakyEmbedder:
    """The real model, until the second chunk of an ingest: then NaNs."""

    def __init__(self) -> None:
        self.inner = get_embedder()
        self.model_id, self.dim, self.calls = self.inner.model_id, self.inner.dim, 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        v = self.inner.embed(texts)
        return v if self.calls < 2 else v * np.nan


def test_a_failed_ingest_leaves_the_previous_index_usable(store: ChromaPassageStore, tmp_path: Path) -> None:
    copy = tmp_path / MARKDOWN_PLAYBOOK.name
    copy.write_text(MARKDOWN_PLAYBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    ingest(store, copy)
    before, count = snapshot(store, copy.name), store.count()
    copy.write_text("# Rewritten\n\n## Only section\n\nNothing else.\n", encoding="utf-8")
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ContentError, match="empty playbook"):
        ingest(store, copy, empty)  # the good file first: still nothing written
    assert snapshot(store, copy.name) == before and store.count() == count
    big = tmp_path / "big.md"
    big.write_text(
        "\n\n".join(f"## Section {i}\n\nA passage about flow number {i}." for i in range(130)), encoding="utf-8"
    )
    with pytest.raises(RunError, match="nothing was written"):
        knowledge.ingest([big], store=store, embedder=FlakyEmbedder(), progress=False)
    assert snapshot(store, copy.name) == before and store.count() == count and not store.source_ids("big.md")
    assert store.search("how do I end the call", k=1)


def test_wiring_picks_the_mode_from_settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINER_CHROMA_URL", raising=False)
    embedded = build_passage_store(get_settings())
    assert isinstance(embedded, ChromaPassageStore) and embedded.location == str(data_dir / "chroma")
    url = os.environ.get("TRAINER_TEST_CHROMA_URL")
    if url:
        monkeypatch.setenv("TRAINER_CHROMA_URL", url)
        monkeypatch.setenv("TRAINER_CHROMA_COLLECTION", f"test-{uuid.uuid4().hex[:12]}")
        served = build_passage_store(get_settings())
        assert isinstance(served, ChromaPassageStore) and served.location == url and served.count() == 0


def test_the_store_folder_not_writable(tmp_path: Path) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("a file where the data folder should be")
    with pytest.raises(ConfigError, match=r"not writable.*TRAINER_DATA_DIR"):
        open_store(path=in_the_way / "chroma")
    if os.geteuid() == 0:
        return  # root writes anywhere: the permission case can only be seen as another user
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="not writable"):
        open_store(path=locked / "chroma")


def test_the_server_not_reachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port} is not reachable.*chroma run"):
        open_store(url=f"http://127.0.0.1:{port}")
    with pytest.raises(ConfigError, match="http://host:port"):
        open_store(url="127.0.0.1:8000")


def test_reopening_the_collection_needs_only_this_module(tmp_path: Path) -> None:
    store = open_store(path=tmp_path / "chroma")
    ingest(store, MARKDOWN_PLAYBOOK)
    col = chromadb.PersistentClient(path=str(tmp_path / "chroma")).get_collection("playbook")
    assert col.count() == store.count()
    assert col.query(query_texts=["how do I end the call"], n_results=1)["ids"][0]
    lc = store.as_langchain().similarity_search("the COO says they just need more people", k=1)
    assert lc[0].metadata["objection"] == "more_staff"


def test_a_long_ingest_shows_a_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(path=tmp_path / "chroma")
    knowledge.ingest([MARKDOWN_PLAYBOOK], store=store, embedder=get_embedder(), progress=True)
    assert "embedding" not in capsys.readouterr().err  # a small playbook takes a second: no bar
    long = tmp_path / "long.md"
    long.write_text("\n\n".join(f"## Step {i}\n\nWhere time goes at step {i}." for i in range(260)), encoding="utf-8")
    (report,) = knowledge.ingest([long], store=store, embedder=get_embedder(), progress=True)
    assert report.passages == 260
    err = capsys.readouterr().err
    assert "embedding" in err and "260/260" in err
