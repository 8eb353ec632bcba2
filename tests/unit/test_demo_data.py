"""The demo company generator: deterministic, realistic, exact."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from huikuan.domain.money import Money
from huikuan.domain.terms import parse_terms
from huikuan.services.demo_data import DebtorKind, add_months, deal_kinds, generate

AS_OF = date(2026, 11, 23)
AMOUNT = re.compile(r"^\d+\.\d{2}$")
HAN = re.compile(r"^[\u4e00-\u9fff（）]+$")


@pytest.fixture(scope="module")
def company():
    return generate(customers=300, months=14, seed=7, as_of=AS_OF)


def _minor(text: object) -> int:
    assert isinstance(text, str) and AMOUNT.match(text), text
    return Money.parse(text).minor


def test_same_seed_gives_identical_company(company):
    again = generate(customers=300, months=14, seed=7, as_of=AS_OF)
    assert again == company


def test_different_seed_gives_different_company(company):
    other = generate(customers=300, months=14, seed=8, as_of=AS_OF)
    assert other.customers != company.customers
    assert other.invoices != company.invoices


def test_as_of_is_required():
    with pytest.raises(ValueError):
        generate(customers=5, months=2, seed=1, as_of=None)


def test_every_debtor_kind_is_present(company):
    kinds = Counter(k for _, k in company.kinds)
    assert set(kinds) == set(DebtorKind)
    assert kinds[DebtorKind.GOOD] > kinds[DebtorKind.DELIBERATE]


@pytest.mark.parametrize("n", [6, 7, 11, 300, 1001])
def test_deal_kinds_covers_every_kind_and_count(n):
    import random

    kinds = deal_kinds(n, random.Random(1))
    assert len(kinds) == n
    assert set(kinds) == set(DebtorKind)


def test_amounts_are_exact_decimal_text(company):
    for rows, key in ((company.invoices, "amount"), (company.payments, "amount"),
                      (company.credit_notes, "amount"), (company.customers, "credit_limit")):
        for r in rows:
            assert _minor(r[key]) >= 0
    for d in company.disputes:
        assert isinstance(d.amount_minor, int) and d.amount_minor > 0
    for p in company.promises:
        assert isinstance(p.amount_minor, int) and p.amount_minor > 0


def test_dealer_invoices_are_between_5000_and_900000_yuan(company):
    dealers = {r["customer_code"] for r in company.customers if r["type"] == "dealer"}
    deliberate = {c for c, k in company.kinds if k is DebtorKind.DELIBERATE}
    for r in company.invoices:
        if r["customer_code"] in dealers:
            top = 300_000 * 3 if r["customer_code"] in deliberate else 300_000  # inflated pre-default orders
            assert 5_000_00 <= _minor(r["amount"]) < (top + 1) * 100


def test_dates_lie_in_the_window(company):
    start = add_months(AS_OF, -14)
    assert company.window_start == start
    for r in company.invoices:
        on = date.fromisoformat(r["invoice_date"])
        assert start < on <= AS_OF
        assert date.fromisoformat(r["due_date"]) >= on
    for r in company.payments:
        assert date.fromisoformat(r["payment_date"]) <= AS_OF
    for r in company.credit_notes:
        assert date.fromisoformat(r["date"]) <= AS_OF
    for a in company.activities:
        assert a.at.date() <= AS_OF
    for p in company.promises:
        assert p.made_on <= AS_OF


def test_references_exist(company):
    codes = {r["customer_code"] for r in company.customers}
    invoices = {r["invoice_no"]: r["customer_code"] for r in company.invoices}
    assert len(invoices) == len(company.invoices)
    for rows in (company.contacts, company.payments, company.credit_notes):
        assert {r["customer_code"] for r in rows} <= codes
    for r in company.payments:
        if r["invoice_no"]:
            assert invoices[r["invoice_no"]] == r["customer_code"]
    for r in company.credit_notes:
        assert invoices[r["invoice_no"]] == r["customer_code"]
    for d in company.disputes:
        assert invoices[d.invoice_no] == d.customer_code
    assert {a.customer_code for a in company.activities} <= codes


def test_names_and_contacts_look_chinese_and_fake(company):
    names = [r["name"] for r in company.customers]
    assert len(set(names)) == len(names)
    assert all(HAN.match(n) for n in names)
    assert all(re.fullmatch(r"KH\d{6}", r["customer_code"]) for r in company.customers)
    for c in company.contacts:
        assert HAN.match(c["name"]) and 2 <= len(c["name"]) <= 3
        assert re.fullmatch(r"1[3-4]\d0000\d{4}", c["phone"])
        assert c["email"].endswith("@example.com")
    per_customer = defaultdict(set)
    for c in company.contacts:
        assert c["name"] not in per_customer[c["customer_code"]]
        per_customer[c["customer_code"]].add(c["name"])


def test_master_data_mix(company):
    terms = Counter(r["terms"] for r in company.customers)
    for text in terms:
        parse_terms(text)
    assert 0.05 < terms["cash"] / 300 < 0.2
    assert {"net 30", "eom 30", "day 25"} <= set(terms)
    assert 0.05 < sum(r["deliver_two_settle_one"] == "true" for r in company.customers) / 300 < 0.25
    types = Counter(r["type"] for r in company.customers)
    assert types["dealer"] > types["enterprise"] > 0 and types["government"] > 0 and types["export"] > 0
    assert 3 <= len({r["collector"] for r in company.customers}) <= 6


def test_behaviour_leaves_its_traces(company):
    methods = Counter(r["method"] for r in company.payments)
    assert methods["acceptance_bill"] > 0
    for r in company.payments:
        if r["method"] == "acceptance_bill":
            months = (date.fromisoformat(r["bill_maturity"]) - date.fromisoformat(r["payment_date"])).days
            assert 90 <= months <= 183
    assert company.credit_notes and company.disputes
    assert {a.excuse for a in company.activities} >= {"no_money", "boss_travelling", "quality"}
    assert {a.outcome for a in company.activities} >= {"promised", "no_answer", "disputed", "paid"}
    assert any(p.promised_on > AS_OF for p in company.promises)  # an open promise


def test_partial_payments_exist(company):
    paid = defaultdict(int)
    for r in company.payments:
        if r["invoice_no"]:
            paid[r["invoice_no"]] += _minor(r["amount"])
    amounts = {r["invoice_no"]: _minor(r["amount"]) for r in company.invoices}
    assert any(0 < m < amounts[no] for no, m in paid.items())


def test_money_balances_exactly(company):
    invoiced = sum(_minor(r["amount"]) for r in company.invoices)
    paid = sum(_minor(r["amount"]) for r in company.payments)
    credited = sum(_minor(r["amount"]) for r in company.credit_notes)
    assert company.open_minor == invoiced - paid - credited
    assert 0 < company.overdue_minor() < company.open_minor
    assert all(m > 0 for _, m in company.open_by_invoice)


def test_deliberate_debtors_fall_silent_and_break_promises(company):
    deliberate = {c for c, k in company.kinds if k is DebtorKind.DELIBERATE}
    recent = AS_OF - timedelta(days=55)
    for code in deliberate:
        assert not any(r["customer_code"] == code and date.fromisoformat(r["payment_date"]) > recent
                       for r in company.payments)
        assert any(p.customer_code == code for p in company.promises)


def test_technical_debtors_promise_instalments(company):
    technical = {c for c, k in company.kinds if k is DebtorKind.TECHNICAL}
    per = Counter(p.customer_code for p in company.promises if p.customer_code in technical)
    assert sum(n >= 3 for n in per.values()) >= len(technical) // 2
