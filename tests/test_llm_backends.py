"""Choosing a backend from settings, the scripted backend, the embedded backend's serialisation, and
`trainer llm check`."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.stub_openai_server import Reply, StubOpenAIServer, refused_url
from trainer.adapters.llm.embedded import EmbeddedLLM
from trainer.adapters.llm.factory import model_size_billions
from trainer.adapters.llm.scripted import Dropped, ScriptedLLM, ScriptExhausted
from trainer.adapters.llm.weights import EMBEDDED_MODELS
from trainer.errors import ConfigError
from trainer.ports import LLM, LLMError, LLMRequest, Message, StructuredOutputError
from trainer.settings import get_settings
from trainer.wiring import build_llm

CHAT = LLMRequest(messages=(Message("user", "Got two minutes?"),))
SCHEMA = {"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]}


# ------------------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    "overrides, needle",
    [
        ({"llm_backend": "openai", "openai_api_key": None}, "OPENAI_API_KEY"),
        ({"llm_backend": "openai-compatible", "openai_base_url": None, "llm_model": "m"}, "OPENAI_BASE_URL"),
        ({"llm_backend": "openai-compatible", "openai_base_url": "http://127.0.0.1:9/v1"}, "TRAINER_LLM_MODEL"),
    ],
)
def test_a_missing_setting_is_named(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        build_llm(get_settings(**{"llm_model": None, **overrides}))
    assert needle in str(exc.value)


def test_each_backend_is_built_from_settings_and_meets_the_protocol() -> None:
    openai_llm = build_llm(get_settings(llm_backend="openai", openai_api_key="sk-test", llm_model=None))
    assert (openai_llm.backend, openai_llm.model_id, openai_llm.capable) == ("openai", "gpt-4o-mini", True)
    compatible = build_llm(
        get_settings(
            llm_backend="openai-compatible", openai_base_url="http://127.0.0.1:9/v1", llm_model="qwen2.5:0.5b",
            llm_style="completions",
        )
    )  # fmt: skip
    assert (compatible.backend, compatible.preferred_style, compatible.capable) == (
        "openai-compatible", "completions", False,
    )  # fmt: skip
    scripted = build_llm(get_settings(llm_backend="scripted", llm_model=None))
    assert scripted.backend == "scripted" and not scripted.capable
    for llm in (openai_llm, compatible, scripted):
        assert isinstance(llm, LLM)


@pytest.mark.parametrize(
    "model, setting, capable",
    [
        ("llama3.1:8b", "auto", True),
        ("Qwen2.5-72B-Instruct", "auto", True),
        ("mixtral-8x7b", "auto", True),
        ("qwen2.5:0.5b", "auto", False),
        ("SmolLM2-135M-Instruct", "auto", False),
        ("mistral", "auto", False),  # size unknown: the deterministic path stays in charge
        ("mistral", "true", True),
        ("llama3.1:70b", "false", False),
    ],
)
def test_capable_for_an_openai_compatible_model(model: str, setting: str, capable: bool) -> None:
    llm = build_llm(
        get_settings(
            llm_backend="openai-compatible", openai_base_url="http://127.0.0.1:9/v1", llm_model=model,
            llm_capable=setting,
        )
    )  # fmt: skip
    assert llm.capable is capable


def test_model_size_is_read_from_common_names() -> None:
    assert model_size_billions("llama3.1:8b") == 8
    assert model_size_billions("gemma-3-270m") == pytest.approx(0.27)
    assert model_size_billions("gpt-4o-mini") is None


def test_the_embedded_backend_is_never_capable_and_uses_its_models_route() -> None:
    for name, spec in EMBEDDED_MODELS.items():
        llm = build_llm(get_settings(llm_backend="embedded", embedded_model=name, llm_capable="true"))
        assert llm.backend == "embedded" and llm.capable is False
        assert llm.preferred_style == spec.style and llm.model_id == name
        assert isinstance(llm, LLM)
    assert EMBEDDED_MODELS["gemma3-270m"].style == "completions"
    assert EMBEDDED_MODELS["smollm2-135m"].style == "chat"


def test_a_missing_model_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.adapters.llm import weights

    monkeypatch.setattr(weights, "SMOLLM_DIST", "trainer-test-no-such-model")
    with pytest.raises(ConfigError) as exc:
        build_llm(get_settings(llm_backend="embedded", embedded_model="smollm2-135m"))
    assert "requirements-models.txt" in str(exc.value) and "make install" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        weights.locate_smollm2(Path("/nonexistent"))
    assert "trainer-test-no-such-model" in str(exc.value)


# ------------------------------------------------------------------------------------------------ scripted


def test_scripted_plays_queued_replies_in_order_and_records_every_call() -> None:
    llm = ScriptedLLM()
    llm.queue("Go on.", ["Two ", "minutes."], Dropped(["Trucks "]), {"score": 2}, LLMError("down"))
    assert llm.complete(CHAT).text == "Go on."
    stream = llm.stream(LLMRequest(prompt="Rep: hi\nDana:"))
    assert list(stream) == ["Two ", "minutes."] and stream.reply.status == "complete"
    dropped = llm.stream(CHAT)
    assert list(dropped) == ["Trucks "]
    assert dropped.reply.status == "interrupted" and dropped.reply.text == "Trucks "
    assert llm.structured([Message("user", "grade")], SCHEMA, name="grade") == {"score": 2}
    with pytest.raises(LLMError, match="down"):
        llm.complete(CHAT)
    assert [c.kind for c in llm.calls] == ["complete", "stream", "stream", "structured", "complete"]
    assert llm.calls[1].text == "Rep: hi\nDana:" and llm.calls[3].name == "grade"
    with pytest.raises(ScriptExhausted):
        llm.complete(CHAT)


def test_scripted_structured_checks_raw_text_like_a_real_model() -> None:
    llm = ScriptedLLM(['{"score": "high"}', "still not json"])
    with pytest.raises(StructuredOutputError):
        llm.structured([Message("user", "grade")], SCHEMA, name="grade")
    assert len(llm.calls) == 2 and "score" in llm.calls[1].messages[-1].content
    llm.queue("nope", '{"score": 1}')
    assert llm.structured([Message("user", "grade")], SCHEMA, name="grade") == {"score": 1}


def test_scripted_responder_answers_when_the_queue_is_empty() -> None:
    llm = ScriptedLLM(responder=lambda call: f"echo {len(call.text)}")
    assert llm.complete(LLMRequest(prompt="abc")).text == "echo 3"


def test_a_caller_that_stops_reading_gets_an_interrupted_reply() -> None:
    llm = ScriptedLLM([["One. ", "Two. ", "Three."]])
    stream = llm.stream(CHAT)
    iterator = iter(stream)
    assert next(iterator) == "One. "
    iterator.close()  # type: ignore[attr-defined]
    assert stream.reply.status == "interrupted" and stream.reply.text == "One. "


# ------------------------------------------------------------------------------------------------ embedded lock


class _FakeServer:
    """Stands in for the llama.cpp server process: the stub plays the server."""

    def __init__(self, stub: StubOpenAIServer):
        self.model = EMBEDDED_MODELS["smollm2-135m"]
        self.base_url = stub.base_url
        self.api_key = "k"
        self.running = False
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.running = True

    def stop(self) -> None:
        self.running = False

    def crash_note(self) -> str:
        return ""


def test_embedded_calls_run_one_at_a_time(stub_openai: StubOpenAIServer) -> None:
    server = _FakeServer(stub_openai)
    llm = EmbeddedLLM(server, timeout=5, max_retries=0)  # type: ignore[arg-type]
    stub_openai.push(*[Reply(chunks=["a ", "b ", "c"], chunk_delay_s=0.15)] * 3)
    finished: list[float] = []

    def call() -> None:
        stream = llm.stream(CHAT)
        list(stream)
        finished.append(stream.reply.total_s)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    starts = sorted(r.at for r in stub_openai.completion_requests())
    assert len(starts) == 3 and server.starts == 1  # started on demand, once
    assert all(b - a >= 0.4 for a, b in itertools.pairwise(starts)), "calls overlapped"


# ------------------------------------------------------------------------------------------------ CLI


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TRAINER_LLM", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-m", "trainer.cli.__main__", *args],
        capture_output=True, text=True, env={**clean, **env}, timeout=120,
    )  # fmt: skip


def compatible_env(url: str, **extra: str) -> dict[str, str]:
    return {
        "TRAINER_LLM_BACKEND": "openai-compatible", "OPENAI_BASE_URL": url, "TRAINER_LLM_MODEL": "stub-model",
        "TRAINER_LLM_TIMEOUT": "2", "TRAINER_LLM_MAX_RETRIES": "0", **extra,
    }  # fmt: skip


def test_llm_check_reports_backend_model_and_a_measured_round_trip(stub_openai: StubOpenAIServer) -> None:
    stub_openai.default_text = "Line is fine."
    r = run_cli("llm", "check", env=compatible_env(stub_openai.base_url))
    assert r.returncode == 0, r.stderr
    assert "backend: openai-compatible" in r.stdout and "model: stub-model" in r.stdout
    assert "first token" in r.stdout and "total" in r.stdout and "Line is fine." in r.stdout
    assert len(stub_openai.completion_requests()) == 1


def test_llm_check_explains_a_wrong_key_and_an_unreachable_server(stub_openai: StubOpenAIServer) -> None:
    stub_openai.api_key = "sk-right"
    r = run_cli("llm", "check", env=compatible_env(stub_openai.base_url, OPENAI_API_KEY="sk-wrong"))
    assert r.returncode == 2 and "error:" in r.stderr and "OPENAI_API_KEY" in r.stderr
    r = run_cli("llm", "check", env=compatible_env(refused_url()))
    assert r.returncode == 1 and "run failed: cannot reach" in r.stderr and "OPENAI_BASE_URL" in r.stderr
    for out in (r.stderr, r.stdout):
        assert "Traceback" not in out
