"""Practice calls that are stored as they happen: the COO engine on top of the session store.

Every rep turn is committed before any model is asked; the COO's reply is stored when it completes, with its
timing and the COO's state; a call is rebuilt from the stored turns after a crash or a closed tab (same seed and
rep turns -> same state); when the call ends it is graded and the grade stored. The web app and the CLI use this.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from trainer.content.loader import parse_transcript
from trainer.content.models import Turn as TranscriptTurn
from trainer.engine.call import Call
from trainer.errors import InputError
from trainer.grading.model import Grade
from trainer.services.facade import Services
from trainer.services.grading import GradingService
from trainer.services.practice import PracticeService
from trainer.services.records import Actor, GradeInput, PracticeSession, Timing


class LiveCalls:
    def __init__(self, services: Services, practice: PracticeService, grading: GradingService | None = None):
        self.services = services
        self.practice = practice
        self.grading = grading
        self._calls: dict[str, Call] = {}
        self._lock = threading.Lock()

    def start(
        self,
        actor: Actor | None,
        *,
        persona_id: str | None = None,
        scenario: str | None = None,
        difficulty: str | None = None,
        drill_id: str | None = None,
        seed: int | None = None,
    ) -> tuple[PracticeSession, str]:
        """Open a stored session and let the COO pick up. Returns the session and the COO's greeting."""
        session = self.services.sessions.start(
            actor, persona_id=persona_id, scenario=scenario, difficulty=difficulty, drill_id=drill_id, seed=seed
        )
        call = self._new_call(session)
        greeting = call.open()
        with self._lock:
            self._calls[session.id] = call
        return session, greeting

    def say(self, actor: Actor | None, session_id: str, text: str) -> Iterator[str]:
        """Store the rep's turn, then stream the COO's reply and store it. Bad input raises before anything."""
        call = self.call(actor, session_id)
        if call.ended:
            raise InputError(f"the call has ended ({call.outcome}); start a new call")
        self.services.sessions.append_rep_turn(actor, session_id, text)  # write-ahead: stored before any model call
        self.services.sessions.begin_coo_turn(actor, session_id)
        pieces: list[str] = []
        try:
            for piece in call.rep_says(text):
                pieces.append(piece)
                yield piece
        except BaseException:
            # the stream was cut (the browser left, the process is stopping): keep what was said, marked as such
            self.services.sessions.complete_coo_turn(actor, session_id, "".join(pieces), "interrupted", None, None)
            raise
        self._store_reply(actor, session_id, call)

    def resume(self, actor: Actor | None, session_id: str) -> tuple[Call, Iterator[str]]:
        """Rebuild a call from its stored turns. The iterator says the reply still owed, if any (else nothing)."""
        state = self.services.sessions.resume(actor, session_id)
        call = self._new_call(state.session)
        call.open()
        answered = [t for t in state.turns if t.speaker == "rep" or t.status in ("complete", "interrupted")]
        call.replay([TranscriptTurn(speaker=t.speaker, text=t.text or "...") for t in answered])
        with self._lock:
            self._calls[session_id] = call

        def owed() -> Iterator[str]:
            if state.awaiting_reply:
                self.services.sessions.begin_coo_turn(actor, session_id)
                yield from call.answer_pending()
                self._store_reply(actor, session_id, call)

        return call, owed()

    def call(self, actor: Actor | None, session_id: str) -> Call:
        """The live call of a session this actor owns (rebuilt from the store when this process lost it)."""
        with self._lock:
            call = self._calls.get(session_id)
        if call is None:
            call, owed = self.resume(actor, session_id)
            for _ in owed:
                pass
        else:
            self.services.sessions.get(actor, session_id)  # access check: the cache is no back door
        return call

    def hang_up(self, actor: Actor | None, session_id: str) -> Grade | None:
        """End the call (if the COO did not already) and grade it. Returns the stored grade, if a grader is set."""
        session = self.services.sessions.get(actor, session_id)
        with self._lock:
            call = self._calls.pop(session_id, None)
        if session.state == "active":
            self.services.sessions.end(actor, session_id, call.outcome if call is not None else None)
        if self.grading is None:
            return None
        turns = self.services.sessions.transcript(actor, session_id)
        rep_turns = [t for t in turns if t.speaker == "rep"]
        if not rep_turns:
            return None
        # the COO's greeting is not stored (it is the scenario's authored line); graded with it, turn numbers in the
        # grade match the transcript the rep and the manager see, and the calibration format, which starts with it
        greeting = self.services.content.opening_line(session.persona_id, session.scenario)
        transcript = parse_transcript(
            {
                "id": session_id,
                "scenario": session.scenario,
                "persona": session.persona_id,
                "turns": [
                    {"speaker": "coo", "text": greeting},
                    *({"speaker": t.speaker, "text": t.text} for t in turns if t.text.strip()),
                ],
            }
        )
        grade = self.grading.grade(transcript, session.rubric_id)
        self.services.grades.store_grade(
            actor, session_id, GradeInput.from_document(grade.to_dict(), rubric_id=session.rubric_id)
        )
        return grade

    def abandon(self, actor: Actor | None, session_id: str) -> PracticeSession:
        """Drop the rep's open call: stored as abandoned (not graded; a drill attempt does not count), the live call
        forgotten. Only the rep practising may; an ended call is refused."""
        session = self.services.sessions.abandon(actor, session_id)
        with self._lock:
            self._calls.pop(session_id, None)
        return session

    def _new_call(self, session: PracticeSession) -> Call:
        return self.practice.new_call(session.persona_id, session.scenario, session.difficulty, seed=session.seed)

    def _store_reply(self, actor: Actor | None, session_id: str, call: Call) -> None:
        rec = call.records[-1]
        timing = Timing(first_token_s=rec.first_token_s, total_s=rec.total_s)
        self.services.sessions.complete_coo_turn(actor, session_id, rec.text, "complete", timing, rec.to_dict())
        if call.ended:
            self.services.sessions.end(actor, session_id, call.outcome)
