"""Pure parsers for values people and ERP exports write into import files.

Dates (``2026-01-05``, ``2026/1/5``, ``2026年1月5日``, ``2026.1.5``, ``20260105``, Excel serial
numbers, ``date``/``datetime`` cells, full-width digits), booleans (``是/否``, ``true/false``,
``1/0``, ``Y/N``), amounts from spreadsheet cells (text, int, or a float turned into exact decimal
text — money never stays a float), coded choices with Chinese aliases (``经销商`` → ``dealer``), and
header names matched through an alias table (English canonical name plus Chinese aliases; case,
whitespace and full-width insensitive).

Each parser raises ``InvalidInput`` with a stable code and the offending ``value``; the importer
turns that into a ``Problem`` carrying the row and column. Fast paths come first because an import
calls these a million times: an ISO date or a plain decimal never reaches the regular expressions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from .errors import InvalidInput
from .ledger import BillChannel, ContactRole, CustomerType, DisputeCategory, PaymentMethod
from .money import MAX_MAJOR, Money, exponent

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 after Excel's phantom 1900-02-29
_SERIAL_MIN, _SERIAL_MAX = 1, 2_958_465  # 1900-01-01 .. 9999-12-31

_DATE_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_SERIAL = re.compile(r"^(\d{1,7})(?:\.0*)?$")
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_PLAIN_DECIMAL = re.compile(r"^\d{1,13}(?:\.\d{1,2})?$")  # below MAX_MAJOR: no bound check needed


# Control characters never belong in a ledger value: C0/C1 controls (terminal escapes among them)
# and the bidirectional overrides that make text display in another order than it is stored.
# Line breaks and tabs inside a cell become a space.
_CONTROLS: dict[int, str | None] = {
    c: None for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x200E, 0x200F,
                      *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_CONTROLS.update({0x09: " ", 0x0A: " ", 0x0D: " "})


def strip_controls(text: str) -> str:
    """``text`` without control characters (tabs and line breaks become spaces)."""
    if text.isprintable():
        return text
    return text.translate(_CONTROLS)


# Rows an ERP writes between the data: subtotals per customer or month, totals, running totals and
# the closing balance. They restate money already in the file, so an import skips (and counts) them.
_TOTAL_ROW = re.compile(
    r"^.{0,60}?(小计|合计|总计|累计|期末余额|sub\s*-?\s*total|grand\s+total|total)\s*(?:[:：].{0,60})?$",
    re.IGNORECASE | re.DOTALL)
_TOTAL_KIND = {"小计": "subtotal", "合计": "total", "总计": "total", "累计": "cumulative",
               "期末余额": "closing_balance"}


def total_row_kind(text: str) -> str | None:
    """``subtotal``, ``total``, ``cumulative`` or ``closing_balance`` when a cell marks a total row.

    ``小计``, ``合  计``, ``本月合计``, ``本年累计``, ``期末余额``, ``华东五金 小计``, ``合计：``, ``Total``,
    ``Sub-total``; not a name that merely contains the word (``合计贸易公司``).
    """
    if not ("计" in text or "余额" in text or "otal" in text or "OTAL" in text):
        return None  # the common cell: one substring scan, no regular expression
    m = _TOTAL_ROW.match(re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", text.strip()))
    if m is None:
        return None
    word = m.group(1).lower().replace(" ", "").replace("-", "")
    return _TOTAL_KIND.get(word, "subtotal" if word.startswith("sub") else "total")


def _nfkc(text: str) -> str:
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(value: object) -> date:
    """A calendar date from a cell: text in the usual Chinese and ISO forms, an Excel serial, or a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise InvalidInput("date.invalid", value=str(value))
    if isinstance(value, int | float):
        return _from_serial(value, value)
    if not isinstance(value, str):
        raise InvalidInput("date.invalid", value=str(value))
    raw = value
    # Fast path: the ISO form most ERP exports write.
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    text = _TIME_SUFFIX.sub("", _nfkc(value)).strip()
    if not text:
        raise InvalidInput("date.missing", value=raw)
    m = _DATE_YMD.match(text) or _DATE_COMPACT.match(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as e:
            raise InvalidInput("date.invalid", value=raw) from e
    m = _DATE_SERIAL.match(text)
    if m and len(m.group(1)) <= 6:
        return _from_serial(int(m.group(1)), raw)
    raise InvalidInput("date.invalid", value=raw)


def _from_serial(serial: int | float, raw: object) -> date:
    """Excel's day count (the fraction, a time of day, is dropped)."""
    if isinstance(serial, float) and serial != serial:  # NaN
        raise InvalidInput("date.invalid", value=str(raw))
    days = int(serial)
    if not _SERIAL_MIN <= days <= _SERIAL_MAX:
        raise InvalidInput("date.invalid", value=str(raw))
    return _EXCEL_EPOCH + timedelta(days=days)


_TRUE = {"是", "true", "t", "1", "y", "yes", "对", "√", "✓"}
_FALSE = {"否", "false", "f", "0", "n", "no", "不", "不是", ""}


def parse_bool(value: object) -> bool:
    """``是/否``, ``true/false``, ``1/0``, ``Y/N``, ``yes/no`` (any case, full-width too); empty is false."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _nfkc(str(value)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput("bool.invalid", value=str(value))


def amount_text(value: object) -> str:
    """Exact decimal text of an amount cell; a float is converted through its shortest repr."""
    if isinstance(value, bool):
        raise InvalidInput("amount.invalid", value=str(value))
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput("amount.invalid", value=repr(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    raise InvalidInput("amount.invalid", value=str(value))


def parse_amount(value: object, currency: str = "CNY") -> Money:
    """Money from a cell (``¥1,234.50``, ``1234.5元``, ``1234.5`` as a float cell …); never a float inside."""
    if isinstance(value, str) and _PLAIN_DECIMAL.match(value):
        # Fast path for a plain decimal: no currency marks, no grouping.
        exp = exponent(currency)
        whole, _, frac = value.partition(".")
        if len(frac) <= exp:
            return Money(int(whole) * 10**exp + (int(frac.ljust(exp, "0")) if exp else 0), currency.upper())
    text = amount_text(value)
    if not text.strip():
        raise InvalidInput("amount.missing", value=text)
    try:
        return Money.parse(text, currency)
    except InvalidInput as e:
        if e.code != "amount.invalid":
            raise
        # Scientific notation from a spreadsheet (1.2345E+05) is exact decimal text too.
        try:
            d = Decimal(_nfkc(text))
        except InvalidOperation:
            raise e from None
        if not d.is_finite():
            raise e from None
        if d.adjusted() > 15:  # 1e20, 1E+999999999: refused before the digits are ever written out
            raise InvalidInput("amount.too_large", value=text, max=f"{MAX_MAJOR:,}") from None
        return Money.parse(format(d, "f"), currency)


def parse_positive_amount(value: object, currency: str = "CNY") -> Money:
    """An amount that must be above zero (invoices, payments, credit notes, write-offs)."""
    money = parse_amount(value, currency)
    if money.minor < 0:
        raise InvalidInput("amount.negative", value=str(value))
    if money.minor == 0:
        raise InvalidInput("amount.zero", value=str(value))
    return money


E = TypeVar("E", bound=StrEnum)

CUSTOMER_TYPE_ALIASES = {
    "经销商": CustomerType.DEALER, "代理商": CustomerType.DEALER, "企业": CustomerType.ENTERPRISE,
    "公司": CustomerType.ENTERPRISE, "政府": CustomerType.GOVERNMENT, "出口": CustomerType.EXPORT,
    "外贸": CustomerType.EXPORT, "学生": CustomerType.STUDENT, "持卡人": CustomerType.CARDHOLDER,
}
CONTACT_ROLE_ALIASES = {
    "财务": ContactRole.FINANCE, "会计": ContactRole.FINANCE, "出纳": ContactRole.FINANCE,
    "签字人": ContactRole.SIGNATORY, "采购": ContactRole.PURCHASING, "老板": ContactRole.OWNER,
    "法人": ContactRole.LEGAL_REP, "法定代表人": ContactRole.LEGAL_REP, "其他": ContactRole.OTHER,
}
PAYMENT_METHOD_ALIASES = {
    "转账": PaymentMethod.TRANSFER, "银行转账": PaymentMethod.TRANSFER, "电汇": PaymentMethod.TRANSFER,
    "现金": PaymentMethod.CASH, "承兑汇票": PaymentMethod.ACCEPTANCE_BILL,
    "银行承兑汇票": PaymentMethod.ACCEPTANCE_BILL, "商业承兑汇票": PaymentMethod.ACCEPTANCE_BILL,
    "承兑": PaymentMethod.ACCEPTANCE_BILL, "支票": PaymentMethod.CHEQUE, "其他": PaymentMethod.OTHER,
}
DISPUTE_CATEGORY_ALIASES = {
    "质量": DisputeCategory.QUALITY, "质量问题": DisputeCategory.QUALITY, "少货": DisputeCategory.SHORT_DELIVERY,
    "短少": DisputeCategory.SHORT_DELIVERY, "破损": DisputeCategory.DAMAGED, "缺单据": DisputeCategory.DOCUMENTS_MISSING,
    "缺发票": DisputeCategory.DOCUMENTS_MISSING, "返利": DisputeCategory.REBATE_OWED,
    "促销": DisputeCategory.PROMOTION_OWED, "价格": DisputeCategory.PRICING, "其他": DisputeCategory.OTHER,
}


def parse_choice(value: object, enum: type[E], aliases: Mapping[str, E], code: str) -> E:
    """A coded value: the enum's own code (any case) or one of its Chinese names."""
    text = _nfkc(str(value))
    hit = aliases.get(text)
    if hit is not None:
        return hit
    key = text.lower().replace(" ", "_").replace("-", "_")
    try:
        return enum(key)
    except ValueError:
        raise InvalidInput(code, value=text, allowed=", ".join(m.value for m in enum)) from None


def parse_customer_type(value: object) -> CustomerType:
    return parse_choice(value, CustomerType, CUSTOMER_TYPE_ALIASES, "customer_type.invalid")


def parse_contact_role(value: object) -> ContactRole:
    return parse_choice(value, ContactRole, CONTACT_ROLE_ALIASES, "contact_role.invalid")


def parse_payment_method(value: object) -> PaymentMethod:
    return parse_choice(value, PaymentMethod, PAYMENT_METHOD_ALIASES, "payment_method.invalid")


# Read case-insensitively (after NFKC: full-width letters too). ``E``/``P`` are what some exports write.
BILL_CHANNEL_ALIASES = {
    "electronic": BillChannel.ELECTRONIC, "e": BillChannel.ELECTRONIC, "电子": BillChannel.ELECTRONIC,
    "电子发票": BillChannel.ELECTRONIC, "电子账单": BillChannel.ELECTRONIC,
    "paper": BillChannel.PAPER, "p": BillChannel.PAPER, "纸质": BillChannel.PAPER, "纸": BillChannel.PAPER,
    "纸质发票": BillChannel.PAPER, "纸质账单": BillChannel.PAPER,
}


def parse_bill_channel(value: object) -> BillChannel:
    """电子/Electronic/E → electronic, 纸质/纸/Paper/P → paper (any case); anything else is refused."""
    text = _nfkc(str(value))
    hit = BILL_CHANNEL_ALIASES.get(text.lower())
    if hit is None:
        raise InvalidInput("bill_channel.invalid", value=text)
    return hit


def parse_dispute_category(value: object) -> DisputeCategory:
    return parse_choice(value, DisputeCategory, DISPUTE_CATEGORY_ALIASES, "dispute_category.invalid")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_email(value: object) -> str:
    text = _nfkc(str(value))
    if not _EMAIL.match(text):
        raise InvalidInput("email.invalid", value=text)
    return text


# ---- headers -------------------------------------------------------------------------------

_CUSTOMER_CODE = ("客户编号", "客户编码", "客户代码", "客户号", "customer", "customer_no")

HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "customer_code": _CUSTOMER_CODE + ("code", "编号"),
        "name": ("客户名称", "名称", "客户", "customer_name"),
        "type": ("客户类型", "类型", "customer_type"),
        "terms": ("付款条件", "收款条件", "账期", "帐期", "payment_terms"),
        "credit_limit": ("信用额度", "额度"),
        "currency": ("币别", "币种"),
        "segment": ("客户分类", "分类"),
        "collector": ("业务员", "收款员", "催收员"),
        "policy": ("催收策略", "策略"),
        "deliver_two_settle_one": ("送二结一",),
        "sales_owner": ("销售负责人", "销售"),
        "region": ("地区", "省份", "区域"),
        "requires_statement": ("需对账", "需要对账", "对账"),
    },
    "contacts": {
        "customer_code": _CUSTOMER_CODE,
        "name": ("联系人", "姓名", "contact", "contact_name"),
        "role": ("角色", "职务"),
        "phone": ("电话", "手机", "手机号", "联系电话", "mobile"),
        "email": ("邮箱", "电子邮件", "e_mail", "mail"),
        "best_time": ("最佳联系时间", "联系时间"),
        "do_not_contact": ("勿扰", "禁止联系", "dnc"),
    },
    "invoices": {
        "invoice_no": ("发票号", "单据编号", "发票号码", "单号", "invoice", "invoice_number", "number"),
        "customer_code": _CUSTOMER_CODE,
        "invoice_date": ("开票日期", "业务日期", "单据日期", "日期", "date"),
        "due_date": ("到期日", "到期日期", "due"),
        "amount": ("金额", "应收金额", "价税合计", "含税金额"),
        "currency": ("币别", "币种"),
        "bill_channel": ("账单方式", "开票方式", "发票形式", "paperless_bill"),
    },
    "payments": {
        "payment_no": ("收款单号", "单据编号", "单号", "payment", "payment_number", "number"),
        "customer_code": _CUSTOMER_CODE,
        "payment_date": ("收款日期", "日期", "date"),
        "amount": ("金额", "收款金额"),
        "currency": ("币别", "币种"),
        "method": ("收款方式", "结算方式", "payment_method"),
        "invoice_no": ("发票号", "发票号码", "核销发票号", "invoice"),
        "bill_maturity": ("汇票到期日", "承兑到期日"),
        "bill_kind": ("汇票类型", "承兑类型", "票据类型"),
    },
    "credit-notes": {
        "credit_note_no": ("红字发票号", "红冲单号", "红字发票号码", "number"),
        "customer_code": _CUSTOMER_CODE,
        "invoice_no": ("发票号", "发票号码", "原发票号", "蓝字发票号", "invoice"),
        "date": ("日期", "开票日期", "红冲日期"),
        "amount": ("金额", "红冲金额"),
        "currency": ("币别", "币种"),
    },
}

