"""`trainer playbook ingest` and `trainer playbook search` as a user runs them: output, JSON shape, exit codes and
error messages without tracebacks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT

TRAINER = [sys.executable, "-m", "trainer.cli.__main__"]


def run(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; stderr with its line wrapping undone."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_")}
    full_env = {**base, "TRAINER_DATA_DIR": str(data_dir), **env}
    r = subprocess.run([*TRAINER, *args], capture_output=True, text=True, env=full_env, timeout=120, cwd=ROOT)
    r.stderr = " ".join(r.stderr.split())
    return r


def test_ingest_then_search_json(tmp_path: Path) -> None:
    r = run("playbook", "ingest", "playbooks/coo_phone_outbound.md", str(ORIGINAL_PLAYBOOK), data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "coo_phone_outbound.md: 31 passages (31 added, 0 unchanged, 0 removed)" in r.stdout
    assert "coo-phone-outbound.txt:" in r.stdout and str(tmp_path / "chroma") in r.stdout
    r = run("playbook", "search", "staff won't use another tool", "--k", "2", "--json", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 2 and set(rows[0]) == {"id", "heading_path", "text", "score", "metadata"}
    assert rows[0]["score"] >= rows[1]["score"]
    assert any(row["metadata"].get("objection") == "staff_wont_adopt" for row in rows)
    r = run("playbook", "search", "how do I end the call", "--section", "objections", "--json", data_dir=tmp_path)
    assert r.returncode == 0 and {row["metadata"]["section"] for row in json.loads(r.stdout)} == {"objections"}
    r = run("playbook", "search", "how do I end the call", data_dir=tmp_path)
    assert r.returncode == 0 and "1. [" in r.stdout and "Movement 4" in r.stdout
    assert "also searched for the playbook's words: close" in r.stdout  # the glossary: "end the call" is the close
    r = run("playbook", "search", "she wants to hire more people", data_dir=tmp_path)
    assert r.returncode == 0 and "also searched for the playbook's words: more staff" in r.stdout
    assert "We need more staff" in r.stdout
    r = run("playbook", "search", "we need more staff", data_dir=tmp_path)  # the playbook's own words: nothing added
    assert r.returncode == 0 and "also searched" not in r.stdout


def test_errors_are_clear_and_change_nothing(tmp_path: Path) -> None:
    r = run("playbook", "ingest", "no/such/playbook.md", data_dir=tmp_path)
    assert r.returncode == 2 and "error: no such file: no/such/playbook.md" in r.stderr
    assert "Traceback" not in r.stderr
    r = run("playbook", "search", "x" * 20_000, data_dir=tmp_path)
    assert r.returncode == 2 and "20,000 characters" in r.stderr and "Traceback" not in r.stderr
    r = run("playbook", "search", "close", "--where", "{bad json", data_dir=tmp_path)
    assert r.returncode == 2 and "--where is not valid JSON" in r.stderr
    in_the_way = tmp_path / "file"
    in_the_way.write_text("not a folder")
    r = run("playbook", "ingest", "playbooks/coo_phone_outbound.md", data_dir=in_the_way)
    assert r.returncode == 2 and "not writable" in r.stderr and "TRAINER_DATA_DIR" in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run("playbook", "search", "close", data_dir=tmp_path, TRAINER_CHROMA_URL=f"http://127.0.0.1:{port}")
    assert r.returncode == 1 and "run failed:" in r.stderr and "not reachable" in r.stderr
    assert "Traceback" not in r.stderr
