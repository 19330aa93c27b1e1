"""A stub OpenAI-compatible HTTP server on loopback for tests: `/v1/chat/completions`, `/v1/completions` (both
streamed or not) and `/v1/models`. Tests queue what the next requests get; it records every request.

    stub.push(Reply("Go on."))                            # one reply (streamed in chunks if the client streams)
    stub.push(Reply(chunks=["Two ", "minutes."]))          # exact stream chunks
    stub.push(Status(429, headers={"Retry-After": "0.3"}))  # then the next queued action serves the retry
    stub.push(Status(500))
    stub.push(Slow(2.0, Reply("late")))                     # the first byte of the body after 2 s
    stub.push(Drop(["Partial ", "text"]))                   # streams these chunks, then cuts the connection
    stub.push(Hangup())                                      # closes the connection without any response
    stub.api_key = "sk-right"                               # requests with another bearer token get 401

With nothing queued it answers `Reply(stub.default_text)`. `refused_url()` gives a URL where nothing listens.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    chunks: list[str] | None = None  # how a streamed reply is cut; default: word by word
    finish_reason: str = "stop"
    chunk_delay_s: float = 0.0

    def stream_chunks(self) -> list[str]:
        if self.chunks is not None:
            return self.chunks
        words = self.text.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]

    @property
    def full_text(self) -> str:
        return "".join(self.chunks) if self.chunks is not None else self.text


@dataclass
class Status:
    code: int
    message: str = "stub error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Slow:
    delay_s: float
    then: Reply = field(default_factory=Reply)
    before_headers: bool = False  # False: headers at once, body (first token) late, as a streaming server does


@dataclass
class Drop:
    chunks: list[str]  # sent, then the connection is cut (streamed requests; a plain request just gets cut)


@dataclass
class Hangup:
    pass


Action = Reply | Status | Slow | Drop | Hangup


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    at: float
    chunks_sent: int = 0  # text chunks of a streamed reply written before it ended
    client_left: bool = False  # the client closed the connection before the stream's end
    served: threading.Event = field(default_factory=threading.Event, repr=False)  # the stub is done with it

    @property
    def stream(self) -> bool:
        return bool(self.body and self.body.get("stream"))


class StubOpenAIServer:
    def __init__(self, *, api_key: str | None = None, default_text: str = "ok", model: str = "stub-model"):
        self.api_key = api_key
        self.default_text = default_text
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Action] = deque()
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------------- control

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def push(self, *actions: Action) -> StubOpenAIServer:
        with self._lock:
            self._queue.extend(actions)
        return self

    def completion_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("completions")]

    def start(self) -> StubOpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="stub-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StubOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_action(self) -> Action:
        with self._lock:
            return self._queue.popleft() if self._queue else Reply(self.default_text)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops its connection (a timeout test, a closed keep-alive) is normal here."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def refused_url() -> str:
    """A loopback base URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _make_handler(stub: StubOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else small writes wait ~40 ms on delayed ACKs

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._record(None)
            if not self._authorised():
                return
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": stub.model, "object": "model", "owned_by": "stub"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            self._record(body)
            if not self._authorised():
                return
            if not self.path.endswith(("/chat/completions", "/completions")):
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            try:
                self._serve(stub._next_action(), body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test): fine
                self.close_connection = True
            finally:
                stub.requests[-1].served.set()

        # ---------------------------------------------------------------- helpers

        def _record(self, body: dict[str, Any] | None) -> None:
            stub.requests.append(
                RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                time.monotonic())
            )  # fmt: skip

        def _authorised(self) -> bool:
            if stub.api_key is None or self.headers.get("Authorization") == f"Bearer {stub.api_key}":
                return True
            self._json(
                401,
                {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                           "code": "invalid_api_key"}},
            )  # fmt: skip
            return False

        def _json(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def _cut(self) -> None:
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _serve(self, action: Action, body: dict[str, Any]) -> None:
            chat = self.path.endswith("/chat/completions")
            streaming = bool(body.get("stream"))
            if isinstance(action, Hangup):
                self._cut()
                return
            if isinstance(action, Status):
                self._json(action.code, {"error": {"message": action.message, "type": "stub"}}, action.headers)
                return
            delay, before_headers = 0.0, False
            if isinstance(action, Slow):
                delay, before_headers, action = action.delay_s, action.before_headers, action.then
            if not streaming:
                time.sleep(delay)
                if isinstance(action, Drop):
                    self._cut()
                    return
                self._json(200, _full_payload(chat, stub.model, action.full_text, action.finish_reason))
                return
            if before_headers:
                time.sleep(delay)
                delay = 0.0
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            time.sleep(delay)
            try:
                if chat:
                    self._event(_chunk(chat, stub.model, None, None, role=True))
                chunks = action.chunks if isinstance(action, Drop) else action.stream_chunks()
                record = stub.requests[-1]
                for piece in chunks:
                    self._event(_chunk(chat, stub.model, piece, None))
                    record.chunks_sent += 1
                    if isinstance(action, Reply) and action.chunk_delay_s:
                        time.sleep(action.chunk_delay_s)
                if isinstance(action, Drop):
                    self._cut()
                    return
                self._event(_chunk(chat, stub.model, "", action.finish_reason))
                self._send_chunk(b"data: [DONE]\n\n")
                self._send_chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                stub.requests[-1].client_left = True
                self.close_connection = True

        def _event(self, payload: dict[str, Any]) -> None:
            self._send_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

        def _send_chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


def _full_payload(chat: bool, model: str, text: str, finish: str) -> dict[str, Any]:
    if chat:
        return {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }  # fmt: skip
    return {
        "id": "cmpl-stub", "object": "text_completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def _chunk(chat: bool, model: str, text: str | None, finish: str | None, role: bool = False) -> dict[str, Any]:
    if chat:
        delta: dict[str, Any] = {"role": "assistant", "content": ""} if role else {"content": text}
        return {
            "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta if not finish else {}, "finish_reason": finish}],
        }  # fmt: skip
    return {
        "id": "cmpl-stub", "object": "text_completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "text": text or "", "finish_reason": finish, "logprobs": None}],
    }  # fmt: skip
