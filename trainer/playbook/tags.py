"""Section tags and metadata, inferred from heading text, so both editions of a playbook get the same tags.

The deepest heading of a passage's path that names a section decides its tag ("Common COO Objections > "We need
more staff"" is `objections`); a passage under no recognisable heading (a preface) is `context`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from trainer.content.vocab import OBJECTION_IDS, OBJECTION_SIGNALS

DEFAULT_TAG = "context"
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4"}

_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"\bmovement\s*(1|2|3|4|one|two|three|four)\b"),
        lambda m: f"movement_{_NUMBER_WORDS.get(m.group(1), m.group(1))}",
    ),
    (re.compile(r"\bscenario\s+([abc])\b"), lambda m: f"scenario_{m.group(1)}"),
    (re.compile(r"\bobjection"), lambda m: "objections"),
    (re.compile(r"\bquality\s+check"), lambda m: "quality_check"),
    (re.compile(r"\bspine\b"), lambda m: "spine"),
    (re.compile(r"\blens\b|\boptimi[sz]e|\bwary\b"), lambda m: "coo_lens"),
    (re.compile(r"\bscenarios\b"), lambda m: "scenarios"),
    (re.compile(r"\bcontext\b|\btypical\b"), lambda m: "context"),
]


def normalise(text: str) -> str:
    """Lower case, straight quotes and plain dashes: for matching, never for display."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
    return " ".join(text.translate(table).lower().split())


def section_tag(headings: Sequence[str]) -> str:
    for heading in reversed(headings):
        h = normalise(heading)
        for pattern, tag in _RULES:
            m = pattern.search(h)
            if m:
                return tag(m)
    return DEFAULT_TAG


def _objection_phrases() -> dict[str, str]:
    return {oid: normalise(OBJECTION_SIGNALS[oid][0]).strip('"') for oid in OBJECTION_IDS}


_OBJECTIONS = _objection_phrases()


def objection_id(text: str) -> str | None:
    """The objection of the playbook's table that `text` (a heading or a table row) quotes, if any."""
    t = normalise(text)
    for oid, phrase in _OBJECTIONS.items():
        if phrase in t:
            return oid
    return None


def passage_metadata(headings: Sequence[str], text: str, source: str) -> dict[str, Any]:
    """`section`, `source`, and `scenario` / `movement` / `objection` where they apply (absent otherwise)."""
    tag = section_tag(headings)
    meta: dict[str, Any] = {"section": tag, "source": source}
    if tag.startswith("scenario_"):
        meta["scenario"] = tag[-1].upper()
    elif tag.startswith("movement_"):
        meta["movement"] = int(tag[-1])
    elif tag == "objections":
        oid = objection_id(" ".join([*headings, text]))
        if oid:
            meta["objection"] = oid
    return meta
