"""The embedded backend: llama-cpp-python's OpenAI-compatible server, started by the app on a free loopback port
on first use, health-checked, and stopped with the app (atexit, its own process group, and a watchdog in the child
for when the app is killed). One model call at a time: two CPU-heavy calls at once slow both 3-4x on 2 cores."""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from trainer.adapters.llm.openai_llm import OpenAICompatibleLLM
from trainer.adapters.llm.streaming import Piece, TimedStream
from trainer.adapters.llm.weights import EmbeddedModel
from trainer.errors import ConfigError, TrainerError
from trainer.ports import LLMError, LLMReply, LLMRequest, Message

SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
BUILD_HINT = (
    "run `make install` (it builds llama-cpp-python[server]), or pick another backend with "
    "TRAINER_LLM_BACKEND=openai or openai-compatible"
)
T = TypeVar("T")
_live_servers: set[EmbeddedServer] = set()  # strong refs: a running server is stopped at exit


def _stop_all_servers() -> None:
    for server in list(_live_servers):
        server.stop()


atexit.register(_stop_all_servers)


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 2


def default_threads() -> int:
    """Half the CPUs, at least one, at most four. Measured on 2 busy cores: with 2 threads llama.cpp's spinning
    OpenMP workers collapse when anything else runs (13-35 s for a 40-token reply); 1 thread stays at 2-4 s."""
    return max(1, min(4, _cpus() // 2))


def batch_threads() -> int:
    """Every CPU, at most four, for reading the prompt (measured idle on 2 cores: first token p50 0.61 s with 2
    threads against 1.14 s with 1)."""
    return max(1, min(4, _cpus()))


class EmbeddedServer:
    """One `llama_cpp.server` child process serving one model file."""

    def __init__(
        self,
        model: EmbeddedModel,
        *,
        models_dir: Path,
        logs_dir: Path,
        start_timeout: float = 90.0,
        n_ctx: int = 4096,
        threads: int | None = None,
    ):
        self.model = model
        self.models_dir = Path(models_dir)
        self.logs_dir = Path(logs_dir)
        self.start_timeout = start_timeout
        self.n_ctx = n_ctx
        self.threads = threads or default_threads()
        # Reading the prompt is one batch that spreads well over every core and is what the first token waits for;
        # generating is token by token, where a second thread mostly contends with the app (see default_threads).
        self.batch_threads = max(self.threads, batch_threads())
        # Only this process can use its server. Hex, and passed as --api_key=KEY: a urlsafe token may start with "-",
        # which argparse takes for an option (the server then refuses to start, about one start in 64).
        self.api_key = secrets.token_hex(24)
        self.port: int | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._healthy = False  # came up at least once: its log is not needed after a clean stop

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise LLMError("the embedded model server is not started")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (the memory bench reads its peak RSS)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def command(self, model_file: Path) -> list[str]:
        """The server's command line (port and key as they are now)."""
        return [
            sys.executable, "-m", "trainer.adapters.llm.server_main", "--parent-pid", str(os.getpid()),
            "--model", str(model_file), "--model_alias", self.model.name,
            "--host", "127.0.0.1", "--port", str(self.port), f"--api_key={self.api_key}",
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads), "--n_threads_batch", str(self.batch_threads),
            # Logits for the last token only: the server's default computes them for every prompt token, which with
            # Gemma's 262k-word vocabulary was most of the time to first token (no route here asks for logprobs).
            "--logits_all", "False", "--verbose", "False",
        ]  # fmt: skip

    def start(self) -> None:
        """Start the server if it is not running (again, if it died). Raises ConfigError when something is not
        installed, LLMError when the server does not come up."""
        with self._lock:
            if self.running:
                return
            missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
            if missing:
                raise ConfigError(
                    f"the embedded backend needs llama-cpp-python[server] ({', '.join(missing)} missing): {BUILD_HINT}"
                )
            model_file = self.model.locate(self.models_dir)
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = self.logs_dir / f"llm-server-{self.model.name}-{os.getpid()}.log"
            self.port = free_loopback_port()
            cmd = self.command(model_file)
            with self.log_path.open("wb") as log:
                self._proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stop() takes down anything it spawned
                    # sleeping, not spinning, OpenMP workers: the app and the embedder share these cores
                    env={"OMP_WAIT_POLICY": "PASSIVE", **os.environ, "PYTHONUNBUFFERED": "1"},
                )
            _live_servers.add(self)
            self._wait_healthy()
            self._healthy = True

    def _wait_healthy(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        request = urllib.request.Request(f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"})
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise LLMError(
                    f"the embedded model server ({self.model.name}) exited while starting (exit code {code}). "
                    f"{self._log_tail()}Fix: {BUILD_HINT}."
                )
            try:
                with urllib.request.urlopen(request, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self._kill()
        raise LLMError(
            f"the embedded model server ({self.model.name}) did not answer within {self.start_timeout:g} s. "
            f"{self._log_tail()}Fix: {BUILD_HINT}."
        )

    def crash_note(self) -> str:
        """When the server died under a call (not stopped by us): what happened and how to fix it, else ""."""
        proc = self._proc
        if proc is None:
            return ""
        try:
            code = proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return ""
        if code >= 0:
            return f" The embedded model server exited (code {code}); it restarts on the next call. {self._log_tail()}"
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return (
            f" The embedded model server crashed ({name}); it restarts on the next call. A crash on every call means "
            "llama-cpp-python was built for another CPU (a reused wheel from pip's cache): rebuild it with "
            "CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install --force-reinstall --no-cache-dir --no-deps "
            "'llama-cpp-python==0.3.36'."
        )

    def _log_tail(self, lines: int = 8) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
        return f"Its log ({self.log_path}) ends: " + " | ".join(tail) + ". " if tail else ""

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        with self._lock:
            self._kill()
            if self.log_path is not None and self._healthy:
                self.log_path.unlink(missing_ok=True)  # kept when a start failed: the error message points to it
            _live_servers.discard(self)


class EmbeddedLLM:
    """The LLM protocol over an EmbeddedServer started on first use; calls are serialised with a lock."""

    backend = "embedded"
    capable = False  # tiny models phrase; they cannot read moves or grade

    def __init__(self, server: EmbeddedServer, *, timeout: float, max_retries: int):
        self.model_id = server.model.name
        self.preferred_style = server.model.style
        self.server = server
        self.timeout = timeout
        self.max_retries = max_retries
        self._client: OpenAICompatibleLLM | None = None
        self._call_lock = threading.Lock()
        self._queue_wait_s = max(60.0, 2 * timeout)

    def start(self) -> float:
        """Start the server now (it starts on the first call otherwise). Returns the seconds it took."""
        t0 = time.perf_counter()
        self._ensure()
        return time.perf_counter() - t0

    def stop(self) -> None:
        self.server.stop()

    def _ensure(self) -> OpenAICompatibleLLM:
        if not self.server.running or self._client is None:
            self.server.start()
            self._client = OpenAICompatibleLLM(
                backend="embedded",
                model=self.model_id,
                base_url=self.server.base_url,
                api_key=self.server.api_key,
                timeout=self.timeout,
                max_retries=self.max_retries,
                preferred_style=self.preferred_style,
                capable=False,
                json_mode="json_object",  # llama.cpp rejects json_schema; json_object + schema becomes a grammar
                label=f"the embedded model server ({self.model_id})",
                url_setting=None,
                key_setting=None,
            )
        return self._client

    @property
    def busy(self) -> bool:
        """A call is running or waiting: a read-ahead would only delay it (see Voice.prime)."""
        return self._call_lock.locked()

    def _acquire(self) -> None:
        if not self._call_lock.acquire(timeout=self._queue_wait_s):
            raise LLMError(f"the embedded model was busy with other calls for {self._queue_wait_s:g} s")

    def _map_error(self, exc: BaseException) -> TrainerError:
        if isinstance(exc, TrainerError):
            mapped: TrainerError = exc
        elif self._client is not None:
            mapped = self._client.map_error(exc)
        else:
            mapped = LLMError(f"embedded model call failed: {exc}")
        note = self.server.crash_note() if isinstance(mapped, LLMError) else ""
        return LLMError(f"{mapped}{note}") if note else mapped

    def _guarded(self, call: Callable[[OpenAICompatibleLLM], T]) -> T:
        """Run one call on the server, holding the lock; a server crash is named in the error."""
        self._acquire()
        try:
            return call(self._ensure())
        except LLMError as exc:
            raise self._map_error(exc) from exc
        finally:
            self._call_lock.release()

    def _locked_pieces(self, request: LLMRequest) -> Iterator[Piece]:
        self._acquire()
        try:
            yield from self._ensure().pieces(request)
        finally:
            self._call_lock.release()

    def stream(self, request: LLMRequest) -> TimedStream:
        return TimedStream(lambda: self._locked_pieces(request), model=self.model_id, map_error=self._map_error)

    def complete(self, request: LLMRequest) -> LLMReply:
        return self._guarded(lambda client: client.complete(request))

    def structured(self, messages: Sequence[Message], schema: dict[str, Any], *, name: str) -> dict[str, Any]:
        return self._guarded(lambda client: client.structured(messages, schema, name=name))
