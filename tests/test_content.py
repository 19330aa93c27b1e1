"""The shipped content loads, and each kind of bad content fails with `file: field: problem`, nothing half-loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import CALIBRATION_DIR, ROOT
from trainer.content.loader import load_content, load_transcript
from trainer.content.vocab import OBJECTION_IDS, QUALITY_CRITERIA
from trainer.errors import ContentError

TRAINER = [sys.executable, "-m", "trainer.cli.__main__"]


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([*TRAINER, *args], capture_output=True, text=True, env=env, timeout=120)


def test_every_shipped_file_loads() -> None:
    content = load_content(ROOT)
    assert len(content.personas) >= 3
    industries = {p.industry.split()[0].lower() for p in content.personas.values()}
    assert len(industries) >= 3, industries
    for persona in content.personas.values():
        assert set(persona.scenarios) == {"A", "B", "C"}
        for spec in persona.scenarios.values():
            for obj in spec.objections:
                assert obj.id in OBJECTION_IDS
    # some drills must teach the clean exit
    assert any(not s.pattern_applies for p in content.personas.values() for s in p.scenarios.values())
    rubric = content.rubric("coo_quality_check")
    assert [c.id for c in rubric.criteria] == list(QUALITY_CRITERIA)
    assert content.playbooks and content.playbooks[0].name == "coo_phone_outbound.md"
    assert len(content.glossary.terms) >= 40  # the team's glossary of everyday words for the playbook's ideas


def test_every_shipped_prompt_renders_and_fails_loudly_on_a_missing_variable() -> None:
    content = load_content(ROOT)
    assert {"coo_voice_chat", "coo_voice_completion", "moves_read", "grade_criterion", "search_terms"} <= set(
        content.prompts.names()
    )
    with pytest.raises(ContentError) as exc:
        content.prompts.render("coo_voice_chat")
    assert "prompts/coo_voice_chat.j2: variables:" in str(exc.value)


def test_every_calibration_file_parses() -> None:
    files = sorted(CALIBRATION_DIR.glob("*.json"))
    assert files, "calibration folder missing"
    for f in files:
        t = load_transcript(f)
        assert t.turns and {x.speaker for x in t.turns} <= {"rep", "coo"}


def test_content_check_cli_passes_on_shipped_content() -> None:
    r = run_cli("content", "check")
    assert r.returncode == 0, r.stderr
    assert "ok:" in r.stdout


@pytest.mark.parametrize("args", [("eval", "x", "--bogus"), ("grade",), ("playbook", "search")])
def test_a_mistyped_command_line_says_how_to_use_it_without_a_traceback(args: tuple[str, ...]) -> None:
    r = run_cli(*args)
    assert r.returncode == 2, r.stderr
    assert "Usage:" in r.stderr and "Traceback" not in r.stderr


def _break(root: Path, rel: str, mutate) -> None:  # type: ignore[no-untyped-def]
    path = root / rel
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _persona_file(root: Path) -> str:
    return "personas/" + sorted(p.name for p in (root / "personas").glob("*.yaml"))[0]


@pytest.mark.parametrize(
    "case, expected",
    [
        ("malformed_yaml", ["malformed YAML", "line"]),
        ("unknown_key", ["scenarios.A.flavour", "Extra inputs are not permitted"]),
        ("no_scenario_data", ["scenarios", "missing scenario(s) C"]),
        (
            "rubric_missing_criterion",
            ["rubrics/coo_quality_check.yaml", "criteria", "missing criterion id(s): clarity"],
        ),
        ("bad_objection_id", ["objections.0.id"]),
        ("bad_prompt", ["prompts/coo_voice_chat.j2", "template syntax"]),
        ("glossary_said_is_the_term", ["playbooks/glossary.yaml", "terms.0", "is the playbook phrase itself"]),
        ("glossary_empty_said", ["playbooks/glossary.yaml", "terms.0.said"]),
        ("glossary_said_twice", ["playbooks/glossary.yaml", "terms", "stemmed"]),
    ],
)
def test_content_check_fails_usefully(content_copy: Path, case: str, expected: list[str]) -> None:
    persona = _persona_file(content_copy)
    if case == "malformed_yaml":
        (content_copy / persona).write_text("id: x\nname: [unclosed\n  company: y\n")
    elif case == "unknown_key":
        _break(content_copy, persona, lambda d: d["scenarios"]["A"].__setitem__("flavour", "spicy"))
    elif case == "no_scenario_data":
        _break(content_copy, persona, lambda d: d["scenarios"].pop("C"))
    elif case == "rubric_missing_criterion":
        _break(
            content_copy,
            "rubrics/coo_quality_check.yaml",
            lambda d: d.__setitem__("criteria", [c for c in d["criteria"] if c["id"] != "clarity"]),
        )
    elif case == "bad_objection_id":
        _break(content_copy, persona, lambda d: d["scenarios"]["A"]["objections"][0].__setitem__("id", "too_pricey"))
    elif case == "bad_prompt":
        (content_copy / "prompts/coo_voice_chat.j2").write_text("{% if persona %}unclosed")
    elif case == "glossary_said_is_the_term":
        _break(
            content_copy, "playbooks/glossary.yaml", lambda d: d["terms"][0]["said"].append(d["terms"][0]["playbook"])
        )
    elif case == "glossary_empty_said":
        _break(content_copy, "playbooks/glossary.yaml", lambda d: d["terms"][0].__setitem__("said", []))
    elif case == "glossary_said_twice":  # "Hiring" under a second term reads like "hiring" under the first
        _break(
            content_copy,
            "playbooks/glossary.yaml",
            lambda d: d["terms"][1]["said"].append(d["terms"][0]["said"][0].capitalize()),
        )
    with pytest.raises(ContentError) as exc:
        load_content(content_copy)
    text = str(exc.value)
    for needle in expected:
        assert needle in text, text
    r = run_cli("content", "check", "--content-dir", str(content_copy))
    assert r.returncode == 2
    for needle in expected:
        assert needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "turns, field",
    [
        ([{"speaker": "prospect", "text": "hi"}], "turns.0.speaker"),
        ([{"speaker": "rep", "text": "   "}], "turns.0.text"),
    ],
)
def test_bad_transcript_names_file_and_field(tmp_path: Path, turns: list[dict[str, str]], field: str) -> None:
    f = tmp_path / "call.json"
    f.write_text(json.dumps({"turns": turns}))
    with pytest.raises(ContentError) as exc:
        load_transcript(f)
    assert f"{f}: {field}:" in str(exc.value)


def test_core_domain_imports_no_vendor_sdk() -> None:
    """Only trainer/adapters, trainer/web and trainer/wiring.py may import a vendor SDK."""
    import ast

    vendors = {
        "openai", "langchain_core", "langchain_openai", "langchain_chroma", "chromadb", "sqlalchemy", "alembic",
        "psycopg", "llama_cpp", "onnxruntime", "tokenizers", "gradio",
    }  # fmt: skip
    offenders = []
    for path in (ROOT / "trainer").rglob("*.py"):
        rel = path.relative_to(ROOT / "trainer").as_posix()
        if rel.startswith(("adapters/", "web/")) or rel == "wiring.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{rel}: {n}" for n in names if n.split(".")[0] in vendors]
    assert not offenders, offenders
