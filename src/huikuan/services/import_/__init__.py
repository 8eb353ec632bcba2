"""Import customers, contacts, invoices, payments, credit notes, orders and deliveries from files or row
streams, and ERP exports through layout profiles. One module per kind; this package's names are the
public ones (``from huikuan.services.import_ import import_file``).

The contract (docs/imports.md):

1. **Validate everything first.** Every row is checked and every problem collected as a
   ``Problem(source, where="第 N 行 / row N, 列 <column>", code, params)``; with any problem the
   import raises ``ImportRejected(problems)`` and writes nothing. ``skip_invalid=True`` imports the
   good rows instead and (for files) writes the bad ones, with a reason column, to a rejects file.
2. **Upsert by external number** (customer code, invoice/payment/credit-note number, contact by
   customer + name): importing the same file twice changes nothing the second time; the report
   counts inserted / updated / unchanged rows.
3. **One transaction** for the whole import. Existing rows are pre-loaded into dicts once, rows
   are parsed through fast paths, and writes go set-based through ``uow.imports``
   (adapters/db/import_repo.py) — no query per row, which is what lets a million invoices load in
   seconds.

Money posting (payments, credit notes, credit applied to new invoices) goes through
``services.ledger`` so the open-amount invariants hold exactly as for a single CLI payment.

Modules: ``run`` (the steps every kind shares, the entry points), ``base`` (row checks, limits),
``report``, and one per kind — ``customers`` (and contacts), ``invoices``, ``payments``,
``credit_notes``, ``orders`` (and deliveries), ``profiles`` (ERP layouts, the ledger path).
"""

from __future__ import annotations

from .base import KEY_COLUMN, KINDS, MAX_LENGTH, Importer
from .report import ImportReport, refused_dict, where
from .run import HEADER_WHERE, IMPORTERS, import_file, import_rows, run_in

__all__ = ["HEADER_WHERE", "IMPORTERS", "KEY_COLUMN", "KINDS", "MAX_LENGTH", "ImportReport", "Importer",
           "import_file", "import_rows", "refused_dict", "run_in", "where"]
