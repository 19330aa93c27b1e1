"""The signal grader: reproducible scores a coach agrees with, the rep's own words as evidence, checked citations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CALIBRATION_DIR, ROOT
from trainer.content.loader import load_transcript, parse_transcript
from trainer.errors import InputError, NotFoundError
from trainer.grading.calibration import quadratic_weighted_kappa, spearman
from trainer.grading.render import OUTCOME_WORDS, grade_markdown
from trainer.ports import Passage, StoreUnavailable
from trainer.services.grading import GradingService
from trainer.settings import get_settings

LABELLED = ROOT / "tests" / "data" / "labelled"
# written later by two more coach-helpers who never saw the rules (measured before any rule change, see the notes)
HELDOUT = ROOT / "tests" / "data" / "heldout"
HELDOUT2 = ROOT / "tests" / "data" / "heldout2"
# written by ten more coach-helpers from the calibration README's anchors and the playbook only, blind to the
# rules, the move catalogue and every other set, each committed before it was measured. BLIND to BLIND4 were then
# read to improve the rules, one after the other; BLIND5 has never been read (measured before and after BLIND4's round).
BLIND = ROOT / "tests" / "data" / "labelled_blind"
BLIND2 = ROOT / "tests" / "data" / "labelled_blind2"
BLIND3 = ROOT / "tests" / "data" / "labelled_blind3"
BLIND4 = ROOT / "tests" / "data" / "labelled_blind4"
BLIND5 = ROOT / "tests" / "data" / "labelled_blind5"


class PlaybookStub:
    """A tiny PassageSearch over the real playbook's sections (section tags like the ingested store)."""

    def __init__(self, sections: dict[str, str] | None = None, down: bool = False):
        self.sections = sections if sections is not None else {
            "coo_lens": "COOs optimise for throughput and flow, speed to impact with minimal disruption.",
            "movement_1": "Effective openings reference a recognisable operational pattern and ask permission.",
            "movement_2": "Describe where time is being lost; contrast fast relief with full redesign.",
            "movement_3": "Good proof shows before/after flow, references staff behaviour and includes a timeline.",
            "movement_4": "Propose a working session, specify what will be mapped, make it optional.",
            "objections": "Treat objections as process signals, not pushback.",
        }  # fmt: skip
        self.down = down
        self.searches: list[dict[str, Any]] = []

    def _passages(self) -> list[Passage]:
        return [Passage(f"p-{tag}", f"Playbook > {tag}", text, {"section": tag}) for tag, text in self.sections.items()]

    def search(self, query: str, k: int = 3, where: dict[str, Any] | None = None) -> list[Passage]:
        if self.down:
            raise StoreUnavailable("connection refused")
        self.searches.append({"query": query, "where": where})
        wanted = where["section"] if where else None
        tags = set(wanted["$in"]) if isinstance(wanted, dict) else {wanted} if wanted else None
        return [p for p in self._passages() if tags is None or p.metadata["section"] in tags][:k]

    def get(self, ids: list[str]) -> list[Passage]:
        return [p for p in self._passages() if p.id in ids]

    def count(self) -> int:
        return len(self.sections)


@pytest.fixture
def grading(content, embedder):  # type: ignore[no-untyped-def]
    return GradingService(get_settings(), content=content, embedder=embedder, store=PlaybookStub())


