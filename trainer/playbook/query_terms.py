"""With a capable model: a question to the playbook read into the playbook's own words before it is searched.

The glossary (glossary.py) translates the everyday phrasings a coach wrote down; a capable model can read any
phrasing ("the rep steamrolled him with dashboards") into the same vocabulary. The model only *chooses* among the
glossary's playbook phrases (an enum in the schema, checked again here), so it can add no word of its own, and the
question is data between random markers, never instructions. A failed or invalid model call adds nothing: the
search runs on the question and the glossary, as offline.
"""

from __future__ import annotations

import secrets
from typing import Any

from trainer.content.prompts import PromptLibrary
from trainer.errors import RunError
from trainer.playbook.glossary import Glossary
from trainer.ports import LLM, Message

MAX_TERMS = 3


class QueryTerms:
    """`terms(question)`: up to MAX_TERMS of the glossary's playbook phrases, as a capable model reads the question."""

    def __init__(self, llm: LLM, prompts: PromptLibrary, glossary: Glossary):
        self.llm = llm
        self.prompts = prompts
        self.vocabulary = list(dict.fromkeys(t.playbook for t in glossary.terms))
        self.problems: list[str] = []  # failed or refused model answers, for review

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "playbook_terms": {
                    "type": "array",
                    "items": {"type": "string", "enum": self.vocabulary},
                    "maxItems": MAX_TERMS,
                }
            },
            "required": ["playbook_terms"],
            "additionalProperties": False,
        }

    def terms(self, question: str) -> list[str]:
        if not self.vocabulary or not question.strip():
            return []
        delimiter = f"<<<QUESTION-{secrets.token_hex(8)}>>>"
        prompt = self.prompts.render(
            "search_terms", terms=self.vocabulary, max_terms=MAX_TERMS, question=question, delimiter=delimiter
        )
        try:
            answer = self.llm.structured([Message("user", prompt)], self.schema(), name="playbook_terms")
        except RunError as exc:
            self.problems.append(f"model read of the question failed: {exc}")
            return []
        known = set(self.vocabulary)
        picked = answer.get("playbook_terms") if isinstance(answer, dict) else None
        out: list[str] = []
        for term in picked if isinstance(picked, list) else []:
            if term in known and term not in out:
                out.append(term)
            elif term not in known:
                self.problems.append(f"not a playbook phrase: {str(term)[:80]!r}")
        return out[:MAX_TERMS]
