"""Soft word matches: credit a passage for words *close in meaning* to the query's words, not only equal to them.

A rep says "hiring", "budget", "overhaul", "start of the call"; the playbook says "staff", "cost", "redesign",
"opening". The sentence vector of a short query often misses such a swap, and the lexical re-rank sees no shared
word. Here each content word of the query is compared with each content word of the candidates, by the project's
own MiniLM model (a word embedded alone); a pair at least `MIN_WORD_SIMILARITY` alike counts as a soft match,
weighted like the lexical re-rank by how rare the passage's word is among the candidates. Words equal to a query
word (or sharing its stem) are left to the lexical re-rank. No word list is written by hand: the synonyms come
from the model, the vocabulary from the stored passages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from trainer.playbook.rerank import MAX_SHARED_FRACTION, content_words, stem
from trainer.ports import Embedder

MIN_WORD_SIMILARITY = 0.6
MAX_CACHED_WORDS = 50_000


class WordVectors:
    """Word embeddings by the sentence model, cached in memory: a playbook's vocabulary is embedded once."""

    def __init__(self, embedder: Embedder, max_words: int = MAX_CACHED_WORDS):
        self._embedder = embedder
        self._max_words = max_words
        self._cache: dict[str, np.ndarray] = {}

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per word; the words not seen before are embedded in one batch."""
        if not words:
            return np.zeros((0, self._embedder.dim), dtype=np.float32)
        # a snapshot: another thread may clear the cache meanwhile
        found = {w: v for w in words if (v := self._cache.get(w)) is not None}
        missing = [w for w in dict.fromkeys(words) if w not in found]
        if missing:
            fresh = dict(zip(missing, self._embedder.embed(missing), strict=True))
            if len(self._cache) + len(fresh) > self._max_words:
                self._cache.clear()
            self._cache.update(fresh)
            found.update(fresh)
        return np.stack([found[w] for w in words])


def soft_bonus(query: str, documents: Sequence[str], words: WordVectors) -> list[float]:
    """For each document, the share (0..1) of the query's possible weight that its near-synonyms match."""
    n = len(documents)
    query_words = sorted(content_words(query))
    if not query_words or n < 2:
        return [0.0] * n
    doc_words = [content_words(d) for d in documents]
    vocab = sorted(set().union(*doc_words))
    if not vocab:
        return [0.0] * n
    df = np.array([sum(v in d for d in doc_words) for v in vocab], dtype=np.float32)
    idf = np.where(df <= MAX_SHARED_FRACTION * n, np.log(n / df), 0.0)
    sim = words.vectors(query_words) @ words.vectors(vocab).T  # query words x vocabulary
    same_stem = np.array([[stem(q) == stem(v) for v in vocab] for q in query_words])
    weight = np.where((sim >= MIN_WORD_SIMILARITY) & ~same_stem, sim * idf, 0.0)
    index = {v: j for j, v in enumerate(vocab)}
    has_word = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, d in enumerate(doc_words):
        has_word[i, [index[v] for v in d]] = 1.0
    best = (has_word[:, None, :] * weight[None, :, :]).max(axis=2)  # documents x query words
    full = len(query_words) * math.log(n)
    return [float(b) for b in best.sum(axis=1) / full]
