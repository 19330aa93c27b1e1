"""Checks on a search before it reaches a store, shared by every store mode: query length, k, the `where` filter."""

from __future__ import annotations

from typing import Any

from trainer.errors import InputError

MAX_QUERY_CHARS = 4000  # twice the longest rep message by default; the model reads ~1,000 characters at most
MAX_K = 50


def check_search(query: str, k: int) -> str:
    """The query, stripped. InputError when it is empty, too long, or k is out of range."""
    if not isinstance(query, str) or not query.strip():
        raise InputError("the search query is empty; type what you are looking for")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(
            f"the search query is {len(query):,} characters; the longest accepted is {MAX_QUERY_CHARS:,} "
            "(search with a sentence or two)"
        )
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K} (got {k})")
    return query.strip()


def normalise_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Chroma-syntax filter. `{"section": "x", "movement": 2}` (several plain keys) becomes an `$and`."""
    if not where:
        return None
    if not isinstance(where, dict):
        raise InputError(f"a filter is a mapping like {{'section': {{'$in': ['objections']}}}}, got {where!r}")
    if len(where) > 1 and not any(key.startswith("$") for key in where):
        return {"$and": [{key: value} for key, value in where.items()]}
    return where
