"""Run the benchmarks: `python -m bench [NAME ...]`. Each bench module has `run() -> dict`; its result is written
to `bench/results/NAME.json` (with the date and the machine) and summarised on stdout."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        try:
            result = module.run()
        except Exception as exc:  # a failed benchmark is reported, the others still run
            print(f"   FAILED: {exc!r}")
            failed += 1
            continue
        record = {
            "bench": name,
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "results": result,
        }
        (out_dir / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
