"""Shared fixtures. Servers (PostgreSQL, chroma) are started by `make test` (scripts/test-services.sh); a test that
needs one and does not find it fails under `make test` (TRAINER_REQUIRE_SERVICES=1) and is skipped elsewhere."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CALIBRATION_DIR = SHARED / "calibration"
ORIGINAL_PLAYBOOK = SHARED / "playbooks" / "coo-phone-outbound.txt"

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def require_service(env_name: str) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    if os.environ.get("TRAINER_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{env_name} is not set: make test should have started this server (scripts/test-services.sh)")
    pytest.skip(f"{env_name} not set; run through `make test` to start the server")


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped content folders, for tests that break a file."""
    for folder in ("personas", "rubrics", "prompts", "playbooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("TRAINER_DATA_DIR", str(d))
    return d


@pytest.fixture
def stub_openai():  # type: ignore[no-untyped-def]
    """A stub OpenAI-compatible server on loopback (tests/stub_openai_server.py): queue replies and faults with
    `stub.push(...)`, point a client at `stub.base_url`, read `stub.requests`."""
    from tests.stub_openai_server import StubOpenAIServer

    with StubOpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def content():  # type: ignore[no-untyped-def]
    from trainer.content.loader import load_content

    return load_content(ROOT)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from trainer.adapters.embedder_onnx import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def reader(content, embedder):  # type: ignore[no-untyped-def]
    from trainer.services.practice import move_reader

    return move_reader(content, embedder)
