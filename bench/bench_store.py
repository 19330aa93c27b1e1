"""Store speed: how long the write-ahead calls take (the rep waits on `append_rep_turn` before the COO may answer),
resume and the manager's team list, on SQLite (synchronous=FULL) and, when `make bench` started it, PostgreSQL.
Also two threads writing separate calls at once (throughput in turns per second)."""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from trainer.adapters.db import Database
from trainer.content.loader import load_content
from trainer.services.facade import COMMAND_LINE, Services
from trainer.services.passwords import Passwords
from trainer.services.records import GradeInput, Timing

ROOT = Path(__file__).resolve().parent.parent
TURNS = 100


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p90_ms": round(1000 * ordered[int(0.9 * (len(ordered) - 1))], 2),
    }


def _measure(url: str) -> dict[str, Any]:
    db = Database(url)
    db.upgrade()
    services = Services(db, load_content(ROOT), passwords=Passwords.fast())
    team = services.users.ensure_team(COMMAND_LINE, "Bench")
    reps = [services.users.add_user(COMMAND_LINE, f"bench{i}", "bench password", "rep", team.id) for i in range(2)]
    manager = services.users.add_user(COMMAND_LINE, "benchm", "bench password", "manager", team.id)
    rep = reps[0]
    sid = services.sessions.start(rep, persona_id="dana_okafor", scenario="B").id
    append, complete = [], []
    for i in range(TURNS):
        t0 = time.perf_counter()
        services.sessions.append_rep_turn(rep, sid, f"rep turn {i} about handoffs and waiting time")
        t1 = time.perf_counter()
        services.sessions.complete_coo_turn(rep, sid, f"reply {i}", "complete", Timing(0.1, 0.5), {"interest": i})
        complete.append(time.perf_counter() - t1)
        append.append(t1 - t0)
    t0 = time.perf_counter()
    state = services.sessions.resume(rep, sid)
    resume_s = time.perf_counter() - t0
    assert len(state.turns) == 2 * TURNS
    services.sessions.end(rep, sid, "deferred")
    doc = {"status": "ok", "total": 8, "max_total": 12, "criteria": [{"id": "clarity", "score": 2, "max": 3}]}
    services.grades.store_grade(rep, sid, GradeInput.from_document(doc, rubric_id="coo_quality_check"))

    def writer(actor: Any, out: list[int]) -> None:
        s = services.sessions.start(actor, persona_id="dana_okafor", scenario="A").id
        for i in range(TURNS // 2):
            services.sessions.append_rep_turn(actor, s, f"turn {i}")
            services.sessions.complete_coo_turn(actor, s, "ok", "complete", None, {})
            out.append(2)

    counts: list[list[int]] = [[], []]
    threads = [threading.Thread(target=writer, args=(reps[i], counts[i])) for i in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    concurrent_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = services.review.team_sessions(manager, team.id)
    list_s = time.perf_counter() - t0
    db.dispose()
    return {
        "append_rep_turn": _ms(append),
        "complete_coo_turn": _ms(complete),
        f"resume_{2 * TURNS}_turns_ms": round(1000 * resume_s, 1),
        "team_sessions_ms": round(1000 * list_s, 1),
        "team_sessions_rows": len(rows),
        "two_writers_turns_per_s": round(sum(map(sum, counts)) / concurrent_s, 1),
    }


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = _measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
    pg = os.environ.get("TRAINER_TEST_DATABASE_URL")
    if pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            results["postgresql"] = _measure(f"{pg}?options=-csearch_path%3D{schema}")
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    else:
        results["postgresql"] = "skipped: TRAINER_TEST_DATABASE_URL not set (run through make bench)"
    return results
