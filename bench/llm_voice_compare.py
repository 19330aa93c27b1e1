"""Which embedded model phrases the COO better: the same acts, scenarios, prompts (prompts/coo_voice_*.j2) and
seeds for each model, through the route each is meant for (Gemma-3-270M base: completions over a transcript;
SmolLM2-135M instruct: chat). Each reply is cut the way a caller cuts it (at the first line break or speaker tag)
and counted as a character break when it is empty, talks like an assistant, writes the rep's side, or is too long.

Run alone: `python -m bench.llm_voice_compare`."""

from __future__ import annotations

import json
import re
import statistics
import sys
from typing import Any

import yaml

from trainer.content.models import Persona, Turn
from trainer.content.prompts import PromptLibrary
from trainer.engine.voice import ACT_GUIDANCE
from trainer.ports import LLMRequest, Message
from trainer.settings import get_settings
from trainer.wiring import build_llm

PERSONA = "dana_okafor"
SCENARIOS = ("A", "B", "C")
MAX_TOKENS = 60
COMPLETION_STOPS = ("\nRep:", "\n\n", "Rep:")

# What each act asks for: the engine's own guidance texts.
GUIDANCE = {
    act: ACT_GUIDANCE[act]
    for act in (
        "ask_purpose",
        "grant_time",
        "answer",
        "reveal_fact",
        "raise_objection",
        "push_back_theory",
        "test_claim",
        "ask_next_step",
        "accept_session",
        "defer",
        "end_call",
    )
}
# The rep's last line before each act (what would make the engine pick it).
REP_LINE = {
    "ask_purpose": "Hi Dana, it's Sam from Flowline.",
    "grant_time": "I work with distribution COOs on inbound dock flow. Have you got two minutes?",
    "answer": "When trucks queue in the morning, where does the wait usually start for you?",
    "reveal_fact": "Is the time lost in unloading itself, or in the handoff to put-away?",
    "raise_objection": "We've seen teams get doors free faster by fixing one handoff.",
    "push_back_theory": "Our platform uses AI to optimise your end-to-end supply chain with real-time dashboards.",
    "test_claim": "Customers typically see a 30% efficiency improvement.",
    "ask_next_step": "At a similar 3PL the morning queue went from fifty minutes to twenty, same staff, no new scans.",
    "accept_session": "Could we map the six-to-nine inbound window with your inbound lead for an hour next Tuesday?",
    "defer": "Can I send you a deck and call you back next month?",
    "end_call": "Honestly, you just need our full transformation programme, an eighteen-month rollout.",
}
OPENING = [
    Turn(speaker="rep", text="Hi, is that Dana Okafor?"),
    Turn(speaker="coo", text="Speaking. Who is this?"),
]

_ASSISTANT = re.compile(
    r"\b(as an ai|language model|assistant|how (can|may) i (help|assist)|happy to help|great question|"
    r"let me know|feel free|certainly|here'?s (a|an|the|my)|i'?d be glad|as a coo,)\b",
    re.IGNORECASE,
)
_REP_SIDE = re.compile(
    r"(\b(rep|caller|sam|user|salesperson)\s*:)|\b(our (product|platform|solution|software|tool)|we offer|"
    r"i'?m calling (from|about)|(this is|i'?m|my name is) sam\b|flowline)\b",
    re.IGNORECASE,
)
_TAG = re.compile(r"\n|\b(?:Rep|Caller|Sam|User|Dana|COO)\s*:")
MAX_WORDS = 60
MAX_SENTENCES = 3


def cut(text: str) -> str:
    """What a caller keeps: the text up to the first line break or speaker tag."""
    text = text.strip()
    m = _TAG.search(text)
    return text[: m.start()].strip() if m else text


def breaks_character(raw: str) -> str | None:
    text = cut(raw)
    if not re.search(r"[A-Za-z]{2}", text):
        return "empty"
    if _ASSISTANT.search(text):
        return "assistant talk"
    if _REP_SIDE.search(raw.split("\n\n")[0]) and _REP_SIDE.search(text):
        return "writes the rep's line"
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    if len(text.split()) > MAX_WORDS or len(sentences) > MAX_SENTENCES:
        return "too long"
    return None


CONTENT_ACTS = ("reveal_fact", "raise_objection")
_NUMBER = re.compile(
    r"\d+|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty)\b"
)


