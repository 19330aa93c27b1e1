"""Citations: playbook passages retrieved for a criterion at a moment of the call, and checked against the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.content.models import Criterion
from trainer.grading.model import Citation, Evidence
from trainer.ports import Passage, PassageSearch, StoreUnavailable


def section_filter(tags: Sequence[str]) -> dict[str, Any]:
    tags = list(dict.fromkeys(tags))
    return {"section": tags[0]} if len(tags) == 1 else {"section": {"$in": tags}}


class Citer:
    """Retrieves passages per criterion. Remembers every id the store returned, so citations can be checked."""

    def __init__(self, store: PassageSearch | None, k: int = 2):
        self.store = store
        self.k = k
        self.returned: dict[str, Passage] = {}
        self.problems: list[str] = []
        self.unavailable = store is None

    def cite(self, criterion: Criterion, evidence: Sequence[Evidence]) -> list[Citation]:
        if self.store is None or self.unavailable:
            return []
        moment = evidence[0].quote if evidence else ""
        query = f"{criterion.citation_query}. {moment}".strip()
        try:
            passages = self.store.search(query, k=self.k, where=section_filter(criterion.grounded_in))
        except StoreUnavailable as exc:
            self.unavailable = True
            self.problems.append(f"vector store unavailable: {exc}")
            return []
        if not passages:
            self.problems.append(
                f"{criterion.id}: no ingested playbook passage in section(s) {', '.join(criterion.grounded_in)}"
            )
        for p in passages:
            self.returned[p.id] = p
        return [Citation(p.id, p.heading_path, p.text) for p in passages]

    def passage(self, passage_id: str) -> Passage | None:
        return self.returned.get(passage_id)

    def search(self, query: str, tags: Sequence[str], k: int = 4) -> list[Passage]:
        """Passages an LLM grader may cite; their ids become citable."""
        if self.store is None or self.unavailable:
            return []
        try:
            passages = self.store.search(query, k=k, where=section_filter(tags))
        except StoreUnavailable as exc:
            self.unavailable = True
            self.problems.append(f"vector store unavailable: {exc}")
            return []
        for p in passages:
            self.returned[p.id] = p
        return passages
