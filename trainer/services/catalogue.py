"""Checks a practice set-up against the loaded content (personas, scenarios, rubrics) and the vocabulary."""

from __future__ import annotations

from typing import get_args

from trainer.content.loader import Content
from trainer.content.vocab import Difficulty
from trainer.errors import InputError

DIFFICULTIES: tuple[str, ...] = get_args(Difficulty)


def default_rubric_id(content: Content) -> str:
    return "coo_quality_check" if "coo_quality_check" in content.rubrics else sorted(content.rubrics)[0]


def validate_practice(content: Content, persona_id: str, scenario: str, difficulty: str, rubric_id: str) -> None:
    """Unknown persona, scenario, difficulty or rubric: an InputError listing the valid ones."""
    if persona_id not in content.personas:
        raise InputError(f"unknown persona {persona_id!r}; valid personas: {', '.join(sorted(content.personas))}")
    scenarios = sorted(content.personas[persona_id].scenarios)
    if scenario not in scenarios:
        raise InputError(f"unknown scenario {scenario!r}; valid scenarios: {', '.join(scenarios)}")
    if difficulty not in DIFFICULTIES:
        raise InputError(f"unknown difficulty {difficulty!r}; valid difficulties: {', '.join(DIFFICULTIES)}")
    if rubric_id not in content.rubrics:
        raise InputError(f"unknown rubric {rubric_id!r}; valid rubrics: {', '.join(sorted(content.rubrics))}")