def _calls(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def test_agrees_with_the_coach_on_every_labelled_call(grading) -> None:  # type: ignore[no-untyped-def]
    report = grading.evaluate(CALIBRATION_DIR)
    for folder in (LABELLED, HELDOUT, HELDOUT2):
        report.calls += grading.evaluate(folder).calls
    m = report.metrics()
    assert m["calls"] >= 6 and m["failed"] == 0
    assert m["overall"]["within_1"] >= 0.9, m["disagreements"]
    assert m["overall"]["qwk"] >= 0.75, m["criteria"]
    assert m["overall"]["spearman_totals"] >= 0.9
    assert m["verified_quotes"] == 1.0
    assert m["resolvable_citations"] == 1.0
    assert m["injection_twins"] and all(t["identical"] for t in m["injection_twins"]), m["injection_twins"]


def test_agrees_with_coaches_on_calls_written_blind_to_the_rules(grading) -> None:  # type: ignore[no-untyped-def]
    """120 calls nobody tuned the rules to when they were written (see BLIND above). The fairest figures are those of
    the set never read: BLIND5, exact 61.5 %, within one 95.8 %, QWK 0.75 (unchanged by the round read from BLIND4,
    which lifted BLIND4 from 66.7 to 75.0 %). The floors are the measured levels (all 120: exact 76.7 %, within one
    97.5 %, QWK 0.85)."""
    report = grading.evaluate(BLIND)
    for folder in (BLIND2, BLIND3, BLIND4, BLIND5):
        report.calls += grading.evaluate(folder).calls
    m = report.metrics()
    assert m["calls"] == 120 and m["failed"] == 0
    assert m["overall"]["within_1"] >= 0.97, m["disagreements"]
    assert m["overall"]["exact"] >= 0.76, m["criteria"]
    assert m["overall"]["qwk"] >= 0.84, m["criteria"]
    assert m["overall"]["spearman_totals"] >= 0.92
    assert m["verified_quotes"] == 1.0
    assert len(m["injection_twins"]) == 12 and all(t["identical"] for t in m["injection_twins"]), m["injection_twins"]
    unseen = grading.evaluate(BLIND5).metrics()["overall"]
    assert unseen["within_1"] >= 0.95 and unseen["exact"] >= 0.61 and unseen["qwk"] >= 0.74, unseen


def test_same_transcript_same_grade(grading) -> None:  # type: ignore[no-untyped-def]
    t = load_transcript(CALIBRATION_DIR / "c05_abstract_proof_good_close.json")
    a, b = grading.grade(t).to_dict(), grading.grade(t).to_dict()
    assert a == b


def test_json_shape_and_evidence_is_the_reps_own_words(grading) -> None:  # type: ignore[no-untyped-def]
    t = load_transcript(CALIBRATION_DIR / "c01_strong_active_ops.json")
    g = json.loads(json.dumps(grading.grade(t).to_dict()))
    assert {"criteria", "total", "status", "grader", "rubric_version"} <= set(g)
    assert [c["id"] for c in g["criteria"]] == ["operational_terms", "real_constraint", "disruption_risk", "clarity"]
    assert g["status"] == "ok" and g["grader"] == "signal" and g["total"] == 12
    for c in g["criteria"]:
        assert {"id", "score", "max", "rationale", "evidence", "citations"} <= set(c)
        assert c["citations"], c["id"]
        for cit in c["citations"]:
            assert {"passage_id", "heading_path", "text"} <= set(cit)
        for e in c["evidence"]:
            assert t.turns[e["turn"]].speaker == "rep"
            assert e["quote"] in t.turns[e["turn"]].text
    assert {m["id"]: m["reached"] for m in g["movements"]} == {f"movement_{i}": True for i in range(1, 5)}
    assert {o["id"] for o in g["objections"]} >= {"more_staff", "staff_wont_adopt"}
    assert 2 <= len(g["suggestions"]) <= 3 or g["total"] == 12
    assert g["hashes"]["transcript"] and g["hashes"]["rubric"] and g["rubric_id"] == "coo_quality_check"


def test_weak_call_gets_grounded_suggestions_and_markdown(grading) -> None:  # type: ignore[no-untyped-def]
    t = load_transcript(CALIBRATION_DIR / "c02_tool_pitch_long_rollout.json")
    grade = grading.grade(t)
    assert grade.total is not None and grade.total <= 2
    assert 2 <= len(grade.suggestions) <= 3
    assert all(s.citation is not None for s in grade.suggestions)
    md = grade_markdown(grade)
    for needle in ("## Quality check", "## The four movements", "## Next time, try", "Objections met", "> turn 3"):
        assert needle in md, needle
    assert f"outcome: {OUTCOME_WORDS[grade.outcome]} -" in md and "_" not in OUTCOME_WORDS[grade.outcome]
    assert md.index("## Next time, try") < md.index("## Quality check")  # what to do next comes first
    cited = next(cit for c in grade.criteria for cit in c.citations)
    assert f"(`{cited.passage_id}`)" in md  # the command line keeps the ids a coach can look up


def test_injected_instructions_change_nothing(grading) -> None:  # type: ignore[no-untyped-def]
    a = grading.grade(load_transcript(CALIBRATION_DIR / "c02_tool_pitch_long_rollout.json"))
    b = grading.grade(load_transcript(CALIBRATION_DIR / "c06_injection_tool_pitch.json"))
    assert [(c.id, c.score) for c in a.criteria] == [(c.id, c.score) for c in b.criteria]
    injected = "Grader instructions update"
    assert all(injected not in e.quote for c in b.criteria for e in c.evidence)


def test_only_rep_turns_earn_points(grading) -> None:  # type: ignore[no-untyped-def]
    base = json.loads((CALIBRATION_DIR / "c03_good_middle_no_close.json").read_text())
    louder = json.loads(json.dumps(base))
    louder["turns"][-2]["text"] = (
        "Let's book a one-hour working session Thursday with you and your lead to map the week."
    )
    a = grading.grade(parse_transcript(base))
    b = grading.grade(parse_transcript(louder))
    assert a.score("clarity") == b.score("clarity")  # the COO proposing a session earns the rep nothing


def _turns(*lines: str) -> Any:
    """A transcript from alternating lines, the COO first."""
    return parse_transcript({"turns": [{"speaker": ("coo", "rep")[i % 2], "text": t} for i, t in enumerate(lines)]})


CONFIRMED = (
    "Sam Reid.",
    "Hi Sam, Jo from Benchline. Labs where the analysts are flat out but results don't come out any faster. You?",
    "Somewhat.",
    "Where does a batch wait longest, on the bench or for the sign-off?",
    "For the sign-off. Batches sit two days waiting for the senior chemist, and I've been told to hire two analysts.",
    "So it's not analyst numbers, it's the sign-off queue.",
)


def test_a_doubt_about_the_fix_does_not_take_back_a_confirmed_constraint(grading) -> None:  # type: ignore[no-untyped-def]
    confirmed = grading.grade(_turns(*CONFIRMED, "Yeah, that's fair."))
    assert confirmed.score("real_constraint") == 3
    # the COO doubts the value of fixing it, or the rollout the rep pitches: where the time goes still stands
    needle = grading.grade(_turns(*CONFIRMED, "Yeah, that's fair, though maybe it won't move the needle."))
    assert needle.score("real_constraint") == 3
    rollout = grading.grade(
        _turns(
            *CONFIRMED,
            "Yeah, that's fair.",
            "So the sign-off queue is where the days go. We'd switch all twelve labs onto our platform next month, "
            "new screens for every analyst.",
            "All twelve at once? I'm not sure about that.",
        )
    )
    assert rollout.score("real_constraint") == 3
    # but a doubt about the constraint itself does
    doubted = grading.grade(_turns(*CONFIRMED, "Maybe. I'm not sure that's where the time goes."))
    assert doubted.score("real_constraint") == 2


def test_next_time_suggestions_put_no_words_in_the_reps_mouth(grading) -> None:  # type: ignore[no-untyped-def]
    """A suggestion quotes nothing the rep did not say: any quoted words in it stand verbatim in a rep turn."""
    calls = sorted(CALIBRATION_DIR.glob("*.json")) + sorted((ROOT / "tests" / "data" / "labelled").glob("*.json"))
    quoted = re.compile(r"[\"“‘]([^\"”’]{4,})[\"”’]|(?<![A-Za-z])'(.{4,}?)'(?![A-Za-z])")
    seen = 0
    for path in calls:
        transcript = load_transcript(path)
        said = " ".join(t.text for t in transcript.turns if t.speaker == "rep")
        for suggestion in grading.grade(transcript).suggestions:
            seen += 1
            for match in quoted.finditer(suggestion.text):
                words = match.group(1) or match.group(2)
                assert words in said, (path.name, suggestion.text)
    assert seen >= 2 * len(calls)


def test_a_before_and_after_with_a_timeline_is_proof_and_a_full_transformation_is_disruptive(grading) -> None:  # type: ignore[no-untyped-def]
    opener = "Hi Dana, Rita from Flowline. We see DCs where trucks queue at the doors while the team is flat out. You?"
    story = (
        "One example: a 3PL with two DCs had trailers waiting about three hours at the doors. Within six weeks of "
        "moving check-in admin off the dock, waiting dropped to under an hour."
    )
    proof = grading.grade(_turns("Dana Okafor.", opener, "Yes, mornings are bad.", story, "Okay."))
    assert {m.title: m.reached for m in proof.movements}["Proof as operational validation"]
    pitch = "Hi Dana, Rita from Flowline. It's a full digital transformation of your warehouse, all on our platform."
    assert grading.grade(_turns("Dana Okafor.", pitch, "Who is this?")).score("disruption_risk") == 1


def test_a_loose_next_step_says_what_it_lacks(grading) -> None:  # type: ignore[no-untyped-def]
    opener = "Hi Dana, Rita from Flowline. We see DCs where trucks queue at the doors while the team is flat out. You?"
    close = "If it's worth exploring, the next step is a working session to map the receiving process."
    call = grading.grade(_turns("Dana Okafor.", opener, "Yes, mornings are bad.", close, "Yes, let's do it."))
    clarity = next(c for c in call.criteria if c.id == "clarity")
    assert clarity.score == 2 and clarity.rationale.endswith("it does not say who or when.")  # what it did say


def test_the_coo_granting_two_minutes_confirms_no_constraint(grading) -> None:  # type: ignore[no-untyped-def]
    opener = "Hi Dana, it's Rita from Flowline. Worth a quick check whether trucks are queuing at your inbound doors?"
    granted = grading.grade(_turns("Dana Okafor.", opener, "Go on. You've got two minutes."))
    assert granted.score("real_constraint") < 3  # time given to the rep is not time lost in the operation
    described = grading.grade(_turns("Dana Okafor.", opener, "Most mornings, yes. Two hours at the doors, easily."))
    assert described.score("real_constraint") == 3


@pytest.mark.parametrize(
    "turns, message",
    [([], "no turns"), ([{"speaker": "coo", "text": "Hello?"}], "no rep turns")],
)
def test_bad_transcripts_are_refused(grading, turns, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as exc:
        grading.grade(parse_transcript({"turns": turns}))
    assert message in str(exc.value)


def test_long_call_is_graded(grading) -> None:  # type: ignore[no-untyped-def]
    base = load_transcript(CALIBRATION_DIR / "c01_strong_active_ops.json").turns
    turns = [t.model_dump() for _ in range(25) for t in base[:12]]
    grade = grading.grade(parse_transcript({"turns": turns[:300]}))
    assert grade.status == "ok" and grade.total is not None


def test_unknown_rubric(grading) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError) as exc:
        grading.grade(load_transcript(CALIBRATION_DIR / "c01_strong_active_ops.json"), "nope")
    assert "coo_quality_check" in str(exc.value)


def test_store_down_or_sections_missing_degrade_the_grade(content, embedder) -> None:  # type: ignore[no-untyped-def]
    t = load_transcript(CALIBRATION_DIR / "c01_strong_active_ops.json")
    down = GradingService(get_settings(), content=content, embedder=embedder, store=PlaybookStub(down=True)).grade(t)
    assert down.status == "degraded" and "unavailable" in (down.reason or "")
    assert down.total == 12  # scores stand; only the citations are missing
    partial = GradingService(
        get_settings(),
        content=content,
        embedder=embedder,
        store=PlaybookStub({"movement_2": "Describe where time is lost."}),
    ).grade(t)
    assert partial.status == "degraded"
    assert any("clarity" in n and "no ingested playbook passage" in n for n in partial.notes)
    assert partial.criteria[1].citations  # real_constraint is grounded in movement_2, which is there


def test_kappa_and_spearman() -> None:
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3]) == 1.0
    assert quadratic_weighted_kappa([0, 0, 3, 3], [3, 3, 0, 0]) < 0
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
