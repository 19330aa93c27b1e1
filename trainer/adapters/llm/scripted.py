"""A scripted LLM for tests (like simonw/llm's MockModel): tests queue replies, it plays them back in order and
records every request it was sent. No network, no model.

    llm = ScriptedLLM()
    llm.queue("Go on.")                          # a reply, streamed as one chunk
    llm.queue(["Two ", "minutes."])               # a reply streamed in these chunks
    llm.queue(Dropped(["Partial "]))              # a stream that breaks off: partial text, status interrupted
    llm.queue({"score": 2})                       # what the next structured() call returns
    llm.queue('{"score": "x"}')                   # raw text for structured(): checked like a real reply
    llm.queue(LLMError("boom"))                   # raised by the call that takes it
    llm.calls                                     # every call: kind, request / messages, schema, name

With the queue empty it asks `responder(call)` if one was given, else raises ScriptExhausted (an LLMError, so code
that falls back on a failed model call falls back here too: that is what the scripted backend does when chosen by
settings, where nothing is queued).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from trainer.adapters.llm.streaming import Piece, TimedStream
from trainer.adapters.llm.structured import structured_with_repair
from trainer.ports import LLMError, LLMReply, LLMRequest, Message


@dataclass(frozen=True)
class Dropped:
    """A stream that sends these chunks and then breaks off."""

    chunks: list[str]
    error: str = "scripted drop: the connection broke mid-reply"


ScriptedReply = str | list[str] | Dropped | dict[str, Any] | BaseException


@dataclass
class ScriptedCall:
    kind: Literal["stream", "complete", "structured"]
    request: LLMRequest | None = None
    messages: list[Message] = field(default_factory=list)
    schema: dict[str, Any] | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """What the model was given, as one string (prompt, or the messages' contents)."""
        if self.request is not None and self.request.prompt is not None:
            return self.request.prompt
        msgs = self.request.messages if self.request is not None and self.request.messages else self.messages
        return "\n".join(m.content for m in msgs)


class ScriptExhausted(LLMError):
    """The scripted LLM was called with nothing queued and no responder."""


class ScriptedLLM:
    backend = "scripted"

    def __init__(
        self,
        replies: Sequence[ScriptedReply] = (),
        *,
        model_id: str = "scripted",
        preferred_style: Literal["chat", "completions"] = "chat",
        capable: bool = False,
        responder: Callable[[ScriptedCall], ScriptedReply] | None = None,
    ):
        self.model_id = model_id
        self.preferred_style: Literal["chat", "completions"] = preferred_style
        self.capable = capable
        self.responder = responder
        self.calls: list[ScriptedCall] = []
        self._queue: deque[ScriptedReply] = deque(replies)
        self._lock = threading.Lock()

    def queue(self, *replies: ScriptedReply) -> ScriptedLLM:
        with self._lock:
            self._queue.extend(replies)
        return self

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def requests(self) -> list[LLMRequest]:
        """The text requests sent (stream and complete), in order."""
        return [c.request for c in self.calls if c.request is not None]

    def _take(self, call: ScriptedCall) -> ScriptedReply:
        with self._lock:
            self.calls.append(call)
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(call)
        raise ScriptExhausted(f"scripted LLM: no reply queued for this {call.kind} call (call {len(self.calls)})")

    # ------------------------------------------------------------------------------------------------ LLM

    def stream(self, request: LLMRequest) -> TimedStream:
        call = ScriptedCall("stream", request=request)
        return TimedStream(lambda: self._pieces(call), model=self.model_id)

    def complete(self, request: LLMRequest) -> LLMReply:
        t0 = time.perf_counter()
        reply = self._take(ScriptedCall("complete", request=request))
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, Dropped):
            raise LLMError(reply.error)
        return LLMReply(
            text=_text_of(reply),
            status="complete",
            model=self.model_id,
            first_token_s=None,
            total_s=time.perf_counter() - t0,
            finish_reason="stop",
        )

    def structured(self, messages: Sequence[Message], schema: dict[str, Any], *, name: str) -> dict[str, Any]:
        def ask(convo: list[Message]) -> str:
            reply = self._take(ScriptedCall("structured", messages=list(convo), schema=schema, name=name))
            if isinstance(reply, BaseException):
                raise reply
            if isinstance(reply, Dropped):
                raise LLMError(reply.error)
            return _text_of(reply)

        return structured_with_repair(ask, list(messages), schema, name)

    def _pieces(self, call: ScriptedCall) -> Iterator[Piece]:
        reply = self._take(call)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, Dropped):
            for chunk in reply.chunks:
                yield Piece(chunk)
            raise LLMError(reply.error)
        chunks = reply if isinstance(reply, list) else [_text_of(reply)]
        for chunk in chunks:
            yield Piece(chunk)
        yield Piece("", "stop")


def _text_of(reply: str | list[str] | dict[str, Any]) -> str:
    if isinstance(reply, dict):
        return json.dumps(reply)
    if isinstance(reply, list):
        return "".join(reply)
    return reply
