"""Structured output, shared by every backend: the instruction that asks for JSON, parsing and checking the reply
against the schema, and the one repair request. A reply that still fails raises StructuredOutputError: no backend
ever fills in a default."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import jsonschema

from trainer.ports import Message, StructuredOutputError

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def json_instruction(schema: dict[str, Any], name: str) -> Message:
    """The system line that asks for JSON (json_object mode and plain prompting need it; it does no harm to the
    others, and OpenAI's json_object mode requires the word JSON in the messages)."""
    return Message(
        "system",
        f"Reply with one JSON object only (no prose, no code fence) for `{name}`, matching this JSON schema:\n"
        + json.dumps(schema, separators=(",", ":")),
    )


def parse_checked(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON object in `text`, checked against `schema`. Raises ValueError saying what is wrong."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    if not body:
        raise ValueError("the reply was empty")
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise ValueError(f"the reply is JSON but not an object (got {type(value).__name__})")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        problems = "; ".join(f"{'/'.join(map(str, e.path)) or '(top level)'}: {e.message}" for e in errors[:5])
        raise ValueError(f"the JSON does not match the schema: {problems}")
    return value


def repair_messages(messages: Sequence[Message], bad_reply: str, problem: str) -> list[Message]:
    """The conversation for the one repair attempt: the bad reply and what is wrong with it."""
    return [
        *messages,
        Message("assistant", bad_reply[:4000]),
        Message("user", f"That reply cannot be used: {problem}. Reply again with only the corrected JSON object."),
    ]


def structured_with_repair(
    ask: Callable[[list[Message]], str], messages: Sequence[Message], schema: dict[str, Any], name: str
) -> dict[str, Any]:
    """Ask, check, and on a bad reply ask once more with the problem spelled out; then give up with
    StructuredOutputError. `ask` sends messages and returns the raw reply text (raising LLMError on failure)."""
    convo = [*messages]
    first = ask(convo)
    try:
        return parse_checked(first, schema)
    except ValueError as problem:
        convo = repair_messages(convo, first, str(problem))
    second = ask(convo)
    try:
        return parse_checked(second, schema)
    except ValueError as problem:
        raise StructuredOutputError(
            f"the model did not return valid `{name}` JSON, even after one repair attempt: {problem}"
        ) from None
