"""Credit notes (upsert by credit-note number), posted like payments (payments.py)."""

from __future__ import annotations

from typing import Any

from .payments import PostingImporter


class CreditNoteImporter(PostingImporter):
    """Credit notes (红字发票): a note that names an invoice reduces that invoice only; the rest stays as
    the customer's credit."""

    kind = "credit_note"
    number_col = "credit_note_no"
    date_col = "date"
    fk = "credit_note_id"
    named_only = True  # a red-letter invoice reduces the invoice it names; the rest stays as credit

    def update_in_place(self, posting_id: int, v: tuple[Any, ...]) -> None:
        self.repo.credit_note_details(posting_id, v)

    def insert_or_replace(self, posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]],
                          ) -> None:
        self.repo.write_credit_notes(posted)
