"""LLM backends: the adapter's overhead over a raw HTTP call (against the stub server, per call, streamed and not),
the embedded default's first-token and full-reply time for a typical COO prompt, and which embedded model phrases
the COO better (character breaks over the same acts, prompts and seeds)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.llm_voice_compare import compare_embedded_voices, typical_request
from tests.stub_openai_server import StubOpenAIServer
from trainer.ports import LLMRequest, Message
from trainer.settings import get_settings
from trainer.wiring import build_llm

OVERHEAD_CALLS = 200
EMBEDDED_CALLS = 10


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary_ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(1000 * statistics.median(values), 3), "p90_ms": round(1000 * _pct(values, 0.9), 3)}


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def adapter_overhead(n: int = OVERHEAD_CALLS) -> dict[str, Any]:
    text = "Trucks sit forty to fifty minutes in the yard before a door frees up."
    with StubOpenAIServer(default_text=text) as stub:
        llm = build_llm(
            get_settings(
                llm_backend="openai-compatible", openai_base_url=stub.base_url, llm_model=stub.model,
                llm_timeout=10, llm_max_retries=2, openai_api_key=None,
            )
        )  # fmt: skip
        request = LLMRequest(messages=(Message("user", "Where does the time go?"),), max_tokens=60)
        body = {"model": stub.model, "messages": [{"role": "user", "content": "Where does the time go?"}],
                "max_tokens": 60}  # fmt: skip
        url = f"{stub.base_url}/chat/completions"
        with httpx.Client(timeout=10) as raw:

            def raw_plain() -> None:
                raw.post(url, json=body).json()

            def raw_stream() -> None:
                with raw.stream("POST", url, json={**body, "stream": True}) as resp:
                    for line in resp.iter_lines():
                        if line == "data: [DONE]":
                            break

            def adapter_plain() -> None:
                llm.complete(request)

            def adapter_stream() -> None:
                for _ in llm.stream(request):
                    pass

            for fn in (raw_plain, raw_stream, adapter_plain, adapter_stream):  # warm connections and imports
                _timed(fn, 5)
            results = {name: _timed(fn, n) for name, fn in
                       [("raw_plain", raw_plain), ("adapter_plain", adapter_plain),
                        ("raw_stream", raw_stream), ("adapter_stream", adapter_stream)]}  # fmt: skip
    out: dict[str, Any] = {"calls_each": n, "reply_words": len(text.split())}
    for kind in ("plain", "stream"):
        raw_s, adapter_s = results[f"raw_{kind}"], results[f"adapter_{kind}"]
        out[kind] = {
            "raw_http": _summary_ms(raw_s),
            "adapter": _summary_ms(adapter_s),
            "overhead_p50_ms": round(1000 * (statistics.median(adapter_s) - statistics.median(raw_s)), 3),
        }
    return out


def embedded_latency(n: int = EMBEDDED_CALLS) -> dict[str, Any]:
    settings = get_settings(llm_backend="embedded")
    llm = build_llm(settings)
    start_s = llm.start()  # type: ignore[attr-defined]
    first, total, words = [], [], []
    try:
        for i in range(n):
            stream = llm.stream(typical_request(llm.preferred_style, seed=i, turn=i))
            for _ in stream:
                pass
            reply = stream.reply
            if reply.first_token_s is not None:
                first.append(reply.first_token_s)
            total.append(reply.total_s)
            words.append(len(reply.text.split()))
    finally:
        llm.stop()  # type: ignore[attr-defined]
    return {
        "model": llm.model_id,
        "style": llm.preferred_style,
        "calls": n,
        "server_start_s": round(start_s, 2),
        "first_token_s": {"p50": round(statistics.median(first), 3), "p90": round(_pct(first, 0.9), 3)},
        "full_reply_s": {"p50": round(statistics.median(total), 3), "p90": round(_pct(total, 0.9), 3)},
        "reply_words_p50": statistics.median(words),
    }


def run() -> dict[str, Any]:
    return {
        "adapter_overhead": adapter_overhead(),
        "embedded_default": embedded_latency(),
        "embedded_voice_comparison": compare_embedded_voices(),
    }
