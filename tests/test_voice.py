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
