"""The vocabulary an import understands, held to what docs/imports.md promises and to the Chinese words
ERP exports and people write: every documented column alias resolves to its column (and no alias works
that the documentation does not name), the required columns are the bold ones, every Chinese name of a
coded value and every yes/no word reads as it should."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.domain.ledger import ContactRole, CustomerType, DisputeCategory, PaymentMethod
from huikuan.domain.parsing import (
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    parse_bool,
    parse_contact_role,
    parse_customer_type,
    parse_dispute_category,
    parse_payment_method,
    resolve_headers,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "imports.md"


def _documented() -> dict[str, dict[str, tuple[bool, list[str]]]]:
    """kind → column → (required, aliases), from the column tables of docs/imports.md."""
    out: dict[str, dict[str, tuple[bool, list[str]]]] = {}
    kind = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^### ([a-z-]+)", line):
            kind = m.group(1)
        elif line.startswith("## "):
            kind = None
        elif kind and line.startswith("| ") and not line.startswith(("| column", "|---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out.setdefault(kind, {})[cells[0].strip("*")] = (
                cells[0].startswith("**"), [a.strip() for a in cells[1].split(",") if a.strip()])
    return out


DOCUMENTED = _documented()
CASES = [(kind, column, alias) for kind, columns in DOCUMENTED.items() for column, (_req, aliases) in columns.items()
         for alias in [column, *aliases]]


def test_every_import_kind_and_column_is_documented():
    assert set(DOCUMENTED) == set(HEADER_ALIASES)
    for kind, columns in HEADER_ALIASES.items():
        assert set(DOCUMENTED[kind]) == set(columns), kind


@pytest.mark.parametrize(("kind", "column", "alias"), CASES)
def test_each_documented_alias_names_its_column(kind, column, alias):
    mapping, unknown, duplicates = resolve_headers(kind, [alias])
    assert mapping == {alias: column} and unknown == [] and duplicates == []


@pytest.mark.parametrize("kind", sorted(HEADER_ALIASES))
def test_no_alias_works_that_the_documentation_does_not_name(kind):
    for column, aliases in HEADER_ALIASES[kind].items():
        assert sorted(aliases) == sorted(DOCUMENTED[kind][column][1]), (kind, column)


@pytest.mark.parametrize("kind", sorted(REQUIRED_COLUMNS))
def test_the_required_columns_are_the_bold_ones(kind):
    assert REQUIRED_COLUMNS[kind] == tuple(c for c, (req, _a) in DOCUMENTED[kind].items() if req)


CHOICES = [
    (parse_customer_type, {"经销商": CustomerType.DEALER, "代理商": CustomerType.DEALER,
                           "企业": CustomerType.ENTERPRISE, "公司": CustomerType.ENTERPRISE,
                           "政府": CustomerType.GOVERNMENT, "出口": CustomerType.EXPORT, "外贸": CustomerType.EXPORT,
                           "学生": CustomerType.STUDENT, "持卡人": CustomerType.CARDHOLDER}),
    (parse_contact_role, {"财务": ContactRole.FINANCE, "会计": ContactRole.FINANCE, "出纳": ContactRole.FINANCE,
                          "签字人": ContactRole.SIGNATORY, "采购": ContactRole.PURCHASING, "老板": ContactRole.OWNER,
                          "法人": ContactRole.LEGAL_REP, "法定代表人": ContactRole.LEGAL_REP,
                          "其他": ContactRole.OTHER}),
    (parse_payment_method, {"转账": PaymentMethod.TRANSFER, "银行转账": PaymentMethod.TRANSFER,
                            "电汇": PaymentMethod.TRANSFER, "现金": PaymentMethod.CASH,
                            "承兑汇票": PaymentMethod.ACCEPTANCE_BILL, "银行承兑汇票": PaymentMethod.ACCEPTANCE_BILL,
                            "商业承兑汇票": PaymentMethod.ACCEPTANCE_BILL, "承兑": PaymentMethod.ACCEPTANCE_BILL,
                            "支票": PaymentMethod.CHEQUE, "其他": PaymentMethod.OTHER}),
    (parse_dispute_category, {"质量": DisputeCategory.QUALITY, "质量问题": DisputeCategory.QUALITY,
                              "少货": DisputeCategory.SHORT_DELIVERY, "短少": DisputeCategory.SHORT_DELIVERY,
                              "破损": DisputeCategory.DAMAGED, "缺单据": DisputeCategory.DOCUMENTS_MISSING,
                              "缺发票": DisputeCategory.DOCUMENTS_MISSING, "返利": DisputeCategory.REBATE_OWED,
                              "促销": DisputeCategory.PROMOTION_OWED, "价格": DisputeCategory.PRICING,
                              "其他": DisputeCategory.OTHER}),
]


@pytest.mark.parametrize(("parse", "word", "value"),
                         [(parse, word, value) for parse, words in CHOICES for word, value in words.items()])
def test_each_chinese_name_of_a_coded_value(parse, word, value):
    assert parse(word) is value
    assert parse(f" {word} ") is value  # as a cell often holds it


@pytest.mark.parametrize(("parse", "code"), [
    (parse_customer_type, "customer_type.invalid"), (parse_contact_role, "contact_role.invalid"),
    (parse_payment_method, "payment_method.invalid"), (parse_dispute_category, "dispute_category.invalid"),
])
def test_every_code_is_accepted_in_any_case_and_a_refusal_lists_them_all(parse, code):
    enum = type(parse("其他" if parse is not parse_customer_type else "经销商"))
    for member in enum:
        assert parse(member.value.upper().replace("_", "-")) is member
        assert parse(member.value.replace("_", " ")) is member
    with pytest.raises(InvalidInput) as e:
        parse("  火星 ")
    assert e.value.code == code
    assert e.value.params == {"value": "火星", "allowed": ", ".join(m.value for m in enum)}


@pytest.mark.parametrize("word", ["是", "true", "t", "1", "y", "yes", "对", "√", "✓", "TRUE", "Yes", "Ｙ", " 是 "])
def test_yes_words(word):
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", ["否", "false", "f", "0", "n", "no", "不", "不是", "", "  ", "NO", "Ｆａｌｓｅ"])
def test_no_words(word):
    assert parse_bool(word) is False


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (None, False), (1, True), (0, False)])
def test_cells_that_are_not_text(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["2", "maybe", "有", 2, -1])
def test_anything_else_is_refused_with_the_value(value):
    with pytest.raises(InvalidInput) as e:
        parse_bool(value)
    assert e.value.code == "bool.invalid"
    assert e.value.params == {"value": str(value)}
