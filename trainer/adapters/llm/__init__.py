"""LLM backends behind the `trainer.ports.LLM` protocol: embedded (llama.cpp server on loopback), openai,
openai-compatible and scripted. Vendor imports happen in the submodules, on first use."""

from trainer.adapters.llm.factory import build_llm

__all__ = ["build_llm"]
