"""Child-process entry point for the embedded model server: `python -m trainer.adapters.llm.server_main
--parent-pid PID <llama_cpp.server arguments>`.

It runs llama-cpp-python's OpenAI-compatible server, with two guards: environment variables that the server would
read in place of our arguments (HOST, PORT, MODEL, N_CTX, ...) are dropped, and a watchdog thread exits the process
when the app that started it is gone (even if the app was killed and never ran its atexit handler).
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "--parent-pid":
        raise SystemExit("usage: python -m trainer.adapters.llm.server_main --parent-pid PID [server args]")
    parent_pid, rest = int(argv[1]), argv[2:]
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()

    from llama_cpp.server.settings import ModelSettings, ServerSettings

    for name in [*ModelSettings.model_fields, *ServerSettings.model_fields, "config_file"]:
        os.environ.pop(name.upper(), None)
        os.environ.pop(name, None)
    sys.argv = ["llama_cpp.server", *rest]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
