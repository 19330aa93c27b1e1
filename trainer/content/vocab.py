"""Closed vocabularies shared by content files, the understanding layer, the COO engine and the grader.

They come from the playbook: its three scenarios, its objection table, the four movements of the call spine and
the quality check. Content files may only use these ids, so a typo in a persona fails on load, not mid-call.
"""

from __future__ import annotations

from typing import Literal, get_args

ScenarioId = Literal["A", "B", "C"]
Difficulty = Literal["easy", "standard", "hard"]

SCENARIO_TITLES: dict[str, str] = {
    "A": "Capacity or bottleneck pressure (cold but relevant)",
    "B": "Active operations improvement",
    "C": "Re-engaging after a stalled ops discussion",
}

# The playbook's objection table: what the COO says -> what it usually signals.
ObjectionId = Literal["more_staff", "it_will_block", "space_bottleneck", "staff_wont_adopt", "wont_move_needle"]
OBJECTION_SIGNALS: dict[str, tuple[str, str]] = {
    "more_staff": ("We need more staff", "Process inefficiency not yet visible"),
    "it_will_block": ("IT will block this", "Fear of disruption, not rejection"),
    "space_bottleneck": ("Our bottleneck is space", "Waiting vs processing conflated"),
    "staff_wont_adopt": ("Staff won't adopt it", "Past change fatigue"),
    "wont_move_needle": ("This won't move the needle", "Impact not quantified in flow terms"),
}

# Playbook moves a rep turn can make. Read by the understanding layer, used by the COO engine and the grader.
MoveId = Literal[
    "relevance_check",  # opens on a recognisable operational pattern
    "permission_ask",  # asks for time / permission to sanity-check
    "constraint_framing",  # describes where time is lost: admin, waiting, handoffs
    "symptom_vs_constraint",  # tells the constraint apart from the symptom (staff count, space)
    "flow_question",  # asks about the COO's own flow, numbers, where the week goes
    "relief_vs_redesign",  # contrasts fast relief with a full redesign; offers a choice
    "grounded_proof",  # one concrete example: before/after flow, staff behaviour, timeline
    "abstract_claim",  # bare %, ROI, efficiency metric without flow
    "feature_pitch",  # product, platform, modules, integrations, AI
    "jargon",  # theory, buzzwords, consultant talk
    "objection_acknowledged",  # takes the objection as a process signal
    "objection_dismissed",  # argues with or brushes off the objection
    "disruption_reassurance",  # small start, no new steps or screens, a stop condition
    "disruptive_proposal",  # long rollout, replace systems, transformation team
    "specific_close",  # working session: who, when, what is mapped; optional
    "vague_close",  # send info, call later, demo push, another call with someone senior
    "clean_exit",  # acknowledges it is not relevant and leaves cleanly
    "sign_off",  # says goodbye (thanks for your time, speak soon) - with or without a decision
    "off_role",  # tries to make the COO leave its role, or talks to the system, not the COO
]

# What the simulated COO can do on its turn. The engine picks one; the voice phrases it.
CooAct = Literal[
    "greet",  # answers the phone (the scenario's opening line)
    "ask_purpose",  # who is this, what is this about
    "grant_time",  # gives the rep a couple of minutes
    "answer",  # answers or engages without giving away a fact
    "reveal_fact",  # tells a hidden operational fact the rep has earned
    "raise_objection",  # raises one of the objections it holds
    "push_back_theory",  # pushes back on theory, pitch or abstract claims
    "test_claim",  # tests a claim: where is that number from, what does it mean for my staff
    "ask_next_step",  # invites the close: what's the ask
    "accept_session",  # agrees a working session
    "defer",  # send me an email, call me next quarter
    "not_relevant",  # confirms the issue is not theirs
    "acknowledge_exit",  # thanks the rep for a clean exit
    "redirect_role",  # stays in character when the rep tries to make it leave its role
    "end_call",  # ends the call
]
# Acts whose words come from elsewhere than the voice lines (the scenario's opening line, a fact, an objection).
ACTS_WITH_OWN_TEXT: frozenset[str] = frozenset({"greet", "reveal_fact", "raise_objection"})

# Section tags of the playbook; passages carry one, rubric criteria name the ones they are grounded in.
SectionTag = Literal[
    "context",
    "scenarios",
    "scenario_a",
    "scenario_b",
    "scenario_c",
    "coo_lens",
    "spine",
    "movement_1",
    "movement_2",
    "movement_3",
    "movement_4",
    "objections",
    "quality_check",
]

QUALITY_CRITERIA: tuple[str, ...] = ("operational_terms", "real_constraint", "disruption_risk", "clarity")

SCENARIOS: tuple[str, ...] = get_args(ScenarioId)
DIFFICULTIES: tuple[str, ...] = get_args(Difficulty)
OBJECTION_IDS: tuple[str, ...] = get_args(ObjectionId)
MOVE_IDS: tuple[str, ...] = get_args(MoveId)
COO_ACTS: tuple[str, ...] = get_args(CooAct)
SECTION_TAGS: tuple[str, ...] = get_args(SectionTag)
