"""A separate process for the crash and concurrency tests: `python -m tests.store_worker MODE URL USERNAME ...`.

It prints `ACK <kind> <id> <text>` (flushed) only after a service call returned, i.e. after the write committed:
whatever it acknowledged must survive a SIGKILL. Modes:

- `call URL USER SESSION_ID TURNS HANG_AT`: plays a call; at rep turn HANG_AT it stores the rep turn, opens the
  COO reply and then waits inside the "model call" (prints `IN_MODEL_CALL`) until it is killed.
- `stream URL USER SESSION_ID`: writes rep turns and COO replies as fast as it can until killed.
- `sessions URL USER TAG COUNT TURNS GO_FILE SHARED_SESSION_ID`: prints `READY`, waits for GO_FILE to exist, then
  creates COUNT sessions of TURNS exchanges each and after each one appends a rep turn to the shared session;
  prints `DONE` at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.store_support import PASSWORD, make_services
from trainer.adapters.db import Database
from trainer.services.records import Timing


def _ack(kind: str, ident: str, text: str = "") -> None:
    print(f"ACK {kind} {ident} {text}", flush=True)


def main(argv: list[str]) -> int:
    mode, url, username = argv[:3]
    services = make_services(Database(url))
    actor = services.users.authenticate(username, PASSWORD)
    assert actor is not None, "worker could not sign in"
    s = services.sessions
    if mode == "call":
        session_id, turns, hang_at = argv[3], int(argv[4]), int(argv[5])
        for i in range(turns):
            text = f"rep turn {i}"
            _ack("rep", s.append_rep_turn(actor, session_id, text), text)  # committed BEFORE the model is asked
            s.begin_coo_turn(actor, session_id)
            if i == hang_at:
                print("IN_MODEL_CALL", flush=True)
                time.sleep(600)  # the parent SIGKILLs us here
            reply = f"coo reply {i}"
            _ack(
                "coo", s.complete_coo_turn(actor, session_id, reply, "complete", Timing(0.01, 0.02), {"turn": i}), reply
            )
        return 0
    if mode == "stream":
        session_id = argv[3]
        i = 0
        while True:
            text = f"stream {i}"
            _ack("rep", s.append_rep_turn(actor, session_id, text), text)
            _ack("coo", s.complete_coo_turn(actor, session_id, f"re {i}", "complete", None, {"i": i}), f"re {i}")
            i += 1
    if mode == "sessions":
        tag, count, turns, go_file, shared = argv[3], int(argv[4]), int(argv[5]), Path(argv[6]), argv[7]
        print("READY", flush=True)
        while not go_file.exists():
            time.sleep(0.005)
        for n in range(count):
            session = s.start(actor, persona_id="dana_okafor", scenario="B", seed=n)
            for t in range(turns):
                s.append_rep_turn(actor, session.id, f"{tag} {n}.{t}")
                s.complete_coo_turn(actor, session.id, f"reply {n}.{t}", "complete", None, {"t": t})
            s.end(actor, session.id, "deferred")
            _ack("session", session.id)
            _ack("shared", s.append_rep_turn(actor, shared, f"{tag} shared {n}"))
        print("DONE", flush=True)
        return 0
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
