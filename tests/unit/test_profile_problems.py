"""Layout profiles: every problem of a bad profile named exactly (where, which message, which values),
and what a kind cannot do without. Problems are compared sorted."""

from __future__ import annotations

import pytest

from huikuan.domain.errors import ImportRejected
from huikuan.domain.profile import parse_profile

BASE = '[profile]\nname = "t"\nkind = "invoices"\ntitle = { zh = "测", en = "t" }\n[columns]\ndate = "日期"\ncustomer_code = "客户"\namount = "金额"\n'


def problems(text: str) -> list[tuple[str, str, dict[str, object]]]:
    with pytest.raises(ImportRejected) as e:
        parse_profile(text, "t.toml")
    assert {p.source for p in e.value.problems} == {"t.toml"}
    return sorted((p.where, p.code, p.params) for p in e.value.problems)


CASES = [
    ('head_bad', 'only', 'colour = 1\n[profile]\nname = "Bad Name"\nkind = "x"\nfoo = 1\n[columns]\ndate = "d"\ncustomer_code = "c"\namount = "a"\n',
     [('colour', 'profile.unknown_key',
       {'allowed': 'columns, currency_map, customers, dates, detect, filter, from_title, layout, ledger, profile, '
                   'skip, values',
        'key': 'colour'}),
      ('profile.foo', 'profile.unknown_key', {'allowed': 'description, kind, name, title', 'key': 'foo'}),
      ('profile.kind', 'profile.enum', {'allowed': 'invoices, payments, ledger', 'value': "'x'"}),
      ('profile.name', 'profile.name', {'value': "'Bad Name'"}),
      ('profile.title', 'profile.label', {'value': '{}'})]),
    ('head_missing', 'only', '[columns]\ndate = "d"\ncustomer_code = "c"\namount = "a"\n',
     [('profile.kind', 'profile.enum', {'allowed': 'invoices, payments, ledger', 'value': 'None'}),
      ('profile.name', 'profile.name', {'value': 'None'}), ('profile.title', 'profile.label', {'value': '{}'})]),
    ('section_not_table', 'top', 'layout = 1\n',
     [('layout', 'profile.table', {'value': '1'})]),
    ('layout_bad', 'base', '[layout]\nheader_rows = 6\njoin = ""\nscan_rows = 0\nextra = 1\n',
     [('layout.extra', 'profile.unknown_key', {'allowed': 'header_rows, join, scan_rows', 'key': 'extra'}),
      ('layout.header_rows', 'profile.int', {'max': 5, 'min': 1, 'value': '6'}),
      ('layout.join', 'profile.strings', {'value': "''"}),
      ('layout.scan_rows', 'profile.int', {'max': 200, 'min': 1, 'value': '0'})]),
    ('layout_bool', 'base', '[layout]\nheader_rows = true\nscan_rows = 201\n',
     [('layout.header_rows', 'profile.int', {'max': 5, 'min': 1, 'value': 'True'}),
      ('layout.scan_rows', 'profile.int', {'max': 200, 'min': 1, 'value': '201'})]),
    ('columns_bad', 'base', 'nope = "x"\nnumber = { header = "号", optional = "yes", what = 1 }\nsummary = []\ncurrency = [""]\n',
     [('columns.currency', 'profile.strings', {'value': "['']"}),
      ('columns.nope', 'profile.unknown_key',
       {'allowed': 'date, year, month, day, customer_code, customer_name, number, summary, amount, debit, credit, '
                   'direction, balance, balance_direction, due_date, currency, account, settled_date, invoice_no, '
                   'voucher, bill_channel',
        'key': 'nope'}),
      ('columns.number', 'profile.unknown_key', {'allowed': 'header, optional', 'key': 'what'}),
      ('columns.number.optional', 'profile.bool', {'value': "'yes'"}),
      ('columns.summary', 'profile.strings', {'value': '[]'})]),
    ('values_bad', 'base', '[values]\nnope = "x"\ncurrency = 5\n',
     [('values.currency', 'profile.strings', {'value': '5'}),
      ('values.nope', 'profile.unknown_key',
       {'allowed': 'date, year, month, day, customer_code, customer_name, number, summary, amount, debit, credit, '
                   'direction, balance, balance_direction, due_date, currency, account, settled_date, invoice_no, '
                   'voucher, bill_channel',
        'key': 'nope'})]),
    ('from_title_bad', 'base', '[from_title]\nnumber = "x(.)"\ncurrency = "("\naccount = "abc"\nyear = ""\n',
     [('from_title.account', 'profile.regex_group', {'value': 'abc'}),
      ('from_title.currency', 'profile.regex',
       {'reason': 'missing ), unterminated subpattern at position 0', 'value': '('}),
      ('from_title.number', 'profile.unknown_key',
       {'allowed': 'customer_code, customer_name, year, date, currency, account', 'key': 'number'}),
      ('from_title.year', 'profile.strings', {'value': "''"})]),
    ('dates_bad', 'base', '[dates]\nformats = ["%Y-%m", "%Y/%m/%d", 1]\n',
     [('dates.formats', 'profile.strings', {'value': "['%Y-%m', '%Y/%m/%d', 1]"})]),
    ('dates_no_day', 'base', '[dates]\nformats = ["%Y-%m"]\n',
     [('dates.formats[0]', 'profile.date_format', {'value': '%Y-%m'})]),
    ('currency_bad', 'base', '[currency_map]\nBB01 = "cny"\nBB02 = 1\n',
     [('currency_map.BB01', 'profile.currency', {'value': "'cny'"}),
      ('currency_map.BB02', 'profile.currency', {'value': '1'})]),
    ('skip_bad', 'base', '[skip]\nmarkers = [1]\nsections = "y"\n',
     [('skip.markers', 'profile.strings', {'value': '[1]'}), ('skip.sections', 'profile.bool', {'value': "'y'"})]),
    ('filter_bad', 'base', '[filter]\nfield = "x"\n',
     [('filter', 'profile.filter_empty', {}),
      ('filter.field', 'profile.enum',
       {'allowed': 'date, year, month, day, customer_code, customer_name, number, summary, amount, debit, credit, '
                   'direction, balance, balance_direction, due_date, currency, account, settled_date, invoice_no, '
                   'voucher, bill_channel',
        'value': "'x'"})]),
    ('filter_prefix_bad', 'base', '[filter]\nfield = "account"\nprefix = [""]\n',
     [('filter', 'profile.filter_empty', {}), ('filter.prefix', 'profile.strings', {'value': "['']"})]),
    ('ledger_bad', 'base', '[ledger]\ndebit_values = []\nnumber_from_summary = "x"\nopening_marker = ""\nnumber_prefix = 1\nopening_balance_from = "z"\nsettle_from = "zz"\n',
     [('ledger.debit_values', 'profile.strings', {'value': '[]'}),
      ('ledger.number_from_summary', 'profile.regex_group', {'value': 'x'}),
      ('ledger.number_prefix', 'profile.strings', {'value': '1'}),
      ('ledger.opening_balance_from', 'profile.enum', {'allowed': 'balance, debit, amount', 'value': "'z'"}),
      ('ledger.opening_marker', 'profile.strings', {'value': "''"}),
      ('ledger.settle_from', 'profile.enum',
       {'allowed': 'date, year, month, day, customer_code, customer_name, number, summary, amount, debit, credit, '
                   'direction, balance, balance_direction, due_date, currency, account, settled_date, invoice_no, '
                   'voucher, bill_channel',
        'value': "'zz'"})]),
    ('customers_bad', 'base', '[customers]\ncreate = 1\nterms = ""\n',
     [('customers.create', 'profile.bool', {'value': '1'}), ('customers.terms', 'profile.strings', {'value': "''"})]),
    ('detect_bad', 'base', '[detect]\ntitle_keywords = ""\n',
     [('detect.title_keywords', 'profile.strings', {'value': "''"})]),
    ('missing_all', 'only', '[profile]\nname = "t"\nkind = "invoices"\ntitle = { zh = "测", en = "t" }\n',
     [('columns.amount', 'profile.missing_field', {'field': 'amount', 'kind': 'invoices'}),
      ('columns.customer_code', 'profile.missing_field', {'field': 'customer_code', 'kind': 'invoices'}),
      ('columns.date', 'profile.missing_field', {'field': 'date', 'kind': 'invoices'})]),
    ('month_day_without_year', 'only', '[profile]\nname = "t"\nkind = "payments"\ntitle = { zh = "测", en = "t" }\n[columns]\nmonth = "月"\nday = "日"\ncustomer_name = "户"\namount = "额"\n',
     [('columns.year', 'profile.missing_field', {'field': 'year', 'kind': 'payments'})]),
    ('ledger_missing_money', 'only', '[profile]\nname = "t"\nkind = "ledger"\ntitle = { zh = "测", en = "t" }\n[columns]\ndate = "日期"\ncustomer_code = "户"\ndebit = "借"\n',
     [('columns.credit', 'profile.missing_field', {'field': 'credit', 'kind': 'ledger'})]),
    ('ledger_direction_needs_amount', 'only', '[profile]\nname = "t"\nkind = "ledger"\ntitle = { zh = "测", en = "t" }\n[columns]\ndate = "日期"\ncustomer_code = "户"\ndirection = "方向"\n',
     [('columns.amount', 'profile.missing_field', {'field': 'amount', 'kind': 'ledger'})]),
]


@pytest.mark.parametrize(("name", "place", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_named_exactly(name, place, text, expected):
    whole = {"base": BASE + text, "top": text + BASE, "only": text}[place]
    assert problems(whole) == expected


def test_bad_toml_is_one_problem_with_the_reason():
    [(where, code, params)] = problems("[profile\n")
    assert (where, code) == ("", "profile.toml") and params["reason"]
