"""The COO's voice: a model phrases the engine's decision; a checked reply or the authored line is said."""

from __future__ import annotations

import random

import pytest

from trainer.adapters.llm.scripted import Dropped, ScriptedLLM
from trainer.content.models import Turn
from trainer.engine.rules import Decision
from trainer.engine.voice import Voice, VoiceResult
from trainer.ports import LLMError

REP = [
    Turn(speaker="coo", text="Dana here."),
    Turn(speaker="rep", text="We see warehouses where trucks wait for doors. Worth a check?"),
]


def _say(content, embedder, reply, decision: Decision, capable: bool = False):  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(capable=capable).queue(reply)
    voice = Voice(llm, content.prompts, embedder)
    persona = content.personas["dana_okafor"]
    result = VoiceResult()
    text = "".join(voice.speak(decision, persona, persona.scenarios["A"], REP, random.Random(1), result))
    return text, result, llm


def test_a_good_reply_is_said(content, embedder) -> None:  # type: ignore[no-untyped-def]
    text, result, llm = _say(
        content, embedder, ["Maybe. ", "Keep going, ", "what are you getting at?"], Decision("answer")
    )
    assert result.source == "model" and text == "Maybe. Keep going, what are you getting at?"
    assert result.first_token_s is not None and len(llm.calls) == 1


def test_the_model_never_speaks_for_the_rep(content, embedder) -> None:  # type: ignore[no-untyped-def]
    text, _result, _ = _say(
        content, embedder, "Go on, quickly.\nRep: Thanks Dana, our platform has AI.", Decision("grant_time")
    )
    assert "Rep:" not in text and "platform" not in text
    assert text.startswith("Go on")


@pytest.mark.parametrize(
    "reply",
    [
        "As an AI language model, I'm happy to help you with that!",
        "Our platform offers AI dashboards for you.",
        "",
        "**Answer:** maybe",
    ],
)
def test_out_of_character_replies_fall_back_to_the_authored_line(content, embedder, reply: str) -> None:  # type: ignore[no-untyped-def]
    text, result, _ = _say(content, embedder, reply, Decision("push_back_theory"))
    assert result.source == "authored" and result.fallback_reason
    assert text in content.personas["dana_okafor"].voice.lines["push_back_theory"]


def test_a_fact_keeps_its_numbers(content, embedder) -> None:  # type: ignore[no-untyped-def]
    fact = content.personas["dana_okafor"].scenarios["A"].facts[0]
    text, result, _ = _say(
        content, embedder, "Trucks wait in the yard most mornings, yes.", Decision("reveal_fact", fact_id=fact.id)
    )
    assert fact.text in text  # the model left out the numbers: the authored fact is said too
    assert result.source in ("mixed", "authored")


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, we don't have a problem with paperwork.",
        "No, it's fine. Trucks are never an issue here.",
        "When does the door stay closed?",
    ],
)
def test_a_fact_is_stated_not_denied_or_asked(content, embedder, reply: str) -> None:  # type: ignore[no-untyped-def]
    fact = content.personas["dana_okafor"].scenarios["A"].facts[0]
    text, result, _ = _say(content, embedder, reply, Decision("reveal_fact", fact_id=fact.id))
    assert text == fact.text and result.source == "authored"  # the authored fact alone, no contradiction before it
    assert "denies" in (result.fallback_reason or "") or "asks" in (result.fallback_reason or "")


def test_a_dropped_stream_keeps_only_checked_sentences(content, embedder) -> None:  # type: ignore[no-untyped-def]
    text, result, _ = _say(content, embedder, Dropped(["Maybe. Keep going. ", "What are you get"]), Decision("answer"))
    assert "get" not in text.split()[-1] or text.endswith(".")
    assert any("interrupted" in r for r in result.rejected) or result.source == "authored"


def test_model_failure_falls_back(content, embedder) -> None:  # type: ignore[no-untyped-def]
    text, result, _ = _say(content, embedder, LLMError("connection refused"), Decision("ask_purpose"))
    assert result.source == "authored" and "connection refused" in (result.fallback_reason or "")
    assert text in content.personas["dana_okafor"].voice.lines["ask_purpose"]


def test_a_tiny_model_does_not_phrase_decisions(content, embedder) -> None:  # type: ignore[no-untyped-def]
    text, result, llm = _say(content, embedder, "No, we're not going to change anything.", Decision("accept_session"))
    assert llm.calls == [] and result.source == "authored"
    assert text in content.personas["dana_okafor"].voice.lines["accept_session"]
    _text2, result2, llm2 = _say(
        content, embedder, "Fine, an hour works. Send me the invite.", Decision("accept_session"), capable=True
    )
    assert llm2.calls and result2.source == "model"


