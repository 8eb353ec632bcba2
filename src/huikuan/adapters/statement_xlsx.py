"""An 对账单 as XLSX (openpyxl): header, opening balance, the month's lines, closing balance; amounts as
numbers in yuan with two decimals (the file is for people and their spreadsheets, not for re-import).
Text cells that a spreadsheet would read as a formula are written as text."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font


def _yuan(minor: int | None) -> Decimal | None:
    return Decimal(minor).scaleb(-2) if minor else None


def _safe(v: str) -> str:
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


class StatementXlsx:
    def statement(self, page: dict[str, Any], statement: Any) -> bytes:
        zh = page["lang"] == "zh"
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "对账单" if zh else "Statement"
        ws.append([_safe(page["company"]), "", "", "对账单" if zh else "Statement of account", page["month"]])
        ws.append([("客户" if zh else "Customer"), _safe(page["customer"]), _safe(page["customer_code"])])
        ws.append([("期间" if zh else "Period"), page["start"], page["end"]])
        ws.append([])
        head = (["日期", "类型", "单号", "借方（应收）", "贷方（已收）", "余额"] if zh
                else ["Date", "Type", "Number", "Debit", "Credit", "Balance"])
        ws.append(head)
        for c in ws[5]:
            c.font = Font(bold=True)
        cur = statement.currency
        ws.append(["", "期初余额" if zh else "Opening balance", "", None, None, _yuan(statement.opening_minor) or Decimal(0)])
        for ln in statement.lines:
            ws.append([ln.on, page_kind(page, ln), _safe(ln.number), _yuan(ln.debit_minor),
                       _yuan(ln.credit_minor), _yuan(ln.balance_minor) or Decimal(0)])
        ws.append(["", "期末余额" if zh else "Closing balance", "", None, None, _yuan(statement.closing_minor) or Decimal(0)])
        if page.get("closing_capitals"):
            ws.append(["", "大写", page["closing_capitals"]])
        for row in ws.iter_rows(min_row=6):
            if row[0].value is not None and not isinstance(row[0].value, str):
                row[0].number_format = "yyyy-mm-dd"
            for c in row[3:6]:
                c.number_format = "#,##0.00" + (" [$" + cur + "]" if cur != "CNY" else "")
                c.alignment = Alignment(horizontal="right")
        for col, width in zip("ABCDEF", (12, 14, 18, 16, 16, 16), strict=True):
            ws.column_dimensions[col].width = width
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


def page_kind(page: dict[str, Any], ln: Any) -> str:
    labels = {"invoice": ("发票", "Invoice"), "payment": ("收款", "Payment"), "credit_note": ("红字发票", "Credit note"),
              "write_off": ("核销", "Write-off")}
    return labels[ln.kind][0 if page["lang"] == "zh" else 1]
