"""A playbook's own structure: its headings and, under each, its blocks (paragraphs, bullet groups, table rows).

Two editions are read the same way:

- markdown: `#` headings (levels from the number of `#`), `-`/`*`/`1.` bullets, `|`-tables, fenced code;
- plain text: headings are bare lines standing alone between blank lines that read like a title ("Movement 2 –
  Constraint Framing (Middle)": capitalised words, no closing punctuation); a table pasted as text (one cell per
  line: a run of title-cased header cells, then rows of the same width) is read back as a table.

The document title (a single `#` heading first, or a plain-text first line directly followed by another heading) is
kept apart: it names the document, it is not a section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["paragraph", "bullets", "table"]


@dataclass
class Block:
    kind: BlockKind
    lines: list[str]  # paragraph: its lines; bullets: one item each (marker removed); table: unused
    rows: list[list[str]] = field(default_factory=list)  # table: header row first

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass
class Section:
    headings: tuple[str, ...]  # path from the top, the document title excluded
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str | None
    sections: list[Section]
    heading_count: int  # headings found, the title included


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•–]|\d{1,3}[.)])\s+(.*)$")
_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|`([^`]+)`")
_QUOTES_OPEN = "\"'“‘«„"
_CLOSING_PUNCT = ".,;:!?\"'”’…"
_SMALL_TEXT = "a an and as at but by for from in into of on or the to vs via with after before not over per is are than"
_SMALL_WORDS = frozenset(_SMALL_TEXT.split())


def clean_inline(text: str) -> str:
    """Drop markdown emphasis and code marks, collapse whitespace."""
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or m.group(4) or "", text)
    return " ".join(text.split())


def is_markdown(text: str) -> bool:
    return any(_MD_HEADING.match(line) for line in text.splitlines())


def looks_like_heading(line: str) -> bool:
    """A bare plain-text line that reads like a title: short, capitalised words, no closing punctuation."""
    line = line.strip()
    if not line or len(line) > 100 or _BULLET.match(line) or line[0] in _QUOTES_OPEN:
        return False
    if line[-1] in _CLOSING_PUNCT:
        return False
    words = [w.strip("()[]{}\"'“”‘’,;:") for w in line.split()]
    words = [w for w in words if any(ch.isalnum() for ch in w)]
    if not words or len(words) > 14 or not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    capitalised = [w for w in content if w[0].isupper() or w[0].isdigit()]
    return len(capitalised) >= 0.75 * len(content)


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Blank-line separated groups of lines (fenced code stays one group)."""
    groups: list[list[str]] = []
    current: list[str] = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not line.strip() and not in_fence:
            if current:
                groups.append(current)
                current = []
            continue
        current.append(line.rstrip())
    if current:
        groups.append(current)
    return groups


def _split_cells(line: str) -> list[str]:
    return [clean_inline(c) for c in line.strip().strip("|").split("|")]


def _blocks(group: list[str]) -> list[Block]:
    """One paragraph group -> blocks: consecutive bullets form one block, table lines one table, the rest prose."""
    blocks: list[Block] = []
    for line in group:
        bullet = _BULLET.match(line)
        if _TABLE_LINE.match(line):
            if _TABLE_SEPARATOR.match(line):
                continue
            if not blocks or blocks[-1].kind != "table":
                blocks.append(Block("table", []))
            blocks[-1].rows.append(_split_cells(line))
        elif bullet:
            if not blocks or blocks[-1].kind != "bullets":
                blocks.append(Block("bullets", []))
            blocks[-1].lines.append(clean_inline(bullet.group(1)))
        elif blocks and blocks[-1].kind == "bullets" and line.startswith((" ", "\t")):
            blocks[-1].lines[-1] += " " + clean_inline(line)  # a wrapped bullet item
        else:
            if not blocks or blocks[-1].kind != "paragraph":
                blocks.append(Block("paragraph", []))
            blocks[-1].lines.append(clean_inline(line))
    return [b for b in blocks if b.lines or b.rows]


