"""Settings, read from environment variables (and a `.env` file in the working directory).

Every variable is listed with its default in the README's configuration table; `trainer settings` prints the
values in force.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LLMBackendName = Literal["embedded", "openai", "openai-compatible", "scripted"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINER_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / ".data",
        description="Everything the app writes: vector store, SQLite database, assembled model files.",
    )
    content_dir: Path = Field(
        default=PROJECT_ROOT,
        description="Folder holding personas/, rubrics/, prompts/ and playbooks/.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "TRAINER_DATABASE_URL"),
        description="SQLAlchemy URL; empty means SQLite in the data directory.",
    )
    chroma_url: str | None = Field(
        default=None, description="http://host:port of a `chroma run` server; empty means an embedded store."
    )
    chroma_collection: str = Field(default="playbook", description="Chroma collection holding playbook passages.")

    llm_backend: LLMBackendName = Field(
        default="embedded", description="embedded | openai | openai-compatible | scripted"
    )
    llm_model: str | None = Field(
        default=None,
        description="Model name: gpt-4o-mini for openai; required for openai-compatible; embedded uses embedded_model.",
    )
    llm_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a model call waits on the server (to connect, for the first token, between tokens).",
    )
    llm_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries on connection errors, timeouts, 429 and 5xx; a started stream is never replayed.",
    )
    llm_style: Literal["chat", "completions"] = Field(
        default="chat", description="openai-compatible: which API route phrases the COO."
    )
    llm_json_mode: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema", description="openai-compatible: how structured output is requested."
    )
    llm_capable: Literal["auto", "true", "false"] = Field(
        default="auto",
        description="Trust the model to read moves and grade: auto = yes for openai, for openai-compatible only "
        "when the model name says >= 7B parameters; never for embedded.",
    )
    embedded_model: Literal["gemma3-270m", "smollm2-135m"] = Field(
        default="gemma3-270m",
        description="Embedded model: gemma3-270m (completions route, the default: fewest character breaks) or smollm2-135m (chat route).",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "TRAINER_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "TRAINER_OPENAI_BASE_URL")
    )

    grader: Literal["signal", "llm"] = Field(default="signal", description="signal (deterministic) or llm.")
    difficulty: Literal["easy", "standard", "hard"] = Field(default="standard", description="Default difficulty.")
    max_message_chars: int = Field(default=2000, gt=0, description="Longest rep message accepted.")
    voice_budget_s: float = Field(
        default=1.2,
        ge=0,
        description="Seconds the model may take to phrase a COO reply; past them it is stopped, the checked sentences are kept, or the authored line is said (0 = no limit).",
    )
    host: str = Field(default="127.0.0.1", description="Web app bind address.")
    port: int = Field(default=7860, description="Web app port.")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "trainer.sqlite3"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


def get_settings(**overrides: object) -> Settings:
    """Fresh settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
