"""Retrieval quality: questions in a rep's and a coach's own words must find the passage a coach would point to, in
the top 3, on both the project's markdown edition and the team's original plain-text playbook.

Seven sets of pairs, each written once, before measuring, and not tuned to the results. An expected passage is named
by what it is (its section tag, objection id, or a phrase of its text), so the same pair checks both editions.
- PAIRS (19): the first set. The search was then improved on it *and* checked on the second set.
- tests/data/retrieval_heldout.yaml (29): a held-out set covering every part of the playbook, committed before any
  change to the search, phrased further from the playbook's words.
- tests/data/retrieval_blind.yaml (30): written by a separate helper from the playbook alone, blind to the search,
  the other sets and every result; measured once before and once after the glossary, and nothing changed after.
  The glossary (playbooks/glossary.yaml) was written by another helper, also without seeing any set or search.
- tests/data/retrieval_blind2.yaml (30): written the same way after every change above was done (new reps, managers
  describing what went wrong on a recorded call, COO quotes), committed and then measured once, without and with
  the glossary.
- tests/data/retrieval_blind3.yaml (30): written the same way (coaches preparing drills, reps before and after a
  call, COOs and managers describing a call), committed, measured once before and once after a second, larger
  glossary (written by another helper blind to every set). It is the fairest figure here: nothing was changed after
  reading it. (The first and held-out sets are not: the brief for the second glossary named a few question forms,
  "first thirty seconds", "what am I trying to get out of", that those sets use.)
- tests/data/retrieval_blind4.yaml (30): written the same way after everything above (new reps, reps who just hung
  up, team leads' feedback, COOs' side), committed and measured before and after a third glossary round, which was
  not kept (it changed nothing in total and lost one hit here).
- tests/data/retrieval_blind5.yaml (30): written the same way (managers reading a graded call, reps preparing a
  call, coaches writing drills, COO quotes), committed, then measured once before and once after the query map
  (trainer/playbook/query_map.py), whose settings were chosen on the six sets above. Never read.
  (While looking for the map, the misses of the six sets above, blind3 and blind4 included, were printed once:
  they are read sets now.)

Measured, top 3 (MiniLM int8 + the team's glossary (103 terms) and the query map fitted on it + lexical re-rank +
soft word matches); in brackets before the query map, and with the first glossary:
  first set     markdown 19/19, original .txt 18/19  (18 and 18; first glossary 18 and 17)
  held-out set  markdown 25/29, original .txt 21/29  (21 and 20; first glossary 20 and 19)
  blind set     markdown 25/30, original .txt 25/30  (22 and 25; first glossary the same)
  blind2 set    markdown 21/30, original .txt 19/30  (20 and 18; first glossary 18 and 17)
  blind3 set    markdown 22/30, original .txt 21/30  (18 and 17; first glossary 16 and 15)
  blind4 set    markdown 24/30, original .txt 25/30  (22 and 20)
  blind5 set    markdown 22/30, original .txt 19/30  (20 and 15)
All 198 questions on both editions: 306/396 = 77 % (before the map 274/396 = 69 %); blind5, never read: 41/60 = 68 %.
The issue's goal (>= 93 %) is met on the first set (the kind of set the issue asks for), not on the stricter ones.
Typical misses left: questions where every word is common in the playbook ("how do I end the call with a COO"), and
descriptions of a call that name none of the playbook's ideas. The thresholds below are the measured levels, so a
change that loses a hit fails here.
Tried and dropped before the glossary (on the first two sets): a section prior from the move catalogue, section
score aggregation, BM25 fusion, other embedding texts, hubness correction, pseudo-relevance feedback (see the
issue notes); hubness correction again with the second glossary (on the six sets: +-6 of 336, noise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT
from trainer.adapters import chroma_store
from trainer.adapters.chroma_store import ChromaPassageStore, open_store
from trainer.adapters.embedder_onnx import get_embedder
from trainer.content.loader import load_content
from trainer.playbook.query_map import QueryMap
from trainer.playbook.soft_match import WordVectors, soft_bonus
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


def _pairs(name: str) -> list[tuple[str, dict[str, str]]]:
    data = yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))
    return [(pair["query"], pair["expect"]) for pair in data["pairs"]]


HELD_OUT = _pairs("retrieval_heldout.yaml")
SETS = {
    "first": PAIRS,
    "held-out": HELD_OUT,
    "blind": _pairs("retrieval_blind.yaml"),
    "blind2": _pairs("retrieval_blind2.yaml"),
    "blind3": _pairs("retrieval_blind3.yaml"),
    "blind4": _pairs("retrieval_blind4.yaml"),
    "blind5": _pairs("retrieval_blind5.yaml"),
}
# measured hits in the top 3 per set: (markdown edition, original .txt); see the module docstring for the goal
MIN_HITS = {
    "first": (19, 18),
    "held-out": (25, 21),
    "blind": (25, 25),
    "blind2": (21, 19),
    "blind3": (22, 21),
    "blind4": (24, 25),
    "blind5": (22, 19),
}
EDITIONS = {"markdown": MARKDOWN_PLAYBOOK, "original-txt": ORIGINAL_PLAYBOOK}


def is_expected(p: Passage, want: dict[str, Any]) -> bool:
    return all(p.metadata.get(key) == want[key] for key in ("section", "objection") if key in want) and normalise(
        want.get("text", "")
    ) in normalise(f"{p.heading_path} {p.text}")


@pytest.fixture(scope="module", params=list(EDITIONS))
def edition(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ChromaPassageStore]:
    store = open_store(path=tmp_path_factory.mktemp("kb") / "chroma", glossary=load_content(ROOT).glossary)
    knowledge.ingest([EDITIONS[request.param]], store=store, embedder=get_embedder(), progress=False)
    return request.param, store


@pytest.mark.parametrize("set_name", list(SETS))
def test_the_pairs_are_enough_and_each_names_a_real_passage(
    edition: tuple[str, ChromaPassageStore], set_name: str
) -> None:
    _, store = edition
    pairs = SETS[set_name]
    assert len(pairs) >= 15
    assert len({q for q, _ in pairs}) == len(pairs)
    everything = store.search("playbook", k=50)
    for query, want in pairs:
        assert any(is_expected(p, want) for p in everything), query


def test_the_held_out_queries_are_new() -> None:
    seen: set[str] = set()
    for name, pairs in SETS.items():
        queries = {q.lower() for q, _ in pairs}
        assert not queries & seen, (name, sorted(queries & seen))
        seen |= queries


def test_the_glossary_finds_what_the_embedding_alone_misses(tmp_path: Path) -> None:
    """Over every set on the markdown edition, the team's glossary (its words and the map fitted on it) must gain
    hits and lose almost none (measured: 107 -> 158 of 198, 55 gained, 4 lost)."""
    plain = open_store(path=tmp_path / "plain")
    knowledge.ingest([MARKDOWN_PLAYBOOK], store=plain, embedder=get_embedder(), progress=False)
    with_glossary = open_store(path=tmp_path / "plain", glossary=load_content(ROOT).glossary)
    pairs = [pair for pairs in SETS.values() for pair in pairs]
    hit_plain = {q for q, want in pairs if any(is_expected(p, want) for p in plain.search(q, k=3))}
    hit_glossary = {q for q, want in pairs if any(is_expected(p, want) for p in with_glossary.search(q, k=3))}
    assert len(hit_glossary - hit_plain) >= 50, sorted(hit_glossary - hit_plain)
    assert len(hit_plain - hit_glossary) <= 4, sorted(hit_plain - hit_glossary)


def test_the_query_map_finds_what_the_glossary_words_alone_miss(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Over every set on the markdown edition, the map fitted on the glossary must gain hits over the glossary's
    exact phrasings alone and lose few (measured: 21 gained, 4 lost of 198)."""
    store = open_store(path=tmp_path / "kb", glossary=load_content(ROOT).glossary)
    knowledge.ingest([MARKDOWN_PLAYBOOK], store=store, embedder=get_embedder(), progress=False)
    pairs = [pair for pairs in SETS.values() for pair in pairs]

    def hits() -> set[str]:
        return {q for q, want in pairs if any(is_expected(p, want) for p in store.search(q, k=3))}

    with_map = hits()
    monkeypatch.setattr(chroma_store, "query_map_for", lambda glossary, embedder: QueryMap())
    words_only = hits()
    assert len(with_map - words_only) >= 18, sorted(with_map - words_only)
    assert len(words_only - with_map) <= 6, sorted(words_only - with_map)


