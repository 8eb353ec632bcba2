"""PDF out: WeasyPrint renders the letter and statement HTML; Noto CJK (Debian's fonts-noto-cjk,
installed by ``make``) supplies the Chinese glyphs, embedded as subsets in the PDF."""

from __future__ import annotations


class WeasyPdf:
    def pdf(self, html: str) -> bytes:
        from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: only when a PDF is made

        return bytes(HTML(string=html).write_pdf())
