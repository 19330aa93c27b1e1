"""Sections and blocks -> passages a grader can cite: one idea each, a stable id, a heading path, metadata.

Rules, in the order they apply within a section:
- a small section (at most `SMALL_SECTION_WORDS` words, no table) is one passage: the author made it one idea;
- a table row is one passage (its first cell joins the heading path: "Objections > "We need more staff"");
- a lead-in ending in ":" ("Purpose:", "Good closes:") is one passage with the bullets or paragraph it introduces;
- a bullet group is one passage; a long paragraph is split at sentence ends into passages of ~`MAX_WORDS` words;
- a very short paragraph ("Clarity beats momentum.") joins the passage before it, or the next one when first.

Ids hash the source file's name, the heading path and the text, nothing positional: the same text gets the same id
on every run and machine, and editing one passage changes only that passage's id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from trainer.playbook.structure import Block, Document, Section
from trainer.playbook.tags import passage_metadata
from trainer.ports import Passage

HEADING_SEPARATOR = " > "
SMALL_SECTION_WORDS = 40
SHORT_PARAGRAPH_WORDS = 8
MAX_WORDS = 90
MAX_BULLETS = 10
_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"(])")


@dataclass
class _Draft:
    headings: tuple[str, ...]
    kind: str
    lines: list[str] = field(default_factory=list)


def _words(text: str) -> int:
    return len(text.split())


def _render(block: Block) -> list[str]:
    if block.kind == "bullets":
        return [f"- {item}" for item in block.lines]
    if block.kind == "table":
        return [_row_text(block.rows[0], row) for row in block.rows[1:]]
    return [block.text]


def _row_text(header: list[str], row: list[str]) -> str:
    rest = "; ".join(f"{h}: {c}" if h else c for h, c in zip(header[1:], row[1:], strict=False) if c)
    return f"{row[0]} — {rest}" if rest else row[0]


def _sentence_chunks(text: str) -> list[str]:
    if _words(text) <= MAX_WORDS:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if current and _words(" ".join([*current, sentence])) > MAX_WORDS:
            chunks.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def _section_drafts(section: Section) -> list[_Draft]:
    drafts = _block_drafts(section)
    words = sum(_words(line) for d in drafts for line in d.lines)
    if len(drafts) > 1 and words <= SMALL_SECTION_WORDS and all(d.kind != "table_row" for d in drafts):
        return [_Draft(section.headings, "section", [line for d in drafts for line in d.lines])]
    return drafts


def _block_drafts(section: Section) -> list[_Draft]:
    h = section.headings
    blocks = section.blocks
    drafts: list[_Draft] = []
    held: list[str] = []  # short paragraphs waiting for a passage to join
    i = 0
    while i < len(blocks):
        block = blocks[i]
        new: list[_Draft] = []
        if block.kind == "table":
            header = block.rows[0]
            new = [_Draft((*h, row[0]), "table_row", [_row_text(header, row)]) for row in block.rows[1:] if row]
        elif block.kind == "paragraph" and block.text.endswith(":") and i + 1 < len(blocks):
            follower = blocks[i + 1]
            if follower.kind == "bullets":
                items = _render(follower)
                for start in range(0, len(items), MAX_BULLETS):
                    new.append(_Draft(h, "bullets", [block.text, *items[start : start + MAX_BULLETS]]))
            elif follower.kind == "paragraph":
                new = [_Draft(h, "paragraph", [f"{block.text} {follower.text}"])]
            else:
                new = [_Draft(h, "paragraph", [block.text])]
                i -= 1  # the table is handled on its own
            i += 1
        elif block.kind == "bullets":
            items = _render(block)
            new = [_Draft(h, "bullets", items[s : s + MAX_BULLETS]) for s in range(0, len(items), MAX_BULLETS)]
        elif _words(block.text) <= SHORT_PARAGRAPH_WORDS:
            if drafts and drafts[-1].kind != "table_row":
                drafts[-1].lines.append(block.text)
            else:
                held.append(block.text)
        else:
            new = [_Draft(h, "paragraph", [chunk]) for chunk in _sentence_chunks(block.text)]
        if new and held:
            new[0].lines[:0] = held
            held = []
        drafts.extend(new)
        i += 1
    if held:
        drafts.append(_Draft(h, "paragraph", held))
    return drafts


def normalise_for_id(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def passage_id(source: str, heading_path: str, text: str) -> str:
    key = "\x1f".join(normalise_for_id(x) for x in (source, heading_path, text))
    return "pb-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def build_passages(doc: Document, source: str) -> list[Passage]:
    """Passages in document order. `source` is the file's name (not its path, so ids do not depend on the machine)."""
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for section in doc.sections:
        headings = section.headings or ((doc.title,) if doc.title else ())
        for draft in _section_drafts(section):
            path_headings = draft.headings or headings
            heading_path = HEADING_SEPARATOR.join(path_headings)
            text = "\n".join(draft.lines)
            pid = passage_id(source, heading_path, text)
            seen[pid] = seen.get(pid, 0) + 1
            if seen[pid] > 1:  # the same text twice under the same heading: keep both, ids stay stable
                pid = f"{pid}-{seen[pid]}"
            meta = passage_metadata(draft.headings, text, source)
            meta.update(kind=draft.kind, position=len(passages))
            passages.append(Passage(id=pid, heading_path=heading_path, text=text, metadata=meta))
    return passages


def embedding_text(passage: Passage) -> str:
    """What is embedded for a passage: its heading path gives a short passage its topic."""
    if not passage.heading_path:
        return passage.text
    return f"{passage.heading_path}\n{passage.text}"
