"""`run --json` as scripts read it: caught-up days listed, amounts as decimal yuan in a dry run and a
real one, reasons in the CLI's language."""

from __future__ import annotations

import json

import pytest

CUSTOMERS = "customer_code,name,terms\nKH1,成都蓉信商贸有限公司,net 30\n"
INVOICES = "invoice_no,customer_code,invoice_date,amount\nA1,KH1,2026-10-10,1234.5\n"


@pytest.fixture
def cli(cli_with_books):
    return cli_with_books(CUSTOMERS, INVOICES)


def test_caught_up_days_and_amounts(cli):
    assert cli("run", "--as-of", "2026-11-16", "--json")[0] == 0
    assert cli("run", "--as-of", "2026-11-17", "--dry-run", "--json")[0] == 0  # a dry run is not a day that ran
    code, out, _ = cli("run", "--as-of", "2026-11-23", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["caught_up"] == ["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
    assert {a["amount"] for a in doc["actions"]} == {"1234.50"} and doc["created"] == len(doc["actions"])
    code, out, _ = cli("run", "--as-of", "2026-11-24", "--dry-run", "--json")
    dry = json.loads(out)
    assert dry["dry_run"] is True and dry["caught_up"] == [] and dry["created"] == 0
    assert dry["actions"] and {a["amount"] for a in dry["actions"]} == {"1234.50"}


def test_reasons_follow_the_language(cli):
    code, out, _ = cli("--lang", "en", "run", "--as-of", "2026-11-23", "--json")
    doc = json.loads(out)
    call = next(a for a in doc["actions"] if a["kind"] == "call")
    assert code == 0 and call["reason"].startswith("14 days overdue") and not any(
        "\u4e00" <= ch <= "\u9fff" for a in doc["actions"] for ch in a["reason"])
    code, out, _ = cli("--lang", "en", "run", "--as-of", "2026-11-24", "--dry-run", "--json")
    esc = next(a for a in json.loads(out)["actions"] if a["kind"] == "escalate")  # day 15: the supervisor
    assert esc["reason"].startswith("15 days overdue")
    code, out, _ = cli("run", "--as-of", "2026-11-23", "--json")  # the same day again, in Chinese
    call = next(a for a in json.loads(out)["actions"] if a["kind"] == "call")
    assert call["reason"].startswith("逾期 14 天：")
