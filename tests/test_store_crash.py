"""Processes that die mid-call lose nothing they acknowledged; two processes writing at once lose nothing.

The writers are real subprocesses (tests/store_worker.py) on the same SQLite file or PostgreSQL schema. A worker
prints `ACK ...` only after a service call returned; the parent kills it with SIGKILL and then checks the database.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from tests import store_support
from tests.conftest import ROOT
from tests.store_support import build_world, make_services
from trainer.adapters.db import Database
from trainer.services.facade import Services

migrated_url = store_support.migrated_url
db = store_support.db
clock = store_support.clock
services = store_support.services

TIMEOUT = 60.0


class Worker:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store_worker", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, predicate, what: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + TIMEOUT
        while not predicate(self.seen):
            try:
                self.seen.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                self.proc.kill()
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"worker never got to {what}; stderr:\n{err}") from None

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)
        time.sleep(0.05)
        while not self.lines.empty():  # lines printed before the kill still count as acknowledged
            self.seen.append(self.lines.get())

    def acks(self, kind: str | None = None) -> list[tuple[str, str, str]]:
        out = []
        for line in self.seen:
            if line.startswith("ACK "):
                _, k, ident, *rest = line.split(" ", 3)
                if kind is None or k == kind:
                    out.append((k, ident, rest[0] if rest else ""))
        return out


def _check_integrity(db: Database) -> None:
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_killed_during_the_model_call_nothing_acknowledged_is_lost_and_the_call_resumes(
    services: Services, db: Database
) -> None:
    rep = build_world(services)["rep1a"]
    sid = services.sessions.start(rep, persona_id="dana_okafor", scenario="B", seed=11).id
    worker = Worker("call", db.url, "rep1a", sid, "10", "3")
    worker.wait_for(lambda seen: "IN_MODEL_CALL" in seen, "the model call")
    worker.kill()
    assert worker.proc.returncode == -signal.SIGKILL

    fresh = make_services(Database(db.url))  # a new process picking the call up
    state = fresh.sessions.resume(rep, sid)
    stored = {t.id: t for t in state.turns}
    acked = worker.acks()
    assert len(acked) == 4 + 3  # rep turns 0-3, replies 0-2
    for _kind, ident, said in acked:
        assert stored[ident].text == said and stored[ident].status == "complete"
    assert state.rep_texts == [f"rep turn {i}" for i in range(4)]  # what the engine replays with seed 11
    assert state.session.seed == 11
    assert state.coo_state == {"turn": 2}
    assert state.awaiting_reply is True  # rep turn 3 never got its reply
    fresh.sessions.complete_coo_turn(rep, sid, "coo reply 3", "complete", None, {"turn": 3})
    fresh.sessions.append_rep_turn(rep, sid, "rep turn 4")
    turns = fresh.sessions.transcript(rep, sid)
    assert [t.index for t in turns] == list(range(9))
    assert [t.speaker for t in turns] == ["rep", "coo"] * 4 + ["rep"]
    _check_integrity(db)


def test_killed_at_an_arbitrary_moment_while_writing(services: Services, db: Database) -> None:
    rep = build_world(services)["rep1a"]
    sid = services.sessions.start(rep, persona_id="dana_okafor", scenario="A").id
    worker = Worker("stream", db.url, "rep1a", sid)
    worker.wait_for(lambda seen: len(seen) >= 25, "25 acknowledged turns")
    worker.kill()  # somewhere inside a write, most likely
    _check_integrity(db)
    fresh = make_services(Database(db.url))
    state = fresh.sessions.resume(rep, sid)
    stored = {t.id: t.text for t in state.turns}
    acked = worker.acks()
    assert len(acked) >= 25
    assert all(stored.get(ident) == said for _k, ident, said in acked), "an acknowledged turn was lost"
    assert [t.index for t in state.turns] == list(range(len(state.turns)))
    assert len(state.turns) - len(acked) <= 1  # at most the write under way when killed (committed, unacked)
    if state.awaiting_reply:
        fresh.sessions.complete_coo_turn(rep, sid, "back", "complete", None, {})
    fresh.sessions.append_rep_turn(rep, sid, "still there?")
    assert fresh.sessions.resume(rep, sid).rep_texts[-1] == "still there?"


def test_two_processes_writing_sessions_at_once_lose_nothing(services: Services, db: Database, tmp_path: Path) -> None:
    rep = build_world(services)["rep1a"]
    shared = services.sessions.start(rep, persona_id="dana_okafor", scenario="C").id
    go = tmp_path / "go"
    count, turns = 8, 3
    workers = [Worker("sessions", db.url, "rep1a", tag, str(count), str(turns), str(go), shared) for tag in "xy"]
    for w in workers:
        w.wait_for(lambda seen: "READY" in seen, "ready")
    go.touch()
    for w in workers:
        w.wait_for(lambda seen: "DONE" in seen, "done")
        assert w.proc.wait(timeout=TIMEOUT) == 0, w.proc.stderr.read() if w.proc.stderr else ""

    check = make_services(Database(db.url))
    made = [ident for w in workers for _k, ident, _t in w.acks("session")]
    assert len(made) == len(set(made)) == 2 * count
    for sid in made:
        session_turns = check.sessions.transcript(rep, sid)
        assert [t.index for t in session_turns] == list(range(2 * turns))
        assert check.sessions.get(rep, sid).state == "ended"
    shared_turns = check.sessions.transcript(rep, shared)
    assert [t.index for t in shared_turns] == list(range(2 * count))
    assert sorted(t.text for t in shared_turns) == sorted(f"{tag} shared {n}" for tag in "xy" for n in range(count))
    assert len(check.sessions.list_mine(rep)) == 2 * count + 1
    _check_integrity(db)
