"""Load and validate every content file. Problems come back as `file: field: problem` lines; nothing half-loads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from trainer.content.models import Persona, Rubric, Transcript
from trainer.content.prompts import PromptLibrary
from trainer.errors import ContentError, NotFoundError
from trainer.moves.catalogue import MoveCatalogue
from trainer.playbook.glossary import Glossary

M = TypeVar("M", bound=BaseModel)

CONTENT_FOLDERS = ("personas", "rubrics", "prompts", "playbooks")
PLAYBOOK_SUFFIXES = (".md", ".txt")
MOVES_FILE = "moves.yaml"
GLOSSARY_FILE = "glossary.yaml"


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def validation_problems(label: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{label}: {_loc(err['loc'])}: {msg}")
    return out


def _read_yaml(path: Path, label: str) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [f"{label}: (file): not UTF-8 text"]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"{label}: {where}: malformed YAML: {problem}"]
    if not isinstance(data, dict):
        return None, [f"{label}: (top level): expected a mapping of fields, got {type(data).__name__}"]
    return data, []


def _load_models(folder: Path, model: type[M], root: Path) -> tuple[dict[str, M], list[str]]:
    items: dict[str, M] = {}
    problems: list[str] = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        label = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        data, errs = _read_yaml(path, label)
        if errs:
            problems += errs
            continue
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            problems += validation_problems(label, exc)
            continue
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in items:
            problems.append(f"{label}: id: duplicate id {item_id!r}")
            continue
        if path.stem.replace("-", "_") != item_id.replace("-", "_"):
            problems.append(f"{label}: id: {item_id!r} does not match the file name {path.stem!r}")
            continue
        items[item_id] = item
    return items, problems


@dataclass(frozen=True)
class Content:
    root: Path
    personas: dict[str, Persona]
    rubrics: dict[str, Rubric]
    prompts: PromptLibrary
    moves: MoveCatalogue
    playbooks: list[Path] = field(default_factory=list)
    glossary: Glossary = field(default_factory=Glossary)

    def persona(self, persona_id: str) -> Persona:
        try:
            return self.personas[persona_id]
        except KeyError:
            raise NotFoundError(
                f"unknown persona {persona_id!r}; valid personas: {', '.join(sorted(self.personas))}"
            ) from None

    def rubric(self, rubric_id: str) -> Rubric:
        try:
            return self.rubrics[rubric_id]
        except KeyError:
            raise NotFoundError(
                f"unknown rubric {rubric_id!r}; valid rubrics: {', '.join(sorted(self.rubrics))}"
            ) from None

    def opening_line(self, persona_id: str, scenario: str) -> str:
        """The COO's greeting for this persona and scenario (said when the call starts; not stored as a turn)."""
        spec = self.persona(persona_id).scenarios.get(scenario)  # type: ignore[call-overload]
        if spec is None:
            raise NotFoundError(f"persona {persona_id!r} has no scenario {scenario!r}")
        return str(spec.opening_line)

    @property
    def default_playbook(self) -> Path:
        return self.playbooks[0]


def load_content(root: Path) -> Content:
    """Load every content file under `root`. Raises ContentError listing every problem found."""
    root = Path(root)
    problems: list[str] = []
    missing = [f for f in CONTENT_FOLDERS if not (root / f).is_dir()]
    if missing:
        raise ContentError([f"{root}: (folder): missing content folder(s) {', '.join(missing)}"])
    personas, errs = _load_models(root / "personas", Persona, root)
    problems += errs
    rubrics, errs = _load_models(root / "rubrics", Rubric, root)
    problems += errs
    prompts = PromptLibrary(root / "prompts")
    problems += prompts.problems(root)
    moves = _load_move_catalogue(root, problems)
    glossary = _load_glossary(root, problems)
    playbooks = sorted(p for p in (root / "playbooks").iterdir() if p.suffix in PLAYBOOK_SUFFIXES)
    for pb in playbooks:
        label = str(pb.relative_to(root))
        try:
            if not pb.read_text(encoding="utf-8").strip():
                problems.append(f"{label}: (file): empty playbook")
        except UnicodeDecodeError:
            problems.append(f"{label}: (file): not UTF-8 text")
    if not personas and not any("personas/" in p for p in problems):
        problems.append("personas: (folder): no persona files (*.yaml)")
    if not rubrics and not any("rubrics/" in p for p in problems):
        problems.append("rubrics: (folder): no rubric files (*.yaml)")
    if not playbooks:
        problems.append("playbooks: (folder): no playbook files (*.md, *.txt)")
    if problems or moves is None:
        raise ContentError(problems)
    return Content(
        root=root,
        personas=personas,
        rubrics=rubrics,
        prompts=prompts,
        moves=moves,
        playbooks=playbooks,
        glossary=glossary,
    )


def _load_playbook_yaml(root: Path, filename: str, model: type[M], problems: list[str]) -> M | None:
    """One YAML file of playbooks/ validated as `model`; None (problems listed) when it is absent or invalid."""
    path = root / "playbooks" / filename
    label = f"playbooks/{filename}"
    if not path.is_file():
        return None
    data, errs = _read_yaml(path, label)
    if errs:
        problems += errs
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(label, exc)
        return None


def _load_move_catalogue(root: Path, problems: list[str]) -> MoveCatalogue | None:
    if not (root / "playbooks" / MOVES_FILE).is_file():
        problems.append(f"playbooks/{MOVES_FILE}: (file): missing move catalogue")
        return None
    return _load_playbook_yaml(root, MOVES_FILE, MoveCatalogue, problems)


def _load_glossary(root: Path, problems: list[str]) -> Glossary:
    """The team's glossary (optional: without the file, searches use the query's own words only)."""
    return _load_playbook_yaml(root, GLOSSARY_FILE, Glossary, problems) or Glossary()


def load_glossary(root: Path) -> Glossary:
    """Only the glossary (the store needs it without the rest of the content); ContentError when it is invalid."""
    problems: list[str] = []
    glossary = _load_glossary(Path(root), problems)
    if problems:
        raise ContentError(problems)
    return glossary


def load_transcript(path: Path) -> Transcript:
    """Read a transcript JSON file (the calibration format)."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise NotFoundError(f"{label}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ContentError([f"{label}: (file): not UTF-8 text"]) from None
    except json.JSONDecodeError as exc:
        raise ContentError([f"{label}: line {exc.lineno}: malformed JSON: {exc.msg}"]) from None
    return parse_transcript(data, label)


def parse_transcript(data: Any, label: str = "transcript") -> Transcript:
    if not isinstance(data, dict):
        raise ContentError([f"{label}: (top level): expected an object with a 'turns' list"])
    try:
        return Transcript.model_validate(data)
    except ValidationError as exc:
        raise ContentError(validation_problems(label, exc)) from None
