"""The OpenAI-compatible adapter against a stub server on loopback: every fault a caller can meet, and what the
caller sees. Clients are built from settings, the way the app builds them."""

from __future__ import annotations

import time

import pytest

from tests.stub_openai_server import Drop, Reply, Slow, Status, StubOpenAIServer, refused_url
from trainer.errors import ConfigError
from trainer.ports import LLM, LLMError, LLMRequest, Message, StructuredOutputError
from trainer.settings import get_settings
from trainer.wiring import build_llm

CHAT = LLMRequest(messages=(Message("system", "You are Dana."), Message("user", "Got two minutes?")), max_tokens=40)
PROMPT = LLMRequest(prompt="Rep: Got two minutes?\nDana:", stop=("\nRep:",), max_tokens=40)
SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "integer", "enum": [0, 1, 2, 3]}, "why": {"type": "string"}},
    "required": ["score", "why"],
}


def compatible_llm(base_url: str, **overrides: object) -> LLM:
    settings = {
        "llm_backend": "openai-compatible",
        "openai_base_url": base_url,
        "llm_model": "stub-model",
        "llm_timeout": 2.0,
        "llm_max_retries": 2,
        "openai_api_key": None,
        **overrides,
    }
    return build_llm(get_settings(**settings))


@pytest.mark.parametrize("request_", [CHAT, PROMPT], ids=["chat", "completions"])
def test_a_stream_yields_the_reply_in_order_and_times_it(stub_openai: StubOpenAIServer, request_: LLMRequest) -> None:
    stub_openai.push(Reply(chunks=["Fine, ", "you've got ", "two minutes."]))
    llm = compatible_llm(stub_openai.base_url)
    stream = llm.stream(request_)
    assert list(stream) == ["Fine, ", "you've got ", "two minutes."]
    reply = stream.reply
    assert (reply.text, reply.status, reply.finish_reason, reply.model) == (
        "Fine, you've got two minutes.", "complete", "stop", "stub-model",
    )  # fmt: skip
    assert reply.first_token_s is not None and 0 < reply.first_token_s <= reply.total_s
    [sent] = stub_openai.completion_requests()
    assert sent.stream and sent.body is not None and sent.body["model"] == "stub-model"
    assert sent.body["max_tokens"] == 40
    if request_.prompt is not None:
        assert sent.path == "/v1/completions" and sent.body["prompt"] == request_.prompt
        assert sent.body["stop"] == ["\nRep:"]
    else:
        assert sent.path == "/v1/chat/completions"
        assert [m["role"] for m in sent.body["messages"]] == ["system", "user"]


