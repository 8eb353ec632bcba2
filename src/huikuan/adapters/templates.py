"""Message and page templates in a sandboxed Jinja2 environment.

A message template (``templates/messages/<stage>.<channel>.<lang>.j2``, or a version an admin saved) is
plain text in blocks: ``subject`` and ``body`` for e-mail, ``body`` (and optionally ``code``, the
provider's approved template code) for SMS. The sandbox keeps a template from reaching Python
internals; ``StrictUndefined`` makes a missing variable an error, so the admin's preview fails on it.
Page templates (``templates/pages/*.html``: letters, statements, the e-mail layout) are autoescaped.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..domain.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent / "templates"


class JinjaTemplates:
    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self._compiled: dict[str, Any] = {}  # source → compiled template (the run renders 10⁵ messages)
        self._sources: dict[tuple[str, str, str], str | None] = {}

    @cached_property
    def _text(self) -> ImmutableSandboxedEnvironment:
        return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

    @cached_property
    def _pages(self) -> ImmutableSandboxedEnvironment:
        from jinja2 import FileSystemLoader

        return ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(self.root / "pages")),
                                             undefined=StrictUndefined, autoescape=select_autoescape(["html"]))

    def render(self, source: str, variables: dict[str, Any], *, html: bool = False) -> dict[str, str]:
        try:
            tmpl = self._compiled.get(source)
            if tmpl is None:
                tmpl = self._compiled[source] = self._text.from_string(source)
            ctx = tmpl.new_context(dict(variables))
            return {name: "".join(block(ctx)).strip() for name, block in tmpl.blocks.items()}
        except TemplateError as e:
            line = getattr(e, "lineno", None)
            raise InvalidInput("template.invalid", reason=str(e.message or e), line=line or "?") from e

    def shipped(self, stage: str, channel: str, lang: str) -> str | None:
        key = (stage, channel, lang)
        if key not in self._sources:
            path = self.root / "messages" / f"{stage}.{channel}.{lang}.j2"
            self._sources[key] = path.read_text(encoding="utf-8") if path.is_file() else None
        return self._sources[key]

    def shipped_keys(self) -> list[tuple[str, str, str]]:
        out = []
        for p in sorted((self.root / "messages").glob("*.j2")):
            stage, channel, lang, _ = p.name.split(".")
            out.append((stage, channel, lang))
        return out

    def render_page(self, name: str, variables: dict[str, Any]) -> str:
        try:
            return self._pages.get_template(name).render(**variables)
        except TemplateError as e:
            raise InvalidInput("template.invalid", reason=str(e.message or e), line=getattr(e, "lineno", "?")) from e
