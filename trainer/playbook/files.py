"""Reading a playbook file, with a clear error for everything that is not a playbook.

A file with no headings is refused rather than ingested as headless passages: every passage would get the
fallback section tag, so the grader's section filters (`grounded_in`) would silently find nothing to cite. The
error says how to mark headings in either format.
"""

from __future__ import annotations

from pathlib import Path

from trainer.errors import ContentError, InputError, NotFoundError
from trainer.playbook.passages import build_passages
from trainer.playbook.structure import parse_structure
from trainer.ports import Passage

SUFFIXES = (".md", ".txt")
MAX_BYTES = 1_000_000  # a playbook is a few pages; a megabyte is hundreds of pages


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its .md and .txt files. Missing paths are an error, checked first."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise NotFoundError(f"no such file: {', '.join(missing)}")
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
            if not found:
                raise InputError(f"{p}: the folder holds no playbook (*.md or *.txt)")
            out.extend(found)
        else:
            out.append(p)
    names = [p.name for p in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(
            f"two files share the name {', '.join(dupes)}: passages are keyed by file name; rename one of them"
        )
    return out


def read_text(path: Path) -> str:
    label = str(path)
    if not path.is_file():
        raise NotFoundError(f"{label}: no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{label}: a playbook is a .md or .txt file (got {path.suffix or 'no extension'!r})")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ContentError(
            [
                f"{label}: (file): {size / 1e6:.1f} MB is too large for a playbook (limit {MAX_BYTES / 1e6:.0f} MB); "
                "split it into several files"
            ]
        )
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ContentError([f"{label}: (file): binary file, not a text playbook (save it as .md or .txt)"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError([f"{label}: (file): not UTF-8 text (byte {exc.start}); save it as UTF-8"]) from None
    if not text.strip():
        raise ContentError([f"{label}: (file): empty playbook"])
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_playbook(text: str, source: str) -> list[Passage]:
    """Passages of a playbook's text. Raises ContentError when it has no headings or no passages."""
    doc = parse_structure(text)
    if doc.heading_count == 0:
        raise ContentError(
            [
                f"{source}: (file): no headings found; mark sections with markdown '# Heading' lines, or in plain "
                "text put each heading on a line of its own between blank lines (e.g. 'Movement 2 – Constraint "
                "Framing (Middle)')"
            ]
        )
    passages = build_passages(doc, source)
    if not passages:
        raise ContentError([f"{source}: (file): headings but no text under them"])
    return passages


def load_playbook(path: Path) -> list[Passage]:
    """Read and split one playbook file; `source` in the metadata is the file's name."""
    path = Path(path)
    return parse_playbook(read_text(path), path.name)