def test_the_floor_does_not_repeat_itself(content) -> None:  # type: ignore[no-untyped-def]
    from trainer.engine.voice import authored_line

    persona = content.personas["dana_okafor"]
    spec = persona.scenarios["A"]
    options = persona.voice.lines["answer"]
    said: list[str] = []
    for i in range(len(options)):
        said.append(authored_line(Decision("answer"), persona, spec, random.Random(i), said))
    assert sorted(said) == sorted(options)  # every line once before any comes back
    obj = spec.objections[0]
    again = authored_line(Decision("raise_objection", objection_id=obj.id), persona, spec, random.Random(1), [obj.line])
    assert again.startswith("I'll say it again") and obj.line[1:] in again


# ------------------------------------------------------------------------- time budget, stopping, priming


def _speak_via_stub(content, embedder, stub, decision: Decision, budget_s: float | None):  # type: ignore[no-untyped-def]
    from tests.test_llm_faults import compatible_llm

    voice = Voice(compatible_llm(stub.base_url, llm_timeout=10.0), content.prompts, embedder, budget_s=budget_s)
    persona = content.personas["dana_okafor"]
    result = VoiceResult()
    text = "".join(voice.speak(decision, persona, persona.scenarios["A"], REP, random.Random(1), result))
    return text, result


SLOW_TAIL = " ".join(["and"] * 30) + " so on."


def test_a_slow_model_is_cut_at_the_budget_keeping_its_checked_sentences(content, embedder, stub_openai) -> None:  # type: ignore[no-untyped-def]
    from tests.stub_openai_server import Reply

    stub_openai.push(
        Reply(chunks=["Maybe. ", "Keep going, ", *[w + " " for w in SLOW_TAIL.split()]], chunk_delay_s=0.1)
    )
    text, result = _speak_via_stub(content, embedder, stub_openai, Decision("answer"), budget_s=0.8)
    assert text.startswith("Maybe.") and "so on" not in text  # what was checked in time is said, the rest is not
    assert result.cut_by_budget and result.source == "model"
    [sent] = stub_openai.completion_requests()
    assert sent.served.wait(10)
    assert sent.client_left and sent.chunks_sent < 20  # the model was stopped, not read to the end


def test_a_model_with_nothing_ready_in_time_gives_the_authored_line(content, embedder, stub_openai) -> None:  # type: ignore[no-untyped-def]
    from tests.stub_openai_server import Reply, Slow

    stub_openai.push(Slow(0.6, Reply("Maybe. Keep going, what are you getting at?")))
    text, result = _speak_via_stub(content, embedder, stub_openai, Decision("answer"), budget_s=0.3)
    assert result.source == "authored" and "time budget" in (result.fallback_reason or "")
    assert text in content.personas["dana_okafor"].voice.lines["answer"]


def test_a_rejected_reply_stops_the_model_at_once(content, embedder, stub_openai) -> None:  # type: ignore[no-untyped-def]
    from tests.stub_openai_server import Reply

    words = [w + " " for w in ("As an AI language model, I can help. " + SLOW_TAIL).split()]
    stub_openai.push(Reply(chunks=words, chunk_delay_s=0.05))
    text, result = _speak_via_stub(content, embedder, stub_openai, Decision("push_back_theory"), budget_s=None)
    assert result.source == "authored" and not result.cut_by_budget
    assert text in content.personas["dana_okafor"].voice.lines["push_back_theory"]
    [sent] = stub_openai.completion_requests()
    assert sent.served.wait(10)
    assert sent.client_left and sent.chunks_sent < len(words)


def test_a_local_model_reads_the_call_ahead_and_the_reply_builds_on_it(content, embedder) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(preferred_style="completions").queue("", "Maybe. Keep going.")
    llm.backend = "embedded"  # type: ignore[misc]  # priming is for a local model only
    voice = Voice(llm, content.prompts, embedder)
    persona = content.personas["dana_okafor"]
    voice.prime(persona, persona.scenarios["A"], REP[:1])
    assert voice.wait_primed(timeout=10)
    result = VoiceResult()
    text = "".join(voice.speak(Decision("answer"), persona, persona.scenarios["A"], REP, random.Random(1), result))
    assert text == "Maybe. Keep going."
    primed, reply = llm.calls
    assert primed.kind == "complete" and primed.request is not None and primed.request.max_tokens == 1
    assert reply.request is not None and reply.request.prompt is not None and primed.request.prompt is not None
    assert reply.request.prompt.startswith(primed.request.prompt) and REP[0].text in primed.request.prompt

    shared = ScriptedLLM(preferred_style="completions")
    shared.backend = "embedded"  # type: ignore[misc]
    shared.busy = True  # type: ignore[attr-defined]  # another rep's call holds the one local model
    Voice(shared, content.prompts, embedder).prime(persona, persona.scenarios["A"], REP[:1])
    assert shared.calls == []

    hosted = ScriptedLLM(preferred_style="completions")
    Voice(hosted, content.prompts, embedder).prime(persona, persona.scenarios["A"], REP[:1])
    assert hosted.calls == []  # a hosted model would bill the tokens and keep nothing