def test_complete_returns_the_whole_reply_unstreamed(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(Reply("Who is this?", finish_reason="length"))
    reply = compatible_llm(stub_openai.base_url).complete(PROMPT)
    assert (reply.text, reply.status, reply.finish_reason, reply.first_token_s) == (
        "Who is this?", "complete", "length", None,
    )  # fmt: skip
    assert stub_openai.completion_requests()[0].stream is False


@pytest.mark.parametrize("call", ["stream", "complete", "structured"])
def test_a_slow_first_token_past_the_timeout_fails_with_the_setting_named(
    stub_openai: StubOpenAIServer, call: str
) -> None:
    stub_openai.push(Slow(3.0, Reply("too late")), Slow(3.0, Reply("too late")))
    llm = compatible_llm(stub_openai.base_url, llm_timeout=0.4, llm_max_retries=1)
    t0 = time.monotonic()
    with pytest.raises(LLMError) as exc:
        if call == "stream":
            list(llm.stream(CHAT))
        elif call == "complete":
            llm.complete(CHAT)
        else:
            llm.structured([Message("user", "grade")], SCHEMA, name="grade")
    assert time.monotonic() - t0 < 2.8, "the timeout was not applied"
    assert "TRAINER_LLM_TIMEOUT" in str(exc.value)
    if call == "stream":  # the headers came at once: a stream that started is not replayed
        assert len(stub_openai.completion_requests()) == 1
    else:  # nothing came at all: one try + one retry, as configured
        assert "2 attempts" in str(exc.value)
        assert len(stub_openai.completion_requests()) == 2


def test_connection_refused_says_the_server_cannot_be_reached() -> None:
    url = refused_url()
    llm = compatible_llm(url, llm_max_retries=1)
    with pytest.raises(LLMError) as exc:
        list(llm.stream(CHAT))
    message = str(exc.value)
    assert "cannot reach" in message and url in message and "OPENAI_BASE_URL" in message


def test_429_with_retry_after_backs_off_and_the_caller_sees_one_reply(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(Status(429, "slow down", headers={"Retry-After": "0.5"}), Reply(chunks=["Go ", "on."]))
    stream = compatible_llm(stub_openai.base_url).stream(CHAT)
    assert list(stream) == ["Go ", "on."]
    assert stream.reply.text == "Go on." and stream.reply.status == "complete"
    first, second = stub_openai.completion_requests()
    assert second.at - first.at >= 0.45, "Retry-After was not honoured"


def test_500_then_success_returns_the_success(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(Status(500, "boom"), Reply("Right. And?"))
    reply = compatible_llm(stub_openai.base_url).complete(CHAT)
    assert reply.text == "Right. And?"
    assert len(stub_openai.completion_requests()) == 2


def test_500_every_time_gives_up_after_the_configured_retries(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(*[Status(500, "model crashed")] * 3)
    with pytest.raises(LLMError) as exc:
        compatible_llm(stub_openai.base_url, llm_max_retries=2).complete(CHAT)
    assert "HTTP 500" in str(exc.value) and "model crashed" in str(exc.value)
    assert len(stub_openai.completion_requests()) == 3


@pytest.mark.parametrize("request_", [CHAT, PROMPT], ids=["chat", "completions"])
def test_a_stream_dropped_mid_reply_returns_the_partial_text_marked_interrupted(
    stub_openai: StubOpenAIServer, request_: LLMRequest
) -> None:
    stub_openai.push(Drop(["Trucks sit ", "forty minutes "]))
    stream = compatible_llm(stub_openai.base_url).stream(request_)
    assert list(stream) == ["Trucks sit ", "forty minutes "]
    reply = stream.reply
    assert reply.status == "interrupted" and reply.text == "Trucks sit forty minutes "
    assert reply.error and "mid-reply" in reply.error
    assert len(stub_openai.completion_requests()) == 1  # a started stream is not replayed


def test_a_stream_cut_before_any_text_raises(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(*[Drop([])] * 3)
    with pytest.raises(LLMError):
        list(compatible_llm(stub_openai.base_url).stream(CHAT))


def test_invalid_json_gets_one_repair_request_then_a_typed_error(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(Reply("Sure! The score is 2."), Reply('{"score": 2, "why": '), Reply('{"score": 2, "why": "x"}'))
    llm = compatible_llm(stub_openai.base_url)
    with pytest.raises(StructuredOutputError) as exc:
        llm.structured([Message("user", "Grade this call.")], SCHEMA, name="grade")
    assert "grade" in str(exc.value) and "repair" in str(exc.value)
    _first, repair = stub_openai.completion_requests()  # exactly two: no third try, no default value
    assert repair.body is not None
    last_two = repair.body["messages"][-2:]
    assert last_two[0] == {"role": "assistant", "content": "Sure! The score is 2."}
    assert "not valid JSON" in last_two[1]["content"]


def test_a_repaired_reply_is_returned(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(Reply('{"score": 7, "why": "great"}'), Reply('```json\n{"score": 3, "why": "great"}\n```'))
    result = compatible_llm(stub_openai.base_url).structured([Message("user", "Grade.")], SCHEMA, name="grade")
    assert result == {"score": 3, "why": "great"}
    repair = stub_openai.completion_requests()[1]
    assert repair.body is not None and "score" in repair.body["messages"][-1]["content"]  # says what was wrong


@pytest.mark.parametrize("mode", ["json_schema", "json_object", "none"])
def test_json_mode_decides_what_is_asked_of_the_server(stub_openai: StubOpenAIServer, mode: str) -> None:
    stub_openai.push(Reply('{"score": 1, "why": "thin"}'))
    llm = compatible_llm(stub_openai.base_url, llm_json_mode=mode)
    assert llm.structured([Message("user", "Grade.")], SCHEMA, name="grade") == {"score": 1, "why": "thin"}
    body = stub_openai.completion_requests()[0].body
    assert body is not None
    fmt = body.get("response_format")
    if mode == "json_schema":
        assert fmt == {"type": "json_schema", "json_schema": {"name": "grade", "schema": SCHEMA}}
    elif mode == "json_object":  # what llama.cpp server accepts: json_object, with the schema as a grammar
        assert fmt == {"type": "json_object", "schema": SCHEMA}
    else:
        assert fmt is None
    assert '"enum":[0,1,2,3]' in body["messages"][0]["content"]  # the schema is in the prompt for every mode


def test_a_wrong_api_key_names_the_setting(stub_openai: StubOpenAIServer) -> None:
    stub_openai.api_key = "sk-right"
    with pytest.raises(ConfigError) as exc:
        list(compatible_llm(stub_openai.base_url, openai_api_key="sk-wrong").stream(CHAT))
    assert "OPENAI_API_KEY" in str(exc.value) and "401" in str(exc.value)
    assert "sk-wrong" not in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        compatible_llm(stub_openai.base_url).complete(CHAT)
    assert "no API key was sent" in str(exc.value)
    ok = compatible_llm(stub_openai.base_url, openai_api_key="sk-right").complete(CHAT)
    assert ok.text == "ok"
    assert stub_openai.requests[-1].headers["authorization"] == "Bearer sk-right"


def test_an_unknown_model_names_the_setting(stub_openai: StubOpenAIServer) -> None:
    stub_openai.push(Status(404, "model 'nope' not found"))
    with pytest.raises(ConfigError) as exc:
        compatible_llm(stub_openai.base_url, llm_model="nope").complete(CHAT)
    assert "TRAINER_LLM_MODEL" in str(exc.value) and "'nope'" in str(exc.value)
