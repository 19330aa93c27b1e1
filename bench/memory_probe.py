"""Run by bench_memory in a fresh process: the web app as `make demo` builds it (embedded model, Chroma store with
the playbook, SQLite with the demo team, Gradio served on a loopback port), three reps' calls through the app's
handlers, then the peak memory of this process and of the model server. Prints one JSON object."""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

LINES = (
    "We see distribution centres where the doors are full but putaway lags. Is that your week?",
    "Where does a pallet wait longest between the dock and the shelf?",
    "A site like yours cut that wait from two days to one in six weeks, without a new system on day one.",
    "Would a forty-minute working session with your inbound lead next Tuesday be worth it? Happy to leave it if not.",
)


def peak_rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, from /proc, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"peak_mb": fields.get("VmHWM", 0.0), "now_mb": fields.get("VmRSS", 0.0)}


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    os.environ["TRAINER_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from trainer.services import knowledge
    from trainer.services.demo import seed_demo
    from trainer.services.grading import GradingService
    from trainer.services.live_calls import LiveCalls
    from trainer.services.practice import PracticeService
    from trainer.settings import get_settings
    from trainer.web.app import create_app, login_checker
    from trainer.web.handlers import WebHandlers
    from trainer.wiring import build_embedder, build_passage_store, build_services

    settings = get_settings()
    embedder = build_embedder(settings)
    store = build_passage_store(settings, embedder)
    knowledge.ingest([settings.content_dir / "playbooks" / "coo_phone_outbound.md"], store=store, embedder=embedder,
                     progress=False)  # fmt: skip
    services = build_services(settings)
    services.store.upgrade()  # type: ignore[attr-defined]
    seed_demo(services)
    practice = PracticeService(settings, content=services.content, embedder=embedder)
    live = LiveCalls(services, practice, GradingService(settings, content=services.content, embedder=embedder,
                                                        store=store))  # fmt: skip
    llm = practice.llm
    llm.start()  # type: ignore[union-attr]
    h = WebHandlers(services, live)
    blocks = create_app(settings, handlers=h)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    blocks.queue(default_concurrency_limit=16).launch(
        prevent_thread_lock=True, auth=login_checker(services), server_name="127.0.0.1", server_port=port, quiet=True
    )
    started = time.perf_counter()
    graded = 0
    for rep, persona in (("rita", "dana_okafor"), ("raj", "priya_raman"), ("rosa", "marcus_hale")):
        actor = h.actor(rep)
        view = h.start_call(actor, persona, "A", settings.difficulty)
        for line in LINES:
            if h.call_over(actor, view.session_id):
                break
            for _ in h.say(actor, view.session_id, line):
                pass
        graded += "## Quality check" in h.hang_up(actor, view.session_id)
    server_pid = getattr(getattr(llm, "server", None), "pid", None)
    result = {
        "calls": 3,
        "graded": graded,
        "calls_s": round(time.perf_counter() - started, 1),
        "app": peak_rss_mb(),
        "model_server": peak_rss_mb(server_pid) if server_pid else None,
        "model": f"{llm.backend}:{llm.model_id}" if llm else None,
    }
    blocks.close()
    llm.stop()  # type: ignore[union-attr]
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
