"""The seams between the core and the vendors. Adapters implement these; `trainer.wiring` picks one from settings.

Core code (understanding, engine, voice, grader, services) depends only on these protocols, so tests can hand it
a scripted model, a fake store or the real thing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from trainer.errors import RunError

# ---------------------------------------------------------------------------------------------------- embeddings


@runtime_checkable
class Embedder(Protocol):
    """Sentence embeddings: one row per text, float32, L2-normalised (so a dot product is the cosine)."""

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


# ---------------------------------------------------------------------------------------------------- LLMs

Role = Literal["system", "user", "assistant"]
ReplyStatus = Literal["complete", "interrupted"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class LLMRequest:
    """One model call. Exactly one of `messages` (chat route) or `prompt` (completions route) is set."""

    messages: tuple[Message, ...] | None = None
    prompt: str | None = None
    max_tokens: int = 120
    temperature: float = 0.7
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("LLMRequest needs exactly one of messages or prompt")


@dataclass
class LLMReply:
    text: str
    status: ReplyStatus
    model: str
    first_token_s: float | None
    total_s: float
    error: str | None = None  # why a reply is interrupted
    finish_reason: str | None = None  # as the server said it: "stop", "length" (hit max_tokens), ...; None if cut


class LLMStream(Protocol):
    """Iterate for text chunks as they arrive; after the iteration ends, `reply` holds the whole reply.

    A stream that drops mid-way ends the iteration normally and sets `reply.status = "interrupted"` with the
    partial text: callers never mistake a partial reply for a complete one.
    """

    def __iter__(self) -> Iterator[str]: ...

    @property
    def reply(self) -> LLMReply: ...


@runtime_checkable
class LLM(Protocol):
    """A model the core can call. Failures: `LLMError` (timeout, connection, server error, after the configured
    retries) or `trainer.errors.ConfigError` when the user must fix something (a rejected API key, missing model
    files). A stream raises on iteration only when no text arrived; otherwise it returns the partial text marked
    "interrupted"."""

    backend: str  # embedded | openai | openai-compatible | scripted
    model_id: str
    # Which route phrases best with this model: "chat" (messages) or "completions" (a transcript to continue).
    preferred_style: Literal["chat", "completions"]
    # True when the model is strong enough to read moves and grade (a hosted model); tiny local models are not.
    capable: bool

    def stream(self, request: LLMRequest) -> LLMStream: ...

    def complete(self, request: LLMRequest) -> LLMReply: ...

    def structured(self, messages: Sequence[Message], schema: dict[str, Any], *, name: str) -> dict[str, Any]:
        """JSON matching `schema`. One repair retry on invalid output, then StructuredOutputError."""
        ...


class LLMError(RunError):
    """A model call failed (timeout, connection, server error) after the configured retries."""


class StructuredOutputError(LLMError):
    """The model's output was not valid JSON for the schema, even after one repair attempt."""


# ---------------------------------------------------------------------------------------------------- playbook store


@dataclass(frozen=True)
class Passage:
    id: str
    heading_path: str  # "Movement 2 – Constraint Framing (Middle) > Effective framing with COOs"
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    score: float | None = None  # similarity, higher is better, when it came from a search


class StoreUnavailable(RunError):
    """The vector store cannot be reached or opened."""


@runtime_checkable
class PassageSearch(Protocol):
    def search(self, query: str, k: int = 3, where: dict[str, Any] | None = None) -> list[Passage]: ...

    def get(self, ids: Sequence[str]) -> list[Passage]: ...

    def count(self) -> int: ...

    def all_passages(self) -> list[Passage]:
        """Every stored passage, by source file then in document order."""
        ...
