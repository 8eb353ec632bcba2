"""PDF out: WeasyPrint renders the letter and statement HTML; Noto CJK (Debian's fonts-noto-cjk,
installed by ``make``) supplies the Chinese glyphs, embedded as subsets in the PDF.

Per process, the fonts are looked up once (one ``FontConfiguration``) and a page's ``<style>`` sheet is
parsed once (kept by its text): a letter's style is the same for every letter, so rendering a thousand
of them parses it once. ``render_many`` spreads a batch over a process pool, one worker per core, each
warmed up (fonts, imports) before the first page.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_CACHE_SIZE = 16
_state: dict[str, Any] = {}


def _fonts() -> Any:
    fc = _state.get("fonts")
    if fc is None:
        from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

        fc = _state["fonts"] = FontConfiguration()
    return fc


def _sheet(text: str) -> Any:
    sheets: OrderedDict[str, Any] = _state.setdefault("sheets", OrderedDict())
    css = sheets.get(text)
    if css is None:
        from weasyprint import CSS  # type: ignore[import-untyped]

        css = sheets[text] = CSS(string=text, font_config=_fonts())
        if len(sheets) > _CACHE_SIZE:
            sheets.popitem(last=False)
    else:
        sheets.move_to_end(text)
    return css


def render_pdf(html: str) -> bytes:
    """One document: its first ``<style>`` element becomes a parsed style sheet shared by every page
    rendered in this process with the same style text."""
    from weasyprint import HTML  # heavy: only when a PDF is made

    m = _STYLE.search(html)
    if m is None:
        return bytes(HTML(string=html).write_pdf(font_config=_fonts()))
    body = html[:m.start()] + html[m.end():]
    return bytes(HTML(string=body).write_pdf(stylesheets=[_sheet(m.group(1))], font_config=_fonts()))


def _warm() -> None:
    render_pdf("<html><head><style>body { font-family: 'Noto Serif CJK SC' }</style></head><body><p>催款函</p></body></html>")


def render_many(htmls: Sequence[str], workers: int | None = None) -> list[bytes]:
    """Many documents over a process pool (a worker per core): PDFs in the order of ``htmls``."""
    n = max(1, workers or os.cpu_count() or 1)
    if n == 1 or len(htmls) < 2:
        return [render_pdf(h) for h in htmls]
    with ProcessPoolExecutor(n, initializer=_warm) as pool:
        return list(pool.map(render_pdf, htmls, chunksize=max(1, min(8, len(htmls) // (4 * n)))))


class WeasyPdf:
    def pdf(self, html: str) -> bytes:
        return render_pdf(html)

    def pdf_many(self, htmls: Sequence[str], workers: int | None = None) -> list[bytes]:
        return render_many(htmls, workers)
