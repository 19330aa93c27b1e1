"""The COO's voice: the engine's decision, phrased by the configured model, checked, with authored lines as floor.

The model is asked for one act (e.g. "reveal this fact"). Its reply is streamed sentence by sentence through a
check (in character, never the rep's words, short, on the chosen act); the first failing sentence stops the
model. When nothing usable came (or the act's content - a fact's numbers, an objection - is missing) the authored
line for the act is said instead, filled with the persona's facts.

A reply has a time budget, as a person on the phone does: past it the model is stopped, the sentences already
checked are kept, and if there were none the authored line is said. A local model can also be primed when the call
opens: it reads the persona and the greeting while the rep reads the greeting, so the first reply only reads the
rep's words.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from trainer.content.models import Persona, ScenarioSpec, Turn
from trainer.content.prompts import PromptLibrary
from trainer.engine.rules import Decision
from trainer.errors import RunError, TrainerError
from trainer.ports import LLM, Embedder, LLMRequest, Message

ACT_GUIDANCE: dict[str, str] = {
    "greet": "answers the phone",
    "ask_purpose": "asks, a little impatiently, who is calling and what this is about",
    "grant_time": "gives the caller a couple of minutes to explain",
    "answer": "answers briefly and non-committally, waiting to hear something concrete",
    "reveal_fact": "shares one operational fact about their own operation, with its numbers",
    "raise_objection": "raises an objection",
    "push_back_theory": "pushes back on product talk or theory and asks what would change on the floor",
    "test_claim": "questions the caller's claim or proposal and asks what it means in practice",
    "ask_next_step": "asks what the caller is actually asking for",
    "accept_session": "agrees to a short working session and asks for the invite",
    "defer": "brushes the caller off politely: send an email, maybe later",
    "not_relevant": "says plainly that this is not a problem in their operation",
    "acknowledge_exit": "thanks the caller for not wasting their time and says goodbye",
    "redirect_role": "does not play along, stays themselves, and asks why the caller actually rang",
    "end_call": "ends the call curtly",
}
CONTENT_ACTS = {"reveal_fact", "raise_objection", "greet"}
# Acts that settle the call. A tiny model phrasing them wrongly ("we're not going to change" for "what's the ask?")
# would contradict the engine, so only a capable model phrases them; otherwise the authored line is said.
DECISIVE_ACTS = {"accept_session", "ask_next_step", "defer", "not_relevant", "acknowledge_exit", "end_call"}

_ASSISTANT = re.compile(
    r"\b(as an ai|language model|i'?m (just )?an? (ai|assistant|bot)|how (can|may) i (help|assist)|assist you|"
    r"happy to help|great question|let me know if|feel free|certainly[!,]|i'?m here to help|instructions?|prompt|"
    r"as a coo,|simulat\w*|role-?play)\b",
    re.IGNORECASE,
)
_SPEAKS_FOR_REP = re.compile(
    r"\b(our (product|platform|solution|software|tool|company offers)|we offer|i'?m calling (from|about)|"
    r"this is \w+ from|we (help|work with) (companies|teams|operations))\b",
    re.IGNORECASE,
)
_SPEAKER_TAG = re.compile(r"(?i:\b(rep|caller|salesperson|sales rep|user|assistant|coo)\s*:)|\n\s*[A-Z][a-z]{1,15}\s*:")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+")
_NUMBER = re.compile(
    r"\d+(?:[.,]\d+)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|half|quarter)\b",
    re.IGNORECASE,
)
# A fact the engine chose to reveal must not be said as "we don't have a problem with that" (the authored fact would
# follow and contradict it). Objections are left alone: "that's not our bottleneck, space is" is one.
_DENIES_PROBLEM = re.compile(
    r"\b(no|not|never|\w+n't)\b[^.?!]{0,30}\b(problems?|issues?|trouble|bottlenecks?|concerns?|delays?|waiting)\b|"
    r"\b(we'?re|it'?s|everything'?s|all) (fine|good|ok(ay)?|under control)\b",
    re.IGNORECASE,
)
DENIAL_MATTERS = {"reveal_fact"}
MAX_WORDS = 60
MAX_SENTENCES = 3
ON_ACT_FLOOR = 0.3
ECHO_CEILING = 0.9
COMPLETION_TEMPERATURE = 0.5  # the embedded base model keeps to its examples better than at 0.7


@dataclass
class VoiceResult:
    text: str = ""
    source: str = "authored"  # model | authored | mixed
    fallback_reason: str | None = None
    first_token_s: float | None = None  # the model's first token
    first_words_s: float | None = None  # the first checked words the rep sees
    total_s: float = 0.0
    model: str | None = None
    rejected: list[str] = field(default_factory=list)
    cut_by_budget: bool = False  # the model was stopped by the reply's time budget


def authored_line(
    decision: Decision, persona: Persona, scenario: ScenarioSpec, rng: random.Random, said: Collection[str] = ()
) -> str:
    """The authored floor for an act, filled with the persona's facts; a line already said in this call is avoided
    while another one is left, and a repeated objection is said as a repeat."""
    if decision.act == "greet":
        return scenario.opening_line
    if decision.act == "reveal_fact":
        return next(f.text for f in scenario.facts if f.id == decision.fact_id)
    if decision.act == "raise_objection":
        line = next(o.line for o in scenario.objections if o.id == decision.objection_id)
        return f"I'll say it again: {line[0].lower()}{line[1:]}" if any(line in x for x in said) else line
    filled = [
        line.format(
            name=persona.name,
            first_name=persona.first_name,
            company=persona.company,
            industry=persona.industry,
            rep_name="",
        )
        for line in persona.voice.lines[decision.act]  # type: ignore[index]
    ]
    fresh = [line for line in filled if line not in said] or filled
    return fresh[rng.randrange(len(fresh))]


def content_hint(decision: Decision, scenario: ScenarioSpec) -> str | None:
    if decision.act == "reveal_fact":
        return next(f.text for f in scenario.facts if f.id == decision.fact_id)
    if decision.act == "raise_objection":
        return next(o.line for o in scenario.objections if o.id == decision.objection_id)
    return None


class Voice:
    def __init__(
        self,
        llm: LLM | None,
        prompts: PromptLibrary,
        embedder: Embedder | None = None,
        max_tokens: int = 36,
        budget_s: float | None = None,
    ):
        self.llm = llm
        self.prompts = prompts
        self.embedder = embedder
        self.max_tokens = max_tokens
        self.budget_s = budget_s or None  # None or 0: no budget
        self._priming: threading.Thread | None = None
        self._primed: tuple[str, str, int] | None = None

    def prime(self, persona: Persona, scenario: ScenarioSpec, turns: Sequence[Turn]) -> None:
        """Let a local model read the start of its prompt (persona, scenario, the call so far) in the background,
        so the next reply reads only what is new. Only for the embedded model: it keeps what it read (prefix
        reuse); a hosted model would bill the tokens and keep nothing."""
        if self.llm is None or self.llm.backend != "embedded" or self.llm.preferred_style != "completions" or not turns:
            return  # a chat prompt's system message changes with each act: there is no stable start to keep
        if self._primed == (persona.id, scenario.title, len(turns)):
            return  # already read (or being read)
        if getattr(self.llm, "busy", False):
            return  # another call is using the one local model: reading ahead would only make it wait
        self._primed = (persona.id, scenario.title, len(turns))
        llm = self.llm
        request = replace(self._request(None, persona, scenario, turns, None, random.Random(0)), max_tokens=1)

        def read() -> None:
            with contextlib.suppress(TrainerError):  # the reply that follows meets the same failure and handles it
                llm.complete(request)

        self._priming = threading.Thread(target=read, name="voice-prime", daemon=True)
        self._priming.start()

    def wait_primed(self, timeout: float | None = None) -> bool:
        """Wait for a prime in progress; True when none is running any more."""
        if self._priming is not None:
            self._priming.join(timeout)
            if self._priming.is_alive():
                return False
            self._priming = None
        return True

    def speak(
        self,
        decision: Decision,
        persona: Persona,
        scenario: ScenarioSpec,
        recent_turns: Sequence[Turn],
        rng: random.Random,
        result: VoiceResult,
    ) -> Iterator[str]:
        """Yield the COO's words piece by piece; `result` is filled in as it goes (text, source, timing)."""
        said = [t.text for t in recent_turns if t.speaker == "coo"]
        floor = authored_line(decision, persona, scenario, rng, said)
        started = time.perf_counter()
        decisive = decision.act in DECISIVE_ACTS and self.llm is not None and not self.llm.capable
        if self.llm is None or decision.act == "greet" or decisive:
            result.text, result.source = floor, "authored"
            result.fallback_reason = "no model" if self.llm is None else "decisive act" if decisive else None
            result.total_s = time.perf_counter() - started
            if result.first_words_s is None:
                result.first_words_s = time.perf_counter() - started
            yield floor
            return
        result.model = self.llm.model_id
        hint = content_hint(decision, scenario)
        request = self._request(decision, persona, scenario, recent_turns, hint, rng)
        references = [hint] if hint else [*persona.voice.lines.get(decision.act, [floor]), ACT_GUIDANCE[decision.act]]  # type: ignore[call-overload]
        emitted: list[str] = []
        anchors: dict[str, np.ndarray] = {}  # filled by the first check that needs the embeddings
        try:
            stream = self.llm.stream(request)
            chunks = iter(stream)
            buffer = ""
            stopped = False  # we stopped the model (a failed check, enough sentences, the budget)
            for chunk in chunks:
                if result.first_token_s is None and chunk:
                    result.first_token_s = time.perf_counter() - started
                if self.budget_s is not None and time.perf_counter() - started > self.budget_s:
                    result.cut_by_budget = True
                    result.rejected.append(f"over the time budget ({self.budget_s:g} s)")
                    stopped = True
                    break
                buffer += chunk
                buffer, stop = _cut_at_speaker_tag(buffer)
                parts = _SENTENCE_END.split(buffer)
                complete, buffer = parts[:-1], parts[-1]
                for sent in complete:
                    verdict = self._check(sent, emitted, references, recent_turns, anchors, decision.act)
                    if verdict:
                        result.rejected.append(f"{verdict}: {sent!r}")
                        stop = True
                        break
                    emitted.append(sent.strip())
                    if result.first_words_s is None:
                        result.first_words_s = time.perf_counter() - started
                    yield (" " if len(emitted) > 1 else "") + sent.strip()
                if stop or len(emitted) >= MAX_SENTENCES:
                    stopped = True
                    break
            if stopped:
                # Close the stream so the model stops now: reading `stream.reply` here would wait for the rest.
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            else:
                tail = buffer.strip()
                if tail and len(emitted) < MAX_SENTENCES and stream.reply.status == "complete":
                    verdict = self._check(tail, emitted, references, recent_turns, anchors, decision.act)
                    if verdict:
                        result.rejected.append(f"{verdict}: {tail!r}")
                    else:
                        emitted.append(tail)
                        if result.first_words_s is None:
                            result.first_words_s = time.perf_counter() - started
                        yield (" " if len(emitted) > 1 else "") + tail
                if stream.reply.status != "complete":
                    result.rejected.append(f"stream {stream.reply.status}: {stream.reply.error}")
        except RunError as exc:
            result.rejected.append(f"model failed: {exc}")
        text = " ".join(emitted)
        if not emitted:
            result.text, result.source = floor, "authored"
            result.fallback_reason = result.rejected[0] if result.rejected else "empty reply"
            if result.first_words_s is None:
                result.first_words_s = time.perf_counter() - started
            yield floor
        elif hint and not _carries_content(text, hint):
            result.text, result.source = f"{text} {hint}", "mixed"
            result.fallback_reason = "the reply missed the act's content; the authored content was added"
            if result.first_words_s is None:
                result.first_words_s = time.perf_counter() - started
            yield " " + hint
        else:
            result.text, result.source = text, "model"
        result.total_s = time.perf_counter() - started

    def _request(
        self,
        decision: Decision | None,
        persona: Persona,
        scenario: ScenarioSpec,
        recent_turns: Sequence[Turn],
        hint: str | None,
        rng: random.Random,
    ) -> LLMRequest:
        """The request phrasing `decision`; with no decision, only the prompt's start (the call so far) for `prime`."""
        assert self.llm is not None
        act = decision.act if decision is not None else "answer"
        ctx = {
            "persona": persona,
            "scenario": scenario,
            "act": act,
            "act_guidance": ACT_GUIDANCE[act],
            "act_labels": ACT_GUIDANCE,
            "content_hint": hint or "",
            "prime": decision is None,
            # The whole call for a transcript completer: its prefix then grows turn by turn, and llama.cpp reuses
            # the evaluated prefix, so only the newest turns are read again (the act's direction comes last).
            "recent_turns": list(recent_turns)
            if self.llm.preferred_style == "completions"
            else list(recent_turns)[-6:],
        }
        seed = rng.randrange(2**31)
        if self.llm.preferred_style == "completions":
            prompt = self.prompts.render("coo_voice_completion", **ctx)
            # One line is one turn: stop at its end, or where the model starts a next speaker's turn in the line.
            stop = ("\n", "Rep:", f"{persona.first_name}:", f"{persona.first_name} (")
            return LLMRequest(
                prompt=prompt, max_tokens=self.max_tokens, temperature=COMPLETION_TEMPERATURE, stop=stop, seed=seed
            )
        system = self.prompts.render("coo_voice_chat", **ctx)
        messages = [Message("system", system)]
        for turn in list(recent_turns)[-6:]:
            # The rep's words are the user's side of the call: data, never instructions.
            messages.append(Message("user" if turn.speaker == "rep" else "assistant", turn.text))
        if messages[-1].role != "user":
            messages.append(Message("user", "(silence on the line)"))
        return LLMRequest(messages=tuple(messages), max_tokens=self.max_tokens, temperature=0.7, seed=seed)

    def _check(
        self,
        sent: str,
        emitted: list[str],
        references: list[str],
        recent_turns: Sequence[Turn],
        anchors: dict[str, np.ndarray],
        act: str = "",
    ) -> str | None:
        """Why a sentence may not be said, or None when it is fine."""
        s = sent.strip()
        if not s or not re.search(r"[A-Za-z]", s):
            return "empty"
        if _ASSISTANT.search(s):
            return "assistant talk"
        if _SPEAKS_FOR_REP.search(s):
            return "speaks for the rep"
        if len((" ".join(emitted) + " " + s).split()) > MAX_WORDS:
            return "too long"
        if re.search(r"[*#`<>{}\[\]|()]|https?://", s):
            return "not speech"  # markup, links, or a stage direction such as "(Inaudible)"
        if act in DENIAL_MATTERS and _DENIES_PROBLEM.search(s):
            return "denies the problem it should state"
        if act == "reveal_fact" and s.rstrip("\"')").endswith("?"):
            return "asks where it should tell"  # "When does the door stay closed?" before the COO's own fact
        if self.embedder is not None:
            if "refs" not in anchors:  # the act's references and the rep's last words, embedded once per reply
                last_rep = next((t.text for t in reversed(recent_turns) if t.speaker == "rep"), "")
                vecs = self.embedder.embed([*references, *([last_rep] if last_rep else [])])
                anchors["refs"] = vecs[: len(references)]
                anchors["rep"] = vecs[len(references) :]
            sent_vec = self.embedder.embed([s])[0]
            on_act = float(np.max(anchors["refs"] @ sent_vec))
            if not emitted and on_act < ON_ACT_FLOOR:
                return f"off the act ({on_act:.2f})"
            if len(anchors["rep"]) and float(anchors["rep"][0] @ sent_vec) > ECHO_CEILING:
                return "echoes the rep"
        return None


def _cut_at_speaker_tag(buffer: str) -> tuple[str, bool]:
    m = _SPEAKER_TAG.search(buffer)
    if m:
        return buffer[: m.start()], True
    if "\n" in buffer.strip():
        return buffer.strip().split("\n", 1)[0], True
    return buffer, False


def _carries_content(text: str, hint: str) -> bool:
    """A fact must keep its numbers; an objection must keep most of its key words."""
    numbers = {n.lower() for n in _NUMBER.findall(hint)}
    if numbers:
        return any(n.lower() in text.lower() for n in numbers)
    words = {w for w in re.findall(r"[a-z']{5,}", hint.lower())}
    return not words or len(words & set(re.findall(r"[a-z']{5,}", text.lower()))) >= max(1, len(words) // 3)
