"""Playbook knowledge base at 1,000 passages, in both store modes: ingest rate and query latency.

Goals: ingest >= 60 passages/s (read, split, embed, upsert: `trainer playbook ingest` end to end, minus process
start), query p50 <= 15 ms (`store.search`: embed the query, map it, Chroma query, lexical re-rank). The query map's
fit, paid once per process on the first search, is reported on its own.

The playbook is synthetic but playbook-shaped: sections of the team's playbook repeated with varied headings and
sentences, so passages have the real length mix. Server mode uses TRAINER_TEST_CHROMA_URL (set by `make bench`) or
starts its own `chroma run` on loopback for the run.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import chromadb

from trainer.adapters.chroma_store import ChromaPassageStore, open_store
from trainer.adapters.embedder_onnx import get_embedder
from trainer.content.loader import load_content
from trainer.playbook import load_playbook
from trainer.playbook.query_map import query_map_for
from trainer.services import knowledge

TARGET_PASSAGES = 1000
N_QUERIES = 200
ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    "staff won't use another tool",
    "how do I end the call",
    "the COO says they just need more people",
    "IT will never approve this",
    "our bottleneck is floor space",
    "how do I open a cold call to an operations leader",
    "what proof works for a COO",
    "they already run a lean programme",
    "the last initiative stalled, should I call back",
    "how do I describe where time is lost without pitching features",
]
WHERE = [None, {"section": {"$in": ["objections", "movement_2"]}}, {"section": "movement_4"}]

_WORDS_TEXT = (
    "handoffs waiting admin rework queue dispatch intake approvals scheduling shift backlog throughput staff "
    "night-shift warehouse clinic claims picking packing returns onboarding escalation bottleneck overtime"
)
_WORDS = _WORDS_TEXT.split()


def _vary(line: str, team: str, rng: random.Random) -> str:
    if line.startswith("#"):
        return f"{line} ({team})"
    if len(line.split()) > 6:
        return f"{line} At {team}, {' '.join(rng.sample(_WORDS, 4))} cost the most time."
    return line


def synthetic_playbook(path: Path, target: int = TARGET_PASSAGES) -> int:
    """Write a markdown playbook with at least `target` passages; return how many it splits into."""
    base = (ROOT / "playbooks" / "coo_phone_outbound.md").read_text(encoding="utf-8")
    body = base.split("\n", 1)[1]  # without the title
    rng = random.Random(7)
    parts = ["# Synthetic playbook for the benchmark\n"]
    copy = 0
    while True:
        team = f"Team {copy}"
        parts.append("\n".join(_vary(line, team, rng) for line in body.splitlines()))
        copy += 1
        path.write_text("\n".join(parts), encoding="utf-8")
        n = len(load_playbook(path))
        if n >= target:
            return n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("the chroma server did not start")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(store: ChromaPassageStore, playbook: Path) -> dict[str, Any]:
    embedder = get_embedder()
    t0 = time.perf_counter()
    (report,) = knowledge.ingest([playbook], store=store, embedder=embedder, progress=False)
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    knowledge.ingest([playbook], store=store, embedder=embedder, progress=False)
    reingest_s = time.perf_counter() - t0
    assert store.count() >= report.passages
    for q in QUERIES:  # warm-up
        store.search(q, k=3)
    latencies = []
    for i in range(N_QUERIES):
        q, where = QUERIES[i % len(QUERIES)], WHERE[i % len(WHERE)]
        t = time.perf_counter()
        hits = store.search(q, k=3, where=where)
        latencies.append((time.perf_counter() - t) * 1000)
        assert hits
    return {
        "passages": report.passages,
        "ingest_s": round(ingest_s, 2),
        "ingest_passages_per_s": round(report.passages / ingest_s, 1),
        "reingest_unchanged_s": round(reingest_s, 2),
        "query_p50_ms": round(statistics.median(latencies), 2),
        "query_p95_ms": round(_percentile(latencies, 0.95), 2),
        "queries": len(latencies),
    }


def run() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    embedder = get_embedder()
    embedder.embed(["warm up"])
    single = []
    for _ in range(100):
        t = time.perf_counter()
        embedder.embed(["the COO says they just need more people"])
        single.append((time.perf_counter() - t) * 1000)
    results: dict[str, Any] = {
        "goals": {"ingest_passages_per_s": ">= 60", "query_p50_ms": "<= 15"},
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_before, 2),
        "embed_one_sentence_p50_ms": round(statistics.median(single), 2),
    }
    with tempfile.TemporaryDirectory(prefix="bench-knowledge-") as tmp:
        folder = Path(tmp)
        playbook = folder / "synthetic_playbook.md"
        results["synthetic_passages"] = synthetic_playbook(playbook)
        results["mean_passage_chars"] = round(statistics.mean(len(p.text) for p in load_playbook(playbook)))
        glossary = load_content(ROOT).glossary  # the product's search path: queries expanded by the team's glossary
        t0 = time.perf_counter()  # the map fitted on it: once per process, on the first search
        query_map_for(glossary, embedder)
        results["query_map_fit_s"] = round(time.perf_counter() - t0, 2)
        results["embedded"] = _measure(open_store(path=folder / "chroma", glossary=glossary), playbook)
        url = os.environ.get("TRAINER_TEST_CHROMA_URL")
        proc = None
        if not url:
            proc, url = _start_server(folder / "server")
        name = f"bench-{uuid.uuid4().hex[:10]}"
        try:
            server = open_store(url=url, collection=name, glossary=glossary)
            results["server"] = _measure(server, playbook)
            host, port = url.removeprefix("http://").split(":")
            chromadb.HttpClient(host=host, port=int(port)).delete_collection(name)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    for mode in ("embedded", "server"):
        r = results[mode]
        r["meets_goals"] = r["ingest_passages_per_s"] >= 60 and r["query_p50_ms"] <= 15
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
