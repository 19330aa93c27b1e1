"""A light lexical re-rank on top of the embedding search.

The embedding model is small and uncased: "IT will block this" and "it will block this" look the same to it, and a
word the query shares with only one or two passages ("IT", "space", "needle") weighs no more than any other. The
re-rank adds to each candidate's cosine a bonus for the query's *discriminative* words it contains: words (stemmed,
stop words dropped, acronyms kept apart from the pronoun they spell) found in at most a fifth of the candidates. A
word most candidates share ("call", "COO") says nothing about which one is meant and earns nothing.

On top, optionally, soft word matches: the query's words credited for near-synonyms (trainer/playbook/soft_match.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

LEXICAL_WEIGHT = 0.3
SOFT_WEIGHT = 0.4
MAX_SHARED_FRACTION = 0.2

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")
_STOP_TEXT = """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
    for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves just also get got say said
    says tell told"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def word_forms(text: str) -> list[tuple[str, str]]:
    """Each word of `text` as (as written, lower-cased without a possessive 's)."""
    out = []
    for raw in _TOKEN.findall(text):
        raw = raw.replace("’", "'")
        out.append((raw, raw.lower().removesuffix("'s")))
    return out


def _acronym(raw: str) -> bool:
    return len(raw) >= 2 and raw.isupper()


def terms(text: str) -> set[str]:
    """Content words of `text`, lower-cased and stemmed; an all-caps acronym that spells a stop word stays as is."""
    out: set[str] = set()
    for raw, low in word_forms(text):
        if low in _STOP_WORDS:
            if _acronym(raw):
                out.add(raw)
            continue
        out.add(stem(low))
    return out


def content_words(text: str) -> set[str]:
    """Like `terms` but not stemmed (whole words, for the word embeddings of the soft match); 2+ letters."""
    out: set[str] = set()
    for raw, low in word_forms(text):
        if _acronym(raw):
            out.add(raw)
        elif low not in _STOP_WORDS and len(low) >= 2:
            out.add(low)
    return out


def lexical_bonus(query: str, documents: Sequence[str]) -> list[float]:
    """For each document, the share (0..1) of the query's possible discriminative weight that it matches."""
    q = terms(query)
    n = len(documents)
    if not q or n < 2:
        return [0.0] * n
    doc_terms = [terms(d) for d in documents]
    weight: dict[str, float] = {}
    for t in q:
        df = sum(t in d for d in doc_terms)
        if 0 < df <= MAX_SHARED_FRACTION * n:
            weight[t] = math.log(n / df)
    full = len(q) * math.log(n)
    return [sum(w for t, w in weight.items() if t in d) / full for d in doc_terms]


def rerank(
    query: str,
    documents: Sequence[str],
    similarities: Sequence[float],
    soft: Sequence[float] | None = None,
) -> list[tuple[int, float]]:
    """(index, score) best first: cosine similarity + LEXICAL_WEIGHT x lexical bonus + SOFT_WEIGHT x `soft` (the
    soft-match bonus of trainer/playbook/soft_match.py, when given)."""
    bonus = lexical_bonus(query, documents)
    scores = [float(s) + LEXICAL_WEIGHT * b for s, b in zip(similarities, bonus, strict=True)]
    if soft is not None:
        scores = [s + SOFT_WEIGHT * b for s, b in zip(scores, soft, strict=True)]
    return sorted(enumerate(scores), key=lambda x: -x[1])
