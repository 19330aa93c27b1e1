"""The team's glossary: how reps, coaches and COOs say the playbook's ideas in their own words.

A rep types "she wants to hire more people"; the playbook says "more staff". The small embedding model does not
always see that these are the same idea, and the lexical re-rank sees no shared word. The glossary
(`playbooks/glossary.yaml`, content a coach maintains) maps everyday phrasings to the playbook's terms; a query that
uses one is searched with the playbook's words added to it. Matching is by whole words, stemmed the way the lexical
re-rank stems them, so "hiring" matches a `said` entry "hire" only if both stem alike - write the forms people use.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from trainer.playbook.rerank import stem, word_forms

MAX_PHRASE_WORDS = 6


def phrase_stems(text: str) -> tuple[str, ...]:
    """The words of `text`, lower-cased and stemmed, in order (stop words kept: "won't adopt" needs its "won't")."""
    return tuple(stem(low) for _, low in word_forms(text))


class GlossaryTerm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    playbook: str = Field(min_length=2, description="the playbook's own words for the idea")
    said: list[str] = Field(min_length=1, description="how people say it")

    @field_validator("playbook")
    @classmethod
    def _playbook_words(cls, value: str) -> str:
        if not phrase_stems(value):
            raise ValueError("has no words")
        return value.strip()

    @field_validator("said")
    @classmethod
    def _said_phrases(cls, value: list[str]) -> list[str]:
        out = []
        for phrase in value:
            words = phrase_stems(phrase)
            if not words:
                raise ValueError(f"{phrase!r} has no words")
            if len(words) > MAX_PHRASE_WORDS:
                raise ValueError(f"{phrase!r} is longer than {MAX_PHRASE_WORDS} words")
            out.append(phrase.strip())
        return out

    @model_validator(mode="after")
    def _said_differs(self) -> GlossaryTerm:
        same = [p for p in self.said if phrase_stems(p) == phrase_stems(self.playbook)]
        if same:
            raise ValueError(f"said: {same[0]!r} is the playbook phrase itself")
        return self


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[GlossaryTerm] = Field(default_factory=list)
    # (playbook phrase, its stems, the stems of each everyday form): stemmed once, not at every search
    _stemmed: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = PrivateAttr(default_factory=list)

    @field_validator("terms")
    @classmethod
    def _said_under_one_term(cls, terms: list[GlossaryTerm]) -> list[GlossaryTerm]:
        owner: dict[tuple[str, ...], str] = {}
        for term in terms:
            for phrase in term.said:
                first = owner.setdefault(phrase_stems(phrase), term.playbook)
                if first != term.playbook:
                    raise ValueError(
                        f"{phrase!r} under {term.playbook!r} reads the same as a phrase under {first!r} "
                        "(same words once stemmed); keep it under one term"
                    )
        return terms

    def model_post_init(self, context: Any, /) -> None:
        self._stemmed = [(t.playbook, phrase_stems(t.playbook), [phrase_stems(p) for p in t.said]) for t in self.terms]

    def playbook_terms_in(self, query: str) -> list[str]:
        """The playbook phrases whose everyday forms the query uses, in glossary order, each once, leaving out
        those the query already says in the playbook's words."""
        words = phrase_stems(query)
        present = set(words)
        found: list[str] = []
        for playbook, own, said in self._stemmed:
            if playbook in found or _contains(words, own):
                continue
            if any(phrase[0] in present and _contains(words, phrase) for phrase in said):
                found.append(playbook)
        return found

    def expand(self, query: str) -> str:
        """`query` with the playbook's words for what it says appended; the query itself unchanged when none."""
        extra = self.playbook_terms_in(query)
        return f"{query} ({'; '.join(extra)})" if extra else query


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))
