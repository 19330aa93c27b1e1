"""Splitting playbooks into passages: both editions (markdown and the original plain text) along their own structure,
the same section tags, stable ids, and a clear error for every file that is not a playbook. No store needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT
from trainer.content.vocab import OBJECTION_IDS, SECTION_TAGS
from trainer.errors import ContentError, InputError, NotFoundError
from trainer.playbook import MAX_BYTES, expand_paths, load_playbook, parse_playbook
from trainer.ports import Passage

MARKDOWN_PLAYBOOK = ROOT / "playbooks" / "coo_phone_outbound.md"
EDITIONS = pytest.mark.parametrize("path", [MARKDOWN_PLAYBOOK, ORIGINAL_PLAYBOOK], ids=["markdown", "original-txt"])


def by_section(passages: list[Passage]) -> dict[str, list[Passage]]:
    out: dict[str, list[Passage]] = {}
    for p in passages:
        out.setdefault(p.metadata["section"], []).append(p)
    return out


@EDITIONS
def test_every_section_of_the_playbook_becomes_tagged_passages(path: Path) -> None:
    passages = load_playbook(path)
    sections = by_section(passages)
    assert set(sections) == set(SECTION_TAGS)
    for p in passages:
        assert p.text.strip() and p.id and p.heading_path
        assert p.metadata["source"] == path.name
        assert p.metadata["section"] in SECTION_TAGS
        assert "#" not in p.heading_path and "**" not in p.text
    for letter in "ABC":
        (scenario,) = sections[f"scenario_{letter.lower()}"]
        assert scenario.metadata["scenario"] == letter
        assert "Goal" in scenario.text
    for n in range(1, 5):
        assert all(p.metadata["movement"] == n for p in sections[f"movement_{n}"])
        assert len(sections[f"movement_{n}"]) >= 2
    assert all("scenario" not in p.metadata and "movement" not in p.metadata for p in sections["objections"])


@EDITIONS
def test_each_row_of_the_objection_table_is_its_own_passage(path: Path) -> None:
    objections = by_section(load_playbook(path))["objections"]
    tagged = {p.metadata["objection"]: p for p in objections if "objection" in p.metadata}
    assert set(tagged) == set(OBJECTION_IDS)
    assert "disruption" in tagged["it_will_block"].text.lower()
    assert "fatigue" in tagged["staff_wont_adopt"].text.lower()
    assert "conflated" in tagged["space_bottleneck"].text.lower()
    # the general advice stays apart from the rows
    assert any("process signals" in p.text and "objection" not in p.metadata for p in objections)


def test_both_editions_get_the_same_tags_for_the_same_ideas() -> None:
    def tag_of(passages: list[Passage], words: str) -> set[str]:
        return {p.metadata["section"] for p in passages if words in p.text.lower()}

    md, txt = load_playbook(MARKDOWN_PLAYBOOK), load_playbook(ORIGINAL_PLAYBOOK)
    for words in ("working session", "timeline", "tool talk", "tools that add steps", "what breaks", "did i"):
        assert tag_of(md, words) == tag_of(txt, words) != set(), words


def test_bare_heading_lines_of_the_original_are_read_as_headings() -> None:
    passages = load_playbook(ORIGINAL_PLAYBOOK)
    paths = {p.heading_path for p in passages}
    assert "Conversation Spine (Not a Script) > Movement 2 – Constraint Framing (Middle)" in paths
    assert "Primary Scenarios for COO Calls > Scenario C – Re-Engaging After a Stalled Ops Discussion" in paths
    assert "Typical COO Scenario (Context)" in paths
    texts = [p.text for p in passages]
    # lead-ins stay with what they introduce; headings and table headers are not passages of their own
    assert any(t.startswith("Good closes:\n- propose a working session") for t in texts)
    assert any(t.startswith("Purpose:\n- simplify complexity") for t in texts)
    assert not any(t.strip() in {"Objection", "Usually Signals", "Goal:", "Phone Outbound – COO Lens"} for t in texts)
    assert all(p.heading_path != "Phone Outbound – COO Lens" for p in passages)  # the title is not a section


def test_ids_are_stable_across_runs_machines_and_unrelated_edits(tmp_path: Path) -> None:
    text = ORIGINAL_PLAYBOOK.read_text(encoding="utf-8")
    first = [p.id for p in parse_playbook(text, ORIGINAL_PLAYBOOK.name)]
    assert len(set(first)) == len(first)
    elsewhere = tmp_path / "some" / "other" / "folder" / ORIGINAL_PLAYBOOK.name
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text(text.replace("\n", "\r\n"), encoding="utf-8")  # another machine, Windows line ends
    assert [p.id for p in load_playbook(elsewhere)] == first
    # another interpreter (another hash seed)
    code = (
        "import sys; from pathlib import Path; from trainer.playbook import load_playbook; "
        "print(' '.join(p.id for p in load_playbook(Path(sys.argv[1]))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, str(ORIGINAL_PLAYBOOK)], capture_output=True, text=True, env=env)
    assert out.stdout.split() == first, out.stderr
    # editing one passage changes that id only; ids do not depend on position
    edited = text.replace("- keep language practical", "- keep the language plain and practical")
    edited = "Preface\n\nA line a coach added at the top of the file.\n\n" + edited
    second = [p.id for p in parse_playbook(edited, ORIGINAL_PLAYBOOK.name)]
    assert len(set(first) - set(second)) == 1
    assert len(set(second) - set(first)) == 2  # the edited passage and the preface


def test_a_markdown_table_and_a_long_paragraph(tmp_path: Path) -> None:
    long_para = " ".join(f"Sentence number {i} says one more thing about the flow of work." for i in range(30))
    md = tmp_path / "objections.md"
    md.write_text(
        "# Field notes\n\n## Objections\n\n| Objection | Usually signals |\n|---|---|\n"
        "| We need more staff | Process inefficiency not yet visible |\n"
        "| IT will block this | Fear of disruption |\n\n"
        f"## Notes\n\n{long_para}\n",
        encoding="utf-8",
    )
    passages = load_playbook(md)
    rows = [p for p in passages if p.metadata["kind"] == "table_row"]
    assert [p.metadata["objection"] for p in rows] == ["more_staff", "it_will_block"]
    assert rows[0].heading_path == "Objections > We need more staff"
    assert rows[0].text == "We need more staff — Usually signals: Process inefficiency not yet visible"
    assert rows[0].text == "We need more staff — Usually signals: Process inefficiency not yet visible"
    notes = [p for p in passages if p.heading_path.endswith("Notes")]
    assert len(notes) >= 3 and all(len(p.text.split()) <= 100 for p in notes)
    assert " ".join(p.text for p in notes) == long_para


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("empty.md", b"", "empty playbook"),
        ("blank.txt", b"  \n\n \t\n", "empty playbook"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
        ("latin1.txt", "Movement 1 - Opening\n\nCafé crème\n".encode("latin-1"), "not UTF-8"),
        ("wall.txt", b"just some prose without any heading. and more prose here.\n", "no headings found"),
        ("headings-only.md", b"# One\n\n## Two\n", "headings but no text"),
    ],
)
def test_bad_files_fail_with_a_clear_message(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(ContentError) as exc:
        load_playbook(path)
    assert expected in str(exc.value)
    assert str(exc.value).startswith(str(path) if "heading" not in expected else name)


def test_a_5_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    block = "## Section\n\n" + "A paragraph about flow and staff. " * 30 + "\n\n"
    path.write_text(block * (5_000_000 // len(block) + 1), encoding="utf-8")
    assert path.stat().st_size > 5_000_000 > MAX_BYTES
    with pytest.raises(ContentError, match=r"5\.0 MB is too large.*split it"):
        load_playbook(path)


def test_paths_missing_unsupported_or_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"no such file: .*nope\.md"):
        expand_paths([tmp_path / "nope.md"])
    pdf = _write(tmp_path, "playbook.pdf", b"%PDF-1.4")
    with pytest.raises(InputError, match=r"\.md or \.txt"):
        load_playbook(pdf)
    with pytest.raises(InputError, match="holds no playbook"):
        expand_paths([tmp_path])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "same.md").write_text("# T\n\ntext\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"share the name same\.md"):
        expand_paths([tmp_path / "a", tmp_path / "b"])
    assert expand_paths([tmp_path / "a"]) == [tmp_path / "a" / "same.md"]