@pytest.mark.parametrize("set_name", list(SETS))
def test_expected_passage_in_the_top_3(edition: tuple[str, ChromaPassageStore], set_name: str) -> None:
    edition_name, store = edition
    pairs = SETS[set_name]
    misses = []
    for query, want in pairs:
        top = store.search(query, k=3)
        if not any(is_expected(p, want) for p in top):
            misses.append(f"{query!r} -> {[p.heading_path.split(' > ')[-1] for p in top]}")
    hits = len(pairs) - len(misses)
    assert hits >= dict(zip(EDITIONS, MIN_HITS[set_name], strict=True))[edition_name], (
        f"{set_name} set on {edition_name}: {hits}/{len(pairs)} in the top 3; misses:\n" + "\n".join(misses)
    )


def test_every_rubric_criterion_finds_citations_in_its_own_sections(edition: tuple[str, ChromaPassageStore]) -> None:
    _, store = edition
    rubric = load_content(ROOT).rubric("coo_quality_check")
    for criterion in rubric.all_criteria():
        cited = knowledge.cite(store, criterion.citation_query, criterion.grounded_in, k=2)
        assert len(cited) == 2, criterion.id
        assert {p.metadata["section"] for p in cited} <= set(criterion.grounded_in), criterion.id


def test_soft_matches_credit_a_near_synonym_and_leave_shared_words_to_the_lexical_re_rank() -> None:
    documents = [
        "The project paused because of cost.",
        "Staff are busy but output is flat.",
        "Propose a working session and make it optional.",
        "Growth is stretching processes that used to cope.",
        "Fear of disruption, not rejection.",
        "Theory that has no process reality behind it.",
    ]
    words = WordVectors(get_embedder())
    bonus = soft_bonus("their budget ran out", documents, words)
    assert max(range(len(documents)), key=bonus.__getitem__) == 0
    assert soft_bonus("the project paused", documents, words)[0] == 0.0  # equal words: the lexical re-rank's job
