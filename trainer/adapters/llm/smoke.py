"""`python -m trainer.adapters.llm.smoke`: load the smallest embedded model and generate two tokens. Exits 0 when
llama-cpp-python works on this CPU. A wheel built for another CPU (e.g. one with AMX, reused from pip's cache)
crashes here with SIGSEGV/SIGILL; `make install` then rebuilds it from source."""

from __future__ import annotations

import sys
from pathlib import Path

from trainer.adapters.llm.weights import locate_smollm2
from trainer.errors import ConfigError


def main() -> int:
    try:
        model_file = locate_smollm2(Path("."))  # shipped in its wheel: no models folder needed
    except ConfigError as exc:
        print(f"smoke: skipped ({exc})", file=sys.stderr)
        return 0
    from llama_cpp import Llama

    llm = Llama(str(model_file), n_ctx=256, n_threads=1, verbose=False)
    out = llm("Hello", max_tokens=2)
    print(f"llama-cpp-python works on this CPU: {out['choices'][0]['text']!r}")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
