"""The offline embedder: one per process, unit vectors, batching that does not change results, and the chromadb and
LangChain views giving the same vectors."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.adapters.embedder_onnx import ChromaMiniLM, LangChainMiniLM, get_embedder
from trainer.errors import InputError
from trainer.ports import Embedder
from trainer.settings import get_settings
from trainer.wiring import build_embedder


def test_one_embedder_per_process_behind_the_wiring() -> None:
    e = build_embedder(get_settings())
    assert e is get_embedder() is build_embedder(get_settings())
    assert isinstance(e, Embedder)
    assert (e.model_id, e.dim) == ("all-MiniLM-L6-v2-int8", 384)


def test_unit_float32_rows_in_input_order() -> None:
    e = get_embedder()
    texts = ["We need more staff", "", "a " * 2000, "Propose a short working session to map the process."]
    v = e.embed(texts)
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(v[0], e.embed(["We need more staff"])[0], atol=1e-5)
    assert e.embed([]).shape == (0, 384)
    with pytest.raises(InputError):
        e.embed("a single string")  # type: ignore[arg-type]


def test_padding_in_a_batch_does_not_change_a_vector() -> None:
    e = get_embedder()
    short = "Staff won't adopt it"
    alone = e.embed([short])[0]
    batch = e.embed([short, "A much longer sentence " * 20, "another"])
    assert float(alone @ batch[0]) > 0.9999


def test_meaning_is_captured() -> None:
    e = get_embedder()
    q, near, far = e.embed(["the COO says they just need more people", "We need more staff", "Clarity beats momentum"])
    assert float(q @ near) > float(q @ far) + 0.2


def test_chroma_and_langchain_views_give_the_same_vectors() -> None:
    texts = ["IT will block this", "Our bottleneck is space"]
    direct = get_embedder().embed(texts)
    chroma = np.array(ChromaMiniLM()(texts))
    lc = LangChainMiniLM()
    assert np.allclose(direct, chroma, atol=1e-6)
    assert np.allclose(direct, np.array(lc.embed_documents(texts)), atol=1e-6)
    assert np.allclose(direct[0], np.array(lc.embed_query(texts[0])), atol=1e-6)
    assert ChromaMiniLM.build_from_config(ChromaMiniLM().get_config()).name() == "trainer-minilm-int8"