def parse_markdown(text: str) -> Document:
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    headings: list[tuple[int, str]] = []
    body: list[str] = []
    current = Section(())

    def flush() -> None:
        for group in _paragraphs(body):
            current.blocks.extend(_blocks(group))
        body.clear()
        sections.append(current)

    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else _MD_HEADING.match(line)
        if not m:
            body.append(line)
            continue
        flush()
        level, heading = len(m.group(1)), clean_inline(m.group(2))
        headings.append((level, heading))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        current = Section(tuple(t for _, t in stack))
    flush()
    top = [h for h in headings if h[0] == min(lv for lv, _ in headings)] if headings else []
    title: str | None = None
    if headings and len(top) == 1 and headings[0] == top[0] and len(headings) > 1:
        title = top[0][1]
        for s in sections:
            if s.headings[:1] == (title,):
                s.headings = s.headings[1:]
    return Document(title, [s for s in sections if s.blocks], len(headings))


def _flattened_table(groups: list[list[str]], start: int) -> tuple[list[list[str]], int] | None:
    """A table pasted as text, one cell per line: a run of title-cased header cells, then rows of that width.

    The run must split into whole rows (at least two besides the header), which tells a table apart from a heading
    followed by its table, or from headings in a row.
    """
    end = start
    while end < len(groups) and len(groups[end]) == 1:
        cell = groups[end][0].strip()
        if len(cell.split()) > 12 or cell[-1] in ".:!?;," or _BULLET.match(cell):
            break
        end += 1
    cells = [clean_inline(g[0]) for g in groups[start:end]]
    width = 0
    while width < len(cells) and looks_like_heading(cells[width]):
        width += 1
    if width < 2 or len(cells) < 3 * width or len(cells) % width:
        return None
    return [cells[i : i + width] for i in range(0, len(cells), width)], end


def parse_plain_text(text: str) -> Document:
    groups = _paragraphs(text.splitlines())
    sections: list[Section] = [Section(())]
    heading_count = 0
    i = 0
    while i < len(groups):
        group = groups[i]
        is_heading = len(group) == 1 and looks_like_heading(group[0])
        table = _flattened_table(groups, i)
        if table and is_heading and _flattened_table(groups, i + 1):
            table = None  # a heading followed by its table
        if table:
            rows, i = table
            sections[-1].blocks.append(Block("table", [], rows))
            continue
        if is_heading:
            heading_count += 1
            sections.append(Section((clean_inline(group[0]),)))
        else:
            sections[-1].blocks.extend(_blocks(group))
        i += 1
    title = None
    # a first heading with nothing under it, followed by another heading, names the document
    if len(sections) > 2 and not sections[0].blocks and not sections[1].blocks:
        title = sections[1].headings[0]
        del sections[1]
    _nest_series(sections)
    return Document(title, [s for s in sections if s.blocks], heading_count)


_SERIES = re.compile(r"^(\w+)\s+(?:[A-Z]|\d{1,2}|One|Two|Three|Four|Five)\b\s*[–—:-]")


def _nest_series(sections: list[Section]) -> None:
    """Plain text has no heading levels; a series of numbered headings ("Scenario A –", "Scenario B –" ...) sits
    under the heading just before the series ("Primary Scenarios for COO Calls"), as a markdown edition nests it."""
    parent: tuple[str, ...] | None = None
    series: str | None = None
    for s in sections:
        if not s.headings:
            continue
        m = _SERIES.match(s.headings[-1])
        key = m.group(1).lower() if m else None
        if key is None:
            parent, series = s.headings, None
        elif parent is not None and series in (None, key):
            series = key
            s.headings = (*parent, s.headings[-1])
        else:
            parent, series = None, None


def parse_structure(text: str) -> Document:
    return parse_markdown(text) if is_markdown(text) else parse_plain_text(text)
