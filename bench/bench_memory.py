"""Memory of the app as a team runs it: the web app process (Gradio, the embedder, Chroma, SQLAlchemy, the engine)
and the embedded model server, peak resident memory over three graded calls. Measured in a fresh process
(bench/memory_probe.py), so the other benchmarks' allocations do not count.

Goals (a 2-core, few-GB machine must run the demo beside a browser): app peak <= 1,000 MB, model server
peak <= 600 MB, both together <= 1,500 MB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOALS_MB = {"app_peak": 1000, "model_server_peak": 600, "together_peak": 1500}


def run() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory_probe"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    if out.returncode != 0:
        raise RuntimeError(f"memory probe failed: {out.stderr[-2000:]}")
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    app = probe["app"]["peak_mb"]
    server = (probe["model_server"] or {}).get("peak_mb", 0.0)
    measured = {"app_peak": app, "model_server_peak": server, "together_peak": round(app + server, 1)}
    return {
        "goals_mb": {k: f"<= {v}" for k, v in GOALS_MB.items()},
        "probe": probe,
        "peak_mb": measured,
        "meets_goals": all(measured[k] <= GOALS_MB[k] for k in GOALS_MB),
    }
