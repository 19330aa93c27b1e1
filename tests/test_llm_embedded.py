"""The embedded backend: weights from the model packages, the llama.cpp server's start, failure and stop. The two
tests marked `embedded` run the real model (installed from requirements-models.txt)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trainer.adapters.llm import weights
from trainer.adapters.llm.embedded import EmbeddedServer
from trainer.adapters.llm.weights import EmbeddedModel
from trainer.errors import ConfigError
from trainer.ports import LLMError, LLMRequest, Message
from trainer.settings import get_settings
from trainer.wiring import build_llm

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_a_model_file_that_will_not_load_gives_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "broken.gguf"
    junk.write_bytes(b"not a model" * 100)
    model = EmbeddedModel("broken", "chat", "a broken file", locate=lambda _d: junk, installed=lambda: True)
    server = EmbeddedServer(model, models_dir=tmp_path, logs_dir=tmp_path / "logs", start_timeout=60)
    with pytest.raises(LLMError) as exc:
        server.start()
    message = str(exc.value)
    assert "exited while starting" in message and "make install" in message and "TRAINER_LLM_BACKEND" in message
    assert not server.running
    assert server.log_path is not None and server.log_path.exists()  # kept for the user to read


def test_the_server_reads_its_key_even_when_it_looks_like_an_option(tmp_path: Path) -> None:
    """A key the server's own argument parser misreads (one starting with "-") kept it from starting now and then."""
    pytest.importorskip("llama_cpp.server.cli")
    import argparse

    from llama_cpp.server.cli import add_args_from_model
    from llama_cpp.server.settings import Settings

    model = EmbeddedModel("m", "chat", "a model", locate=lambda _d: tmp_path, installed=lambda: True)
    server = EmbeddedServer(model, models_dir=tmp_path, logs_dir=tmp_path)
    server.port = 8123
    parser = argparse.ArgumentParser()
    add_args_from_model(parser, Settings)
    for key in (server.api_key, "-starts-with-a-dash", "--double"):
        server.api_key = key
        args = parser.parse_args(server.command(tmp_path / "model.gguf")[5:])  # what server_main hands on
        assert args.api_key == key and args.port == 8123


def test_a_server_that_crashes_under_a_call_is_named_with_the_fix(tmp_path: Path) -> None:
    model = EmbeddedModel("m", "chat", "a model", locate=lambda _d: tmp_path, installed=lambda: True)
    server = EmbeddedServer(model, models_dir=tmp_path, logs_dir=tmp_path)
    server._proc = subprocess.Popen([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])
    server._proc.wait(timeout=30)
    note = server.crash_note()
    assert "crashed (SIGSEGV)" in note and "rebuild it" in note and "--no-cache-dir" in note


def test_gemma_is_assembled_and_refused_when_it_does_not_match_its_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weights, "_expected_gemma_sha", lambda: "0" * 64)
    with pytest.raises(ConfigError) as exc:
        weights.locate_gemma3(tmp_path)
    assert "SHA256SUMS" in str(exc.value) and "reinstall" in str(exc.value)
    assert list(tmp_path.iterdir()) == []  # no half-written or unverified file left behind


@pytest.mark.embedded
def test_the_embedded_model_answers_a_real_prompt(tmp_path: Path) -> None:
    """The default model phrases a COO line through its route; structured output is valid JSON for the schema."""
    settings = get_settings(llm_backend="embedded", data_dir=tmp_path, llm_timeout=60)
    llm = build_llm(settings)
    try:
        if llm.preferred_style == "completions":
            request = LLMRequest(
                prompt="Phone call transcript. Dana Okafor is the COO of Northway Distribution.\n\n"
                "Dana: Northway, Dana speaking.\nRep: Hi Dana, it's Sam. Have you got two minutes?\nDana:",
                max_tokens=40, stop=("\nRep:", "\n\n"), seed=7,
            )  # fmt: skip
        else:
            request = LLMRequest(
                messages=(Message("system", "You are Dana, a busy COO on the phone."),
                          Message("user", "Hi Dana, it's Sam. Have you got two minutes?")),
                max_tokens=40, seed=7,
            )  # fmt: skip
        stream = llm.stream(request)
        chunks = list(stream)
        reply = stream.reply
        assert reply.status == "complete" and reply.text.strip() and "".join(chunks) == reply.text
        assert reply.first_token_s is not None and reply.first_token_s < reply.total_s < 60
        schema = {
            "type": "object",
            "properties": {"mood": {"type": "string", "enum": ["busy", "curious", "annoyed"]}},
            "required": ["mood"],
        }
        result = llm.structured([Message("user", "How does Dana feel about a cold call?")], schema, name="mood")
        assert result["mood"] in {"busy", "curious", "annoyed"}
        assert (tmp_path / "models").is_dir()  # weights assembled under the data dir, not in a home cache
    finally:
        llm.stop()  # type: ignore[attr-defined]


@pytest.mark.embedded
def test_the_embedded_server_goes_away_with_the_app(tmp_path: Path) -> None:
    """Normal exit (atexit) and a killed app (the child's watchdog) both take the server down."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from trainer.settings import get_settings
        from trainer.wiring import build_llm
        llm = build_llm(get_settings(llm_backend="embedded", embedded_model="smollm2-135m", data_dir={str(tmp_path)!r}))
        llm.start()
        print(llm.server._proc.pid, llm.server.port, flush=True)
        if sys.argv[1] == "hang":
            time.sleep(120)
        """
    )
    pids = []
    for mode in ("exit", "hang"):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, mode], stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
        )
        assert proc.stdout is not None
        pid, _port = map(int, proc.stdout.readline().split())
        pids.append(pid)
        if mode == "hang":
            assert _alive(pid)
            os.kill(proc.pid, signal.SIGKILL)  # no atexit: the watchdog must notice
        proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(pid), f"server {pid} outlived the app ({mode})"
