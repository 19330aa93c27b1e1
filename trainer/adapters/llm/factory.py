"""Build the configured LLM from settings (called by trainer.wiring.build_llm)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from trainer.errors import ConfigError
from trainer.settings import Settings

if TYPE_CHECKING:
    from trainer.ports import LLM

OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
CAPABLE_MIN_BILLIONS = 7.0
_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", re.IGNORECASE)


def model_size_billions(model: str) -> float | None:
    """Parameter count read from a model name ("llama3.1:8b" -> 8, "Qwen2.5-0.5B-Instruct" -> 0.5,
    "SmolLM2-135M" -> 0.135, "mixtral-8x7b" -> 56); None when the name does not say."""
    name = model.lower()
    experts = re.search(r"(\d+)x(\d+(?:\.\d+)?)b", name)
    if experts:
        return int(experts.group(1)) * float(experts.group(2))
    sizes = [float(n) / (1000 if unit.lower() == "m" else 1) for n, unit in _SIZE.findall(name)]
    return max(sizes) if sizes else None


def is_capable(settings: Settings, model: str) -> bool:
    """TRAINER_LLM_CAPABLE=true/false decides; `auto` trusts OpenAI's hosted models, and for an OpenAI-compatible
    server trusts a model whose name says it has at least 7B parameters (unknown size: not capable, so the
    deterministic path stays in charge)."""
    if settings.llm_capable != "auto":
        return settings.llm_capable == "true"
    if settings.llm_backend == "openai":
        return True
    if settings.llm_backend == "openai-compatible":
        size = model_size_billions(model)
        return size is not None and size >= CAPABLE_MIN_BILLIONS
    return False


def build_llm(settings: Settings) -> LLM:
    """The LLM for TRAINER_LLM_BACKEND. Raises ConfigError naming the setting that is missing or wrong."""
    backend = settings.llm_backend
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if backend == "scripted":
        from trainer.adapters.llm.scripted import ScriptedLLM

        return ScriptedLLM(model_id=settings.llm_model or "scripted", capable=settings.llm_capable == "true")
    if backend == "embedded":
        from trainer.adapters.llm.embedded import EmbeddedLLM, EmbeddedServer
        from trainer.adapters.llm.weights import INSTALL_HINT, embedded_model

        model = embedded_model(settings.embedded_model)
        if not model.installed():
            raise ConfigError(
                f"the embedded model {model.name} ({model.description}) is not installed: {INSTALL_HINT}; "
                "or choose another with TRAINER_EMBEDDED_MODEL / TRAINER_LLM_BACKEND"
            )
        server = EmbeddedServer(model, models_dir=settings.models_dir, logs_dir=settings.data_dir / "logs")
        return EmbeddedLLM(server, timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)

    from trainer.adapters.llm.openai_llm import OpenAICompatibleLLM

    if backend == "openai":
        if not key:
            raise ConfigError("TRAINER_LLM_BACKEND=openai needs an API key: set OPENAI_API_KEY")
        model_name = settings.llm_model or OPENAI_DEFAULT_MODEL
        return OpenAICompatibleLLM(
            backend="openai",
            model=model_name,
            base_url=settings.openai_base_url or None,
            api_key=key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            preferred_style="chat",
            capable=is_capable(settings, model_name),
            json_mode="json_schema",
        )
    # openai-compatible
    if not settings.openai_base_url:
        raise ConfigError(
            "TRAINER_LLM_BACKEND=openai-compatible needs the server's URL: set OPENAI_BASE_URL "
            "(e.g. http://127.0.0.1:8000/v1 for vLLM or llama.cpp, http://127.0.0.1:11434/v1 for Ollama)"
        )
    if not settings.llm_model:
        raise ConfigError(
            "TRAINER_LLM_BACKEND=openai-compatible needs a model name: set TRAINER_LLM_MODEL to a model your "
            f"server serves (GET {settings.openai_base_url.rstrip('/')}/models lists them)"
        )
    return OpenAICompatibleLLM(
        backend="openai-compatible",
        model=settings.llm_model,
        base_url=settings.openai_base_url,
        api_key=key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        preferred_style=settings.llm_style,
        capable=is_capable(settings, settings.llm_model),
        json_mode=settings.llm_json_mode,
    )
