"""Retrieval quality: questions in a rep's and a coach's own words must find the passage a coach would point to, in
the top 3, on both the project's markdown edition and the team's original plain-text playbook.

The pairs were written once, before measuring, and are not tuned to the results. An expected passage is named by
what it is (its section tag, objection id, or a phrase of its text), so the same pair checks both editions.
Measured (MiniLM int8 + the lexical re-rank): 17/19 on each edition. The two misses are the same on both: "the
first thirty seconds of a cold call" does not reach the opening, and "that problem doesn't exist for them" does not
reach "when they don't recognise the issue"; the model does not make those leaps. The issue's goal, 14 of 15
(93 %), is therefore not met by this set: 17 of 19 is 89 %. The test guards the measured level.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT
from trainer.adapters.chroma_store import ChromaPassageStore, open_store
from trainer.adapters.embedder_onnx import get_embedder
from trainer.content.loader import load_content
from trainer.playbook.tags import normalise
from trainer.ports import Passage
from trainer.services import knowledge

MARKDOWN_PLAYBOOK = ROOT / "playbooks" / "coo_phone_outbound.md"

# (query, what the expected passage is): section tag, objection id, words it contains
PAIRS: list[tuple[str, dict[str, str]]] = [
    ("staff won't use another tool", {"objection": "staff_wont_adopt"}),
    ("how do I end the call", {"section": "movement_4", "text": "working session"}),
    ("the COO says they just need more people", {"objection": "more_staff"}),
    ("they told me IT would never sign off on it", {"objection": "it_will_block"}),
    ("he said the real problem is they've run out of floor space", {"objection": "space_bottleneck"}),
    ("she doesn't think it would make a real difference", {"objection": "wont_move_needle"}),
    ("what should I say in the first thirty seconds of a cold call", {"section": "movement_1", "text": "pattern"}),
    ("what if they say that problem doesn't exist for them", {"section": "movement_1", "text": "exit cleanly"}),
    (
        "how do I explain where their team's hours are going without pitching our product",
        {"section": "movement_2"},
    ),
    ("what kind of customer story works as proof", {"section": "movement_3", "text": "before"}),
    ("what do COOs care about most", {"section": "coo_lens", "text": "optimise"}),
    ("what makes operations leaders suspicious of a new solution", {"section": "coo_lens", "text": "wary"}),
    ("calling back a COO whose last project got shelved", {"section": "scenario_c"}),
    ("they already have an efficiency programme running", {"section": "scenario_b"}),
    ("how do I check my own call afterwards", {"section": "quality_check"}),
    ("should I quote percentage savings to prove it works", {"section": "movement_3", "text": "abstract efficiency"}),
    ("the COO keeps pushing back, how do I handle objections", {"section": "objections", "text": "process signals"}),
    ("cold call to a company that is obviously stretched but has never heard of us", {"section": "scenario_a"}),
    ("what question is always on a COO's mind", {"section": "context", "text": "what breaks"}),
]
MIN_HITS = 17  # measured on both editions; see the module docstring for the goal


def is_expected(p: Passage, want: dict[str, Any]) -> bool:
    return all(p.metadata.get(key) == want[key] for key in ("section", "objection") if key in want) and normalise(
        want.get("text", "")
    ) in normalise(f"{p.heading_path} {p.text}")


@pytest.fixture(scope="module", params=[MARKDOWN_PLAYBOOK, ORIGINAL_PLAYBOOK], ids=["markdown", "original-txt"])
def edition(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ChromaPassageStore:
    store = open_store(path=tmp_path_factory.mktemp("kb") / "chroma")
    knowledge.ingest([request.param], store=store, embedder=get_embedder(), progress=False)
    return store


def test_the_pairs_are_enough_and_each_names_a_real_passage(edition: ChromaPassageStore) -> None:
    assert len(PAIRS) >= 15
    everything = edition.search("playbook", k=50)
    for query, want in PAIRS:
        assert any(is_expected(p, want) for p in everything), query


def test_expected_passage_in_the_top_3(edition: ChromaPassageStore) -> None:
    misses = []
    for query, want in PAIRS:
        top = edition.search(query, k=3)
        if not any(is_expected(p, want) for p in top):
            misses.append(f"{query!r} -> {[p.heading_path.split(' > ')[-1] for p in top]}")
    hits = len(PAIRS) - len(misses)
    assert hits >= MIN_HITS, f"{hits}/{len(PAIRS)} in the top 3; misses:\n" + "\n".join(misses)


def test_every_rubric_criterion_finds_citations_in_its_own_sections(edition: ChromaPassageStore) -> None:
    rubric = load_content(ROOT).rubric("coo_quality_check")
    for criterion in rubric.all_criteria():
        cited = knowledge.cite(edition, criterion.citation_query, criterion.grounded_in, k=2)
        assert len(cited) == 2, criterion.id
        assert {p.metadata["section"] for p in cited} <= set(criterion.grounded_in), criterion.id
