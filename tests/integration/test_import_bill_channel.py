"""The billing channel (``bill_channel``: electronic | paper, empty = unknown) as an invoice fact, on SQLite
and PostgreSQL: read case-insensitively in English and Chinese, a value that is neither refused naming row,
column and value with nothing written, kept by a re-import that leaves the cell empty and changed by one that
gives another; the IBM layout reads ``PaperlessBill``; the payment model's reads give it as 1 / 0 / -1."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import ImportRejected
from huikuan.i18n import problem_text
from huikuan.services.import_ import import_rows
from huikuan.services.import_profiles import import_with_profile

IBM_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "profiles" / "ibm_ar_sample.csv"
CHANNELS = {"A": "Electronic", "B": "paper", "C": "电子", "D": "E", "E": "纸质", "F": "纸", "G": "", "H": "PAPER",
            "I": " ｅ "}


def _rows(channels: dict[str, str]) -> list[dict[str, object]]:
    return [{"invoice_no": n, "customer_code": "K1", "invoice_date": f"2026-08-{k + 1:02d}", "due_date": "2026-09-30",
             "amount": "100", "bill_channel": ch} for k, (n, ch) in enumerate(channels.items())]


def _stored(app: Any) -> dict[str, str | None]:
    inv = t.invoice.c
    with app.uow(write=False) as uow:
        return dict(uow.c.execute(select(inv.number, inv.bill_channel)).all())  # type: ignore[arg-type]


@pytest.fixture
def k1(app: Any) -> Any:
    import_rows(app, "customers", [{"customer_code": "K1", "name": "甲", "terms": "net 30"}])
    return app


def test_channels_are_read_in_english_and_chinese_and_kept_on_reimport(k1: Any) -> None:
    report = import_rows(k1, "invoices", _rows(CHANNELS))
    assert report.inserted == len(CHANNELS)
    want = {"A": "electronic", "B": "paper", "C": "electronic", "D": "electronic", "E": "paper", "F": "paper",
            "G": None, "H": "paper", "I": "electronic"}
    assert _stored(k1) == want
    # the same file again changes nothing; a file with the cells empty (or without the column) keeps them
    assert import_rows(k1, "invoices", _rows(CHANNELS)).unchanged == len(CHANNELS)
    assert import_rows(k1, "invoices", _rows(dict.fromkeys(CHANNELS, ""))).unchanged == len(CHANNELS)
    without = [{k: v for k, v in r.items() if k != "bill_channel"} for r in _rows(CHANNELS)]
    assert import_rows(k1, "invoices", without).unchanged == len(CHANNELS)
    assert _stored(k1) == want
    # a file that gives another channel changes it, like any other invoice field
    again = import_rows(k1, "invoices", _rows({"A": "纸质", "G": "electronic"}))
    assert (again.updated, again.unchanged) == (2, 0)
    assert _stored(k1) == {**want, "A": "paper", "G": "electronic"}


def test_a_bad_channel_is_refused_naming_row_column_and_value(k1: Any) -> None:
    with pytest.raises(ImportRejected) as e:
        import_rows(k1, "invoices", _rows({"A": "Electronic", "B": "email", "C": "纸质"}))
    [p] = e.value.problems
    assert (p.code, p.params["row"], p.params["column"], p.params["value"]) == ("bill_channel.invalid", 3, "bill_channel",
                                                                              "email")
    assert "第 3 行" in p.where and "bill_channel" in p.where
    assert "“email”" in problem_text(p, "zh") and "纸质" in problem_text(p, "zh")
    assert '"email"' in problem_text(p, "en") and "paper" in problem_text(p, "en")
    with k1.uow(write=False) as uow:
        assert uow.c.execute(select(func.count()).select_from(t.invoice)).scalar_one() == 0  # nothing written


def test_ibm_layout_reads_paperless_bill_and_the_model_reads_the_channel(app: Any) -> None:
    import_with_profile(app, IBM_SAMPLE, "ledger", "ibm-ar-dataset")
    assert _stored(app) == {"0000611365": "paper", "0007900770": "electronic", "0009231909": "electronic",
                            "0000911082": "paper"}
    import_rows(app, "invoices", [{"invoice_no": "X1", "customer_code": "0379-NEVHP", "invoice_date": "2013-08-01",
                                   "amount": "5"}])
    with app.uow(write=False) as uow:
        facts = {r[1]: r[9] for r in uow.analytics.payment_facts(date(2013, 9, 1))}
        cols = uow.analytics.payment_columns(date(2013, 9, 1))
    assert facts == {"0000611365": 0, "0007900770": 1, "0009231909": 1, "0000911082": 0, "X1": -1}
    ids = {int(i): n for n, i in _ids(app).items()}
    assert {ids[int(i)]: int(e) for i, e in zip(cols["id"], cols["electronic"], strict=True)} == facts


def _ids(app: Any) -> dict[str, int]:
    inv = t.invoice.c
    with app.uow(write=False) as uow:
        return dict(uow.c.execute(select(inv.number, inv.id)).all())  # type: ignore[arg-type]
