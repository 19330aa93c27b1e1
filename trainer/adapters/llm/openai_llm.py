"""OpenAI and any OpenAI-compatible server (vLLM, Ollama, LM Studio, llama.cpp server) through the `openai` package:
streaming chat and completions, with an explicit timeout and retry count on every client. Structured output goes
through langchain-openai's ChatOpenAI, with the JSON mode the server accepts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import openai

from trainer.adapters.llm.streaming import Piece, TimedStream
from trainer.adapters.llm.structured import json_instruction, structured_with_repair
from trainer.errors import ConfigError, TrainerError
from trainer.ports import LLMError, LLMReply, LLMRequest, Message

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

JsonMode = Literal["json_schema", "json_object", "none"]
NO_KEY = "no-key"  # the openai client insists on a key; servers that need none ignore it
STRUCTURED_MAX_TOKENS = 800


class OpenAICompatibleLLM:
    """An LLM behind an OpenAI-style HTTP API.

    `label` names the server in error messages; `url_setting` / `key_setting` name the settings a user changes to
    fix them (None when the user does not configure them, as for the embedded server).
    """

    def __init__(
        self,
        *,
        backend: str,
        model: str,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        preferred_style: Literal["chat", "completions"] = "chat",
        capable: bool = False,
        json_mode: JsonMode = "json_schema",
        label: str | None = None,
        url_setting: str | None = "OPENAI_BASE_URL",
        key_setting: str | None = "OPENAI_API_KEY",
    ):
        self.backend = backend
        self.model_id = model
        self.preferred_style: Literal["chat", "completions"] = preferred_style
        self.capable = capable
        self.json_mode: JsonMode = json_mode
        self.timeout = timeout
        self.max_retries = max_retries
        self.base_url = base_url
        self._api_key = api_key
        self._label = label or (f"the server at {base_url}" if base_url else "the OpenAI API")
        self._url_setting = url_setting
        self._key_setting = key_setting
        self._client = openai.OpenAI(
            api_key=api_key or NO_KEY, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._chat_model: ChatOpenAI | None = None
        self._chat_model_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------------ text

    def stream(self, request: LLMRequest) -> TimedStream:
        return TimedStream(lambda: self.pieces(request), model=self.model_id, map_error=self.map_error)

    def complete(self, request: LLMRequest) -> LLMReply:
        """One reply, not streamed (first_token_s is None: the text arrives all at once)."""
        t0 = time.perf_counter()
        try:
            if request.messages is not None:
                chat = self._client.chat.completions.create(
                    model=self.model_id, messages=_openai_messages(request.messages), **_sampling(request)
                )
                choice = chat.choices[0]
                text, finish = choice.message.content or "", choice.finish_reason
            else:
                assert request.prompt is not None
                comp = self._client.completions.create(model=self.model_id, prompt=request.prompt, **_sampling(request))
                text, finish = comp.choices[0].text or "", comp.choices[0].finish_reason
        except Exception as exc:
            raise self.map_error(exc) from exc
        return LLMReply(
            text=text,
            status="complete",
            model=self.model_id,
            first_token_s=None,
            total_s=time.perf_counter() - t0,
            finish_reason=finish,
        )

    def pieces(self, request: LLMRequest) -> Iterator[Piece]:
        """The raw streamed pieces of one request. The openai package retries until the stream starts; a stream
        that breaks after text arrived is not retried (the text is already out) and is reported as a drop."""
        if request.messages is not None:
            chat_stream = self._client.chat.completions.create(
                model=self.model_id, messages=_openai_messages(request.messages), stream=True, **_sampling(request)
            )
            chunks: Iterator[Piece] = (
                Piece(c.delta.content or "", c.finish_reason) for chunk in chat_stream for c in chunk.choices[:1]
            )
            response: Any = chat_stream
        else:
            assert request.prompt is not None
            comp_stream = self._client.completions.create(
                model=self.model_id, prompt=request.prompt, stream=True, **_sampling(request)
            )
            chunks = (Piece(c.text or "", c.finish_reason) for chunk in comp_stream for c in chunk.choices[:1])
            response = comp_stream
        got_text = False
        try:
            for piece in chunks:
                got_text = got_text or bool(piece.text)
                yield piece
        except openai.APITimeoutError as exc:
            said = "stopped sending text" if got_text else "accepted the request but sent no text"
            raise LLMError(
                f"{self._label} {said} for {self.timeout:g} s (TRAINER_LLM_TIMEOUT); a started stream is not retried"
            ) from exc
        except openai.APIConnectionError as exc:
            if not got_text:
                raise
            cause = exc.__cause__ or exc
            raise LLMError(f"{self._label} dropped the stream mid-reply ({type(cause).__name__}: {cause})") from exc
        finally:
            response.close()

    # ------------------------------------------------------------------------------------------------ JSON

    def structured(self, messages: Sequence[Message], schema: dict[str, Any], *, name: str) -> dict[str, Any]:
        convo = [json_instruction(schema, name), *messages]
        return structured_with_repair(lambda m: self._ask_json(m, schema, name), convo, schema, name)

    def _response_format(self, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        if self.json_mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": _schema_name(name), "schema": schema}}
        if self.json_mode == "json_object":
            # llama.cpp server rejects json_schema but turns `schema` here into a grammar; others ignore the key.
            return {"type": "json_object", "schema": schema}
        return None

    def _ask_json(self, messages: list[Message], schema: dict[str, Any], name: str) -> str:
        from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

        kinds: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        lc_messages = [kinds[m.role](content=m.content) for m in messages]
        fmt = self._response_format(schema, name)
        # Sent through extra_body so that LangChain passes it to the server as is (its own structured-output
        # helpers would send json_schema, which llama.cpp rejects).
        kwargs: dict[str, Any] = {"extra_body": {"response_format": fmt}} if fmt else {}
        try:
            result = self._chat().invoke(lc_messages, **kwargs)
        except Exception as exc:
            raise self.map_error(exc) from exc
        content = result.content
        return content if isinstance(content, str) else "".join(str(p) for p in content)

    def _chat(self) -> ChatOpenAI:
        with self._chat_model_lock:
            if self._chat_model is None:
                from langchain_openai import ChatOpenAI
                from pydantic import SecretStr

                self._chat_model = ChatOpenAI(
                    model=self.model_id,
                    base_url=self.base_url,
                    api_key=SecretStr(self._api_key or NO_KEY),
                    timeout=self.timeout,  # LangChain's default is no timeout at all
                    max_retries=self.max_retries,
                    temperature=0,
                    max_tokens=STRUCTURED_MAX_TOKENS,  # type: ignore[call-arg]
                )
            return self._chat_model

    # ------------------------------------------------------------------------------------------------ errors

    def map_error(self, exc: BaseException) -> TrainerError:
        """The openai package's exception as the project's error, saying what to change."""
        if isinstance(exc, TrainerError):
            return exc
        where = self._label
        tries = f"{self.max_retries + 1} attempt{'s' if self.max_retries else ''}"
        fix_url = f" Check {self._url_setting}." if self._url_setting else ""
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            if self._key_setting is None:
                return LLMError(f"{where} refused the request (HTTP {exc.status_code}): {_server_message(exc)}")
            sent = "no API key was sent" if not self._api_key else "the API key was rejected"
            return ConfigError(
                f"{where} refused the request (HTTP {exc.status_code}): {sent}. "
                f"Set {self._key_setting} to a valid key for this server."
            )
        if isinstance(exc, openai.NotFoundError):
            return ConfigError(
                f"{where} answered HTTP 404 for model {self.model_id!r}: {_server_message(exc)}. "
                f"Set TRAINER_LLM_MODEL to a model it serves.{fix_url}"
            )
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(
                f"{where} did not answer within {self.timeout:g} s (TRAINER_LLM_TIMEOUT), {tries} "
                f"(TRAINER_LLM_MAX_RETRIES={self.max_retries})"
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return LLMError(f"cannot reach {where} ({type(cause).__name__}: {cause}), {tries}.{fix_url}")
        if isinstance(exc, openai.RateLimitError):
            return LLMError(f"{where} is rate-limiting (HTTP 429) after {tries}: {_server_message(exc)}")
        if isinstance(exc, openai.APIStatusError):
            hint = ""
            text = _server_message(exc)
            if "json_object" in text and self.json_mode == "json_schema":
                hint = " This server does not take JSON schemas: set TRAINER_LLM_JSON_MODE=json_object."
            return LLMError(f"{where} failed (HTTP {exc.status_code}) after {tries}: {text}.{hint}")
        if isinstance(exc, openai.OpenAIError):
            return LLMError(f"{where} failed: {exc}")
        return LLMError(f"{where} failed: {type(exc).__name__}: {exc}")


def _openai_messages(messages: Sequence[Message]) -> list[Any]:
    return [{"role": m.role, "content": m.content} for m in messages]


def _sampling(request: LLMRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"max_tokens": request.max_tokens, "temperature": request.temperature}
    if request.stop:
        out["stop"] = list(request.stop)[:4]  # the OpenAI API takes at most four
    if request.seed is not None:
        out["seed"] = request.seed
    return out


def _schema_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
    return cleaned[:64] or "reply"


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(body.get("detail"), str | list):
            return str(body["detail"])[:300]
    return str(exc.message)[:300]
