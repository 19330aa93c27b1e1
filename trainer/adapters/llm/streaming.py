"""The one LLMStream implementation: times the first token and the whole reply, and tells a complete reply from an
interrupted one. Backends feed it an iterator of `Piece`s; it never invents text."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from trainer.errors import TrainerError
from trainer.ports import LLMError, LLMReply, ReplyStatus


class Piece(NamedTuple):
    """A slice of a streamed reply: some text, and the finish reason once the model has finished."""

    text: str
    finish_reason: str | None = None


ErrorMapper = Callable[[BaseException], TrainerError]


def _as_is(exc: BaseException) -> TrainerError:
    return exc if isinstance(exc, TrainerError) else LLMError(f"model call failed: {exc}")


class TimedStream:
    """Iterate for text chunks; afterwards `reply` holds the whole reply.

    Nothing is sent until the first `next()`. Rules for what a caller sees:
    - the source finishes with a finish reason: status "complete";
    - the source fails or ends without a finish reason after some text: the iteration ends normally and the reply
      is "interrupted" with the partial text and the error;
    - it fails before any text arrived: the mapped error (LLMError, or a ConfigError such as a rejected key) is
      raised, because there is nothing to return;
    - the caller stops iterating early: the reply is "interrupted" (the caller stopped reading).
    """

    def __init__(self, open_source: Callable[[], Iterator[Piece]], *, model: str, map_error: ErrorMapper = _as_is):
        self._open_source = open_source
        self._model = model
        self._map_error = map_error
        self._reply: LLMReply | None = None
        self._failure: TrainerError | None = None
        self._iterator: Iterator[str] | None = None

    def __iter__(self) -> Iterator[str]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    @property
    def reply(self) -> LLMReply:
        """The whole reply. Reading it before the iteration ended consumes the rest of the stream."""
        if self._reply is None and self._failure is None:
            for _ in self:
                pass
        if self._failure is not None:
            raise self._failure
        assert self._reply is not None
        return self._reply

    def _finish(self, parts: list[str], t0: float, first: float | None, finish: str | None, error: str | None) -> None:
        status: ReplyStatus = "complete" if finish is not None and error is None else "interrupted"
        if status == "interrupted" and error is None:
            error = "the stream ended before the model finished its reply"
        self._reply = LLMReply(
            text="".join(parts),
            status=status,
            model=self._model,
            first_token_s=first,
            total_s=time.perf_counter() - t0,
            error=error,
            finish_reason=finish,
        )

    def _run(self) -> Iterator[str]:
        t0 = time.perf_counter()
        parts: list[str] = []
        first: float | None = None
        finish: str | None = None
        source: Iterator[Piece] | None = None
        try:
            source = self._open_source()
            for piece in source:
                if piece.finish_reason:
                    finish = piece.finish_reason
                if piece.text:
                    if first is None:
                        first = time.perf_counter() - t0
                    parts.append(piece.text)
                    yield piece.text
        except GeneratorExit:
            self._finish(parts, t0, first, None, "the caller stopped reading the stream")
            raise
        except Exception as exc:
            mapped = self._map_error(exc)
            if not parts:
                self._failure = mapped
                raise mapped from exc
            self._finish(parts, t0, first, None, str(mapped))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        if finish is None and not parts:
            self._failure = LLMError("the model's stream ended before any text and without finishing")
            raise self._failure
        self._finish(parts, t0, first, finish, None)