HEADER_ALIASES["orders"] = {
    "order_no": ("订单号", "销售订单号", "订单编号", "单据编号", "order", "order_number", "number"),
    "customer_code": _CUSTOMER_CODE,
    "order_date": ("订单日期", "下单日期", "日期", "date"),
    "amount": ("金额", "订单金额", "价税合计"),
    "currency": ("币别", "币种"),
    "status": ("状态", "订单状态"),
}
HEADER_ALIASES["deliveries"] = {
    "delivery_no": ("送货单号", "出库单号", "发货单号", "单据编号", "delivery", "delivery_number", "number"),
    "customer_code": _CUSTOMER_CODE,
    "order_no": ("订单号", "销售订单号", "源单编号", "order"),
    "delivery_date": ("送货日期", "发货日期", "出库日期", "日期", "date"),
    "amount": ("金额", "送货金额", "价税合计"),
    "currency": ("币别", "币种"),
    "signed_by": ("签收人", "收货人"),
    "signed_on": ("签收日期", "收货日期"),
    "invoice_no": ("发票号", "发票号码", "invoice"),
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_code", "name"),
    "contacts": ("customer_code", "name"),
    "invoices": ("invoice_no", "customer_code", "invoice_date", "amount"),
    "payments": ("payment_no", "customer_code", "payment_date", "amount"),
    "credit-notes": ("credit_note_no", "customer_code", "date", "amount"),
    "orders": ("order_no", "customer_code", "order_date", "amount"),
    "deliveries": ("delivery_no", "customer_code", "delivery_date", "amount"),
}


def normalize_header(text: object) -> str:
    """Comparable form of a header: NFKC, case-folded, spaces/hyphens to ``_``, ``*`` marks dropped."""
    t = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").strip().strip("*").strip()
    t = re.sub(r"[\s\-]+", "_", t.casefold())
    return t.strip("_")


def alias_index(kind: str) -> dict[str, str]:
    """Normalised header text → canonical column name, for one import kind."""
    out: dict[str, str] = {}
    for canonical, aliases in HEADER_ALIASES[kind].items():
        out[normalize_header(canonical)] = canonical
        for alias in aliases:
            out.setdefault(normalize_header(alias), canonical)
    return out


def resolve_headers(kind: str, headers: Iterable[object]) -> tuple[dict[str, str], list[str], list[str]]:
    """Map a file's headers to canonical columns.

    Returns (header as written → canonical, unknown headers, canonical names given twice).
    """
    index = alias_index(kind)
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    for h in headers:
        written = str(h) if h is not None else ""
        if not written.strip():
            continue
        canonical = index.get(normalize_header(written))
        if canonical is None:
            unknown.append(written)
        elif canonical in seen:
            duplicates.append(canonical)
        else:
            seen[canonical] = written
            mapping[written] = canonical
    return mapping, unknown, duplicates
