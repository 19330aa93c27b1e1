"""Prompt templates (`prompts/*.j2`), rendered with Jinja2 StrictUndefined: a missing variable fails loudly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from trainer.errors import ContentError


class PromptLibrary:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.j2"))

    def problems(self, root: Path) -> list[str]:
        out = []
        for path in sorted(self.folder.glob("*.j2")):
            label = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            try:
                self._env.parse(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                out.append(f"{label}: (file): not UTF-8 text")
            except jinja2.TemplateSyntaxError as exc:
                out.append(f"{label}: line {exc.lineno}: template syntax: {exc.message}")
        return out

    def render(self, name: str, **context: Any) -> str:
        """Render `prompts/<name>.j2`. Raises ContentError naming the file and the missing variable."""
        label = f"prompts/{name}.j2"
        try:
            template = self._env.get_template(f"{name}.j2")
        except jinja2.TemplateNotFound:
            raise ContentError([f"{label}: (file): no such prompt; have: {', '.join(self.names())}"]) from None
        try:
            return template.render(**context).strip()
        except jinja2.UndefinedError as exc:
            raise ContentError([f"{label}: variables: {exc.message}"]) from None