def carries_content(text: str, hint: str) -> bool:
    """A fact keeps one of its numbers; an objection keeps a third of its longer words."""
    numbers = {m.group(0) for m in _NUMBER.finditer(hint.lower())}
    if numbers:
        return any(n in text.lower() for n in numbers)
    words = set(re.findall(r"[a-z']{5,}", hint.lower()))
    return len(words & set(re.findall(r"[a-z']{5,}", text.lower()))) >= max(1, len(words) // 3)


def _context(act: str, scenario_id: str) -> dict[str, Any]:
    root = get_settings().content_dir
    persona = Persona.model_validate(yaml.safe_load((root / "personas" / f"{PERSONA}.yaml").read_text()))
    scenario = persona.scenarios[scenario_id]  # type: ignore[index]
    hint = ""
    if act == "reveal_fact" and scenario.facts:
        hint = scenario.facts[0].text
    if act == "raise_objection" and scenario.objections:
        hint = scenario.objections[0].line
    turns = [*OPENING, Turn(speaker="rep", text=REP_LINE[act])]
    return {
        "persona": persona,
        "scenario": scenario,
        "act": act,
        "act_guidance": GUIDANCE[act],
        "act_labels": ACT_GUIDANCE,  # the prompt's examples are labelled with every act's guidance
        "content_hint": hint,
        "recent_turns": turns,
        "prime": False,  # the whole prompt, not the read-ahead part
        "_prompts": PromptLibrary(root / "prompts"),
    }


def build_request(style: str, act: str, scenario_id: str, seed: int) -> LLMRequest:
    ctx = _context(act, scenario_id)
    prompts = ctx.pop("_prompts")
    if style == "completions":
        prompt = prompts.render("coo_voice_completion", **ctx)
        return LLMRequest(prompt=prompt, max_tokens=MAX_TOKENS, temperature=0.7, stop=COMPLETION_STOPS, seed=seed)
    messages = [Message("system", prompts.render("coo_voice_chat", **ctx))]
    for turn in ctx["recent_turns"]:
        messages.append(Message("user" if turn.speaker == "rep" else "assistant", turn.text))
    return LLMRequest(messages=tuple(messages), max_tokens=MAX_TOKENS, temperature=0.7, seed=seed)


def typical_request(style: str, seed: int = 0, turn: int = 0) -> LLMRequest:
    """A typical COO turn in scenario A; successive `turn`s take successive acts, so the end of the prompt changes
    from call to call as it does in a real call (the shared start stays in the server's prompt cache)."""
    acts = list(GUIDANCE)
    return build_request(style, acts[turn % len(acts)], "A", seed)


def evaluate(model: str, scenarios: tuple[str, ...] = SCENARIOS, samples: int = 8) -> dict[str, Any]:
    llm = build_llm(get_settings(llm_backend="embedded", embedded_model=model))
    llm.start()  # type: ignore[attr-defined]
    reasons: dict[str, int] = {}
    examples: list[dict[str, str]] = []
    totals: list[float] = []
    n = content_total = content_kept = 0
    try:
        for scenario_id in scenarios:
            for i, act in enumerate(GUIDANCE):
                stream = llm.stream(build_request(llm.preferred_style, act, scenario_id, seed=1000 + i))
                for _ in stream:
                    pass
                raw = stream.reply.text
                totals.append(stream.reply.total_s)
                n += 1
                why = breaks_character(raw)
                if act in CONTENT_ACTS:
                    content_total += 1
                    content_kept += carries_content(cut(raw), _context(act, scenario_id)["content_hint"])
                if why:
                    reasons[why] = reasons.get(why, 0) + 1
                if len(examples) < samples or why:
                    examples.append({"scenario": scenario_id, "act": act, "reply": cut(raw), "broke": why or ""})
    finally:
        llm.stop()  # type: ignore[attr-defined]
    broke = sum(reasons.values())
    return {
        "model": model,
        "style": llm.preferred_style,
        "generations": n,
        "in_character": n - broke,
        "breaks": broke,
        "break_rate": round(broke / n, 3),
        "breaks_by_reason": reasons,
        "content_acts_kept_their_content": f"{content_kept}/{content_total}",
        "full_reply_s_p50": round(statistics.median(totals), 3),
        "examples": examples[: samples + 12],
    }


def compare_embedded_voices() -> dict[str, Any]:
    results = {m: evaluate(m) for m in ("gemma3-270m", "smollm2-135m")}
    better = min(results, key=lambda m: (results[m]["breaks"], results[m]["full_reply_s_p50"]))
    return {"better": better, "default": get_settings().embedded_model, "models": results}


if __name__ == "__main__":
    models = sys.argv[1:] or ["gemma3-270m", "smollm2-135m"]
    print(json.dumps({m: evaluate(m) for m in models}, indent=2))
