"""Practice sessions and their turns, written ahead of the model.

The rep's turn is stored and committed before any model is asked for the COO's reply (`append_rep_turn`); the reply
is stored as it completes (`begin_coo_turn` then `complete_coo_turn`), with the COO engine's state after the turn.
A crash or a closed tab therefore loses at most the reply being generated: `resume` hands back the stored turns, the
rep turns to replay through the (seeded, deterministic) COO engine and whether the last rep turn still awaits its
reply.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainer.content.loader import Content
from trainer.errors import AccessDenied, InputError
from trainer.services.access import require_actor, sees_user, session_not_found
from trainer.services.catalogue import default_rubric_id, validate_practice
from trainer.services.drills import check_drill_start
from trainer.services.records import (
    OUTCOMES,
    Actor,
    PracticeSession,
    SessionQuery,
    Timing,
    Turn,
    new_id,
    utcnow,
)
from trainer.services.storage import Store, StoreConflict, UnitOfWork

MAX_SEED = 2**31 - 1
_APPEND_RETRIES = 5
_BUSY = "this session is being written by another window right now: try again"


@dataclass(frozen=True)
class ResumeState:
    session: PracticeSession
    turns: list[Turn]
    rep_texts: list[str]  # every stored rep turn, in order: replay them through the engine with `session.seed`
    coo_state: dict[str, Any] | None  # the COO's state after the last COO turn that recorded one
    awaiting_reply: bool  # the last rep turn has no finished COO reply: ask the model again


def visible_session(uow: UnitOfWork, actor: Actor, session_id: str, *, lock: bool = False) -> PracticeSession:
    """The session if the actor may see it; otherwise the same NotFoundError as for an id that does not exist.
    `lock=True` (writers) holds the session row, so two writers of one session take turns."""
    session = uow.sessions.get(session_id, lock=lock) if isinstance(session_id, str) else None
    owner = uow.users.get(session.user_id) if session else None
    if session is None or owner is None or not sees_user(actor, owner):
        raise session_not_found(str(session_id))
    return session


def check_json_document(doc: Any, what: str) -> Any:
    """`doc` as it will read back from the store; an InputError when it is not plain JSON (sets, NaN, NUL)."""
    try:
        dumped = json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must be a JSON document: {exc}") from None
    loaded = json.loads(dumped)
    if _has_nul(loaded):
        raise InputError(f"{what} contains a NUL character, which cannot be stored")
    return loaded


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _clean_text(text: str) -> str:
    return (text if isinstance(text, str) else "").replace("\x00", "")


class SessionService:
    def __init__(
        self,
        store: Store,
        content: Content,
        max_message_chars: int = 2000,
        clock: Callable = utcnow,
        default_difficulty: str = "standard",
    ):
        self.store = store
        self.content = content
        self.max_message_chars = max_message_chars
        self.clock = clock
        self.default_difficulty = default_difficulty

    # ------------------------------------------------------------------------------------------------ sessions

    def start(
        self,
        actor: Actor | None,
        *,
        persona_id: str | None = None,
        scenario: str | None = None,
        difficulty: str | None = None,
        rubric_id: str | None = None,
        drill_id: str | None = None,
        seed: int | None = None,
    ) -> PracticeSession:
        """Start a call: a drill (its persona, scenario, difficulty and rubric) or free practice."""
        actor = require_actor(actor)
        if seed is None:
            seed = secrets.randbelow(MAX_SEED)
        elif not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise InputError(f"a seed is a whole number from 0 to {MAX_SEED}")
        now = self.clock()
        with self.store.unit_of_work(write=True) as uow:
            if drill_id is not None:
                drill = check_drill_start(uow, actor, drill_id)
                persona_id, scenario, difficulty, rubric_id = (
                    drill.persona_id,
                    drill.scenario,
                    drill.difficulty,
                    drill.rubric_id,
                )
            else:
                if persona_id is None or scenario is None:
                    raise InputError("free practice needs a persona and a scenario (A, B or C)")
                difficulty = difficulty or self.default_difficulty
                rubric_id = rubric_id or default_rubric_id(self.content)
                validate_practice(self.content, persona_id, scenario, difficulty, rubric_id)
            session = PracticeSession(
                id=new_id(),
                user_id=actor.id,
                drill_id=drill_id,
                persona_id=persona_id,
                scenario=scenario,
                difficulty=difficulty,
                rubric_id=rubric_id,
                seed=seed,
                state="active",
                outcome=None,
                started_at=now,
            )
            uow.sessions.add(session)
            uow.commit()
        return session

    def get(self, actor: Actor | None, session_id: str) -> PracticeSession:
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            return visible_session(uow, actor, session_id)

    def transcript(self, actor: Actor | None, session_id: str) -> list[Turn]:
        """Every stored turn, for the rep and for the staff who may see the session."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            visible_session(uow, actor, session_id)
            return uow.turns.for_session(session_id)

    def resume(self, actor: Actor | None, session_id: str) -> ResumeState:
        """Pick a call up again from the stored turns (after a crash, a reload or a closed tab)."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            session = self._own(uow, actor, session_id, "resume", lock=False)
            turns = uow.turns.for_session(session_id)
        states = [t.coo_state for t in turns if t.speaker == "coo" and t.coo_state is not None]
        last = turns[-1] if turns else None
        awaiting = last is not None and (last.speaker == "rep" or last.status == "pending")
        return ResumeState(
            session=session,
            turns=turns,
            rep_texts=[t.text for t in turns if t.speaker == "rep"],
            coo_state=states[-1] if states else None,
            awaiting_reply=awaiting and session.state == "active",
        )

    def end(self, actor: Actor | None, session_id: str, outcome: str | None) -> PracticeSession:
        """End an active call with the engine's outcome (None when the rep hung up before any)."""
        if outcome is not None and outcome not in OUTCOMES:
            raise InputError(f"unknown outcome {outcome!r}; valid outcomes: {', '.join(OUTCOMES)}")
        return self._close(actor, session_id, "ended", outcome)

    def abandon(self, actor: Actor | None, session_id: str) -> PracticeSession:
        """Drop an active call; an abandoned drill session does not count as an attempt."""
        return self._close(actor, session_id, "abandoned", None)

    def _close(self, actor: Actor | None, session_id: str, state: str, outcome: str | None) -> PracticeSession:
        actor = require_actor(actor)
        now = self.clock()
        with self.store.unit_of_work(write=True) as uow:
            session = self._own(uow, actor, session_id, "end")
            if session.state != "active":
                raise InputError(f"session {session_id!r} is already {session.state}")
            last = uow.turns.last(session_id)
            if last is not None and last.status == "pending":
                uow.turns.set_status(last.id, "failed")
            uow.sessions.set_state(session_id, state, outcome, now)  # type: ignore[arg-type]
            uow.commit()
            updated = uow.sessions.get(session_id)
        assert updated is not None
        return updated

    def list_mine(
        self, actor: Actor | None, states: tuple[str, ...] | None = None, limit: int = 100
    ) -> list[PracticeSession]:
        """The actor's own sessions, newest first."""
        actor = require_actor(actor)
        with self.store.unit_of_work() as uow:
            return uow.sessions.query(SessionQuery(user_id=actor.id, states=states, limit=limit))

    # ------------------------------------------------------------------------------------------------ turns

    def append_rep_turn(self, actor: Actor | None, session_id: str, text: str) -> str:
        """Store and commit the rep's turn; call this BEFORE asking any model. Returns the turn id."""
        actor = require_actor(actor)
        text = _clean_text(text)
        if not text.strip():
            raise InputError("say something first: an empty message is not sent")
        if len(text) > self.max_message_chars:
            raise InputError(
                f"a message can be at most {self.max_message_chars} characters (this one has {len(text)}): "
                "say it in fewer words"
            )
        return self._add_turn(actor, session_id, "rep", text)

    def begin_coo_turn(self, actor: Actor | None, session_id: str) -> str:
        """Open the COO's reply to the last rep turn (status pending). Idempotent while that reply is pending."""
        actor = require_actor(actor)
        return self._add_turn(actor, session_id, "coo", "")

    def complete_coo_turn(
        self,
        actor: Actor | None,
        session_id: str,
        text: str,
        status: str,
        timing: Timing | None,
        coo_state: dict[str, Any] | None,
    ) -> str:
        """Store the COO's reply (complete, interrupted with the partial text, or failed) and its state after it."""
        actor = require_actor(actor)
        if status not in ("complete", "interrupted", "failed"):
            raise InputError(f"a finished reply is complete, interrupted or failed, not {status!r}")
        if coo_state is not None:
            if not isinstance(coo_state, dict):
                raise InputError("the COO state must be a JSON object")
            coo_state = check_json_document(coo_state, "the COO state")
        text = _clean_text(text)
        for _ in range(_APPEND_RETRIES):
            with self.store.unit_of_work(write=True) as uow:
                self._own_active(uow, actor, session_id)
                last = uow.turns.last(session_id)
                now = self.clock()
                if last is not None and last.speaker == "coo" and last.status == "pending":
                    uow.turns.complete(last.id, text, status, timing or Timing(), coo_state, now)  # type: ignore[arg-type]
                    uow.commit()
                    return last.id
                if last is None or last.speaker != "rep":
                    raise InputError("no rep turn awaits a reply")
                turn = Turn(
                    id=new_id(),
                    session_id=session_id,
                    index=last.index + 1,
                    speaker="coo",
                    text=text,
                    status=status,  # type: ignore[arg-type]
                    created_at=now,
                    timing=timing or Timing(),
                    coo_state=coo_state,
                    completed_at=now,
                )
                uow.turns.add(turn)
                try:
                    uow.commit()
                except StoreConflict:
                    continue
                return turn.id
        raise InputError(_BUSY)

    def _add_turn(self, actor: Actor, session_id: str, speaker: str, text: str) -> str:
        for _ in range(_APPEND_RETRIES):
            with self.store.unit_of_work(write=True) as uow:
                self._own_active(uow, actor, session_id)
                last = uow.turns.last(session_id)
                if speaker == "coo":
                    if last is not None and last.speaker == "coo" and last.status == "pending":
                        return last.id  # the reply already begun (a retry after a crash)
                    if last is None or last.speaker != "rep":
                        raise InputError("no rep turn awaits a reply")
                elif last is not None and last.status == "pending":
                    uow.turns.set_status(last.id, "failed")  # the rep moved on: that reply never arrived
                turn = Turn(
                    id=new_id(),
                    session_id=session_id,
                    index=0 if last is None else last.index + 1,
                    speaker=speaker,  # type: ignore[arg-type]
                    text=text,
                    status="complete" if speaker == "rep" else "pending",
                    created_at=self.clock(),
                )
                uow.turns.add(turn)
                try:
                    uow.commit()
                except StoreConflict:
                    continue  # another writer took this index: read again and retry
                return turn.id
        raise InputError(_BUSY)

    @classmethod
    def _own_active(cls, uow: UnitOfWork, actor: Actor, session_id: str) -> PracticeSession:
        session = cls._own(uow, actor, session_id, "add turns to")
        if session.state != "active":
            raise InputError(f"session {session_id!r} is {session.state}: start a new one to keep practising")
        return session

    @staticmethod
    def _own(uow: UnitOfWork, actor: Actor, session_id: str, verb: str, lock: bool = True) -> PracticeSession:
        session = visible_session(uow, actor, session_id, lock=lock)
        if session.user_id != actor.id:
            raise AccessDenied(f"only the person practising can {verb} this session")
        return session
