"""A linear map, fitted on the team's glossary, that moves a question's embedding toward the playbook's vocabulary.

The glossary adds the playbook's words to a question only when the question uses one of its phrasings word for
word. The map generalises those pairs: a 384 x 384 matrix fitted by ridge regression so that the embedding of each
everyday phrasing ("more bodies", "out of space") lands near the embedding of its playbook phrase ("more staff",
"bottleneck is space"), pulled toward the identity so that what the glossary says nothing about stays
where the model put it. A question is searched with its mapped embedding, so "the director says they physically
don't have enough room" finds the playbook's "our bottleneck is space" although no listed phrasing matches it.

No question set is used to fit it: only the glossary a coach maintains, so a team's own glossary gives its own map.
Fitting embeds every phrasing once (~1 s for ~1,400 phrasings) and is cached per process, model and glossary.
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np

from trainer.playbook.glossary import Glossary
from trainer.ports import Embedder

# How strongly the map is pulled toward the identity (the sum of squared errors over ~1,400 unit-vector pairs
# against RIDGE x the squared distance from the identity). Measured as a plateau: 1-3 gave the same hits.
RIDGE = 3.0


def fit_map(said: np.ndarray, playbook: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """The matrix W minimising |said @ W - playbook|^2 + ridge * |W - I|^2 (rows are paired vectors)."""
    if said.shape != playbook.shape or said.ndim != 2:
        raise ValueError(f"one playbook vector per phrasing (got {said.shape} and {playbook.shape})")
    if ridge <= 0:
        raise ValueError("ridge must be positive")
    identity = np.eye(said.shape[1])
    said64, playbook64 = said.astype(np.float64), playbook.astype(np.float64)
    return np.linalg.solve(said64.T @ said64 + ridge * identity, said64.T @ playbook64 + ridge * identity)


class QueryMap:
    """Applies the fitted matrix to query vectors; with no glossary it is the identity."""

    def __init__(self, matrix: np.ndarray | None = None):
        self.matrix = None if matrix is None else matrix.astype(np.float32)

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """The mapped vectors, L2-normalised (rows)."""
        if self.matrix is None:
            return vectors
        mapped = vectors @ self.matrix
        norms = np.linalg.norm(mapped, axis=1, keepdims=True)
        return (mapped / np.where(norms > 0, norms, 1.0)).astype(np.float32)


_cache: dict[tuple[str, str], QueryMap] = {}
_lock = threading.Lock()


def query_map_for(glossary: Glossary, embedder: Embedder) -> QueryMap:
    """The map of this glossary for this model, fitted on first use and kept for the process."""
    if not glossary.terms:
        return QueryMap()
    key = (embedder.model_id, hashlib.sha256(glossary.model_dump_json().encode()).hexdigest())
    with _lock:  # one fit per glossary even when several searches start at once
        found = _cache.get(key)
        if found is None:
            pairs = [(phrase, term.playbook) for term in glossary.terms for phrase in term.said]
            said = embedder.embed([phrase for phrase, _ in pairs])
            terms = [term.playbook for term in glossary.terms]
            term_vectors = embedder.embed(terms)
            index = {term: i for i, term in enumerate(terms)}
            playbook = term_vectors[[index[term] for _, term in pairs]]
            found = _cache[key] = QueryMap(fit_map(said, playbook))
        return found
