"""``huikuan report monthly`` renders the review in Chinese by default: a PDF whose text (read back with
pdftotext) holds the sections and the customers, charts drawn server-side; Excel and HTML alike."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from huikuan.entrypoints.cli.main import main

CUSTOMERS = ("customer_code,name,terms,collector,segment\nK1,华东五金商行,net 30,张伟,内销\n"
             "K2,深圳出口贸易公司,net 30,李娜,出口\nK3,未分类客户,net 30,李娜,\n")
INVOICES = ("invoice_no,customer_code,invoice_date,due_date,amount\nA,K1,2026-05-10,2026-06-09,1000\n"
            "B,K1,2026-09-15,2026-10-15,2000\nC,K2,2026-10-10,2026-11-09,3100\nD,K2,2026-09-20,2026-10-20,800\n"
            "E,K3,2026-10-01,2026-10-31,50\n")
PAYMENTS = "payment_no,customer_code,payment_date,amount,invoice_no\nP1,K1,2026-10-05,400,A\n"


def test_monthly_report_pdf_in_chinese_with_charts(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> int:
        return main(["--database-url", db_url, *args])

    for kind, text in (("customers", CUSTOMERS), ("invoices", INVOICES), ("payments", PAYMENTS)):
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        assert run("import", kind, str(tmp_path / f"{kind}.csv")) == 0
    assert run("dispute", "D", "--category", "quality", "--opened-on", "2026-10-25") == 0
    assert run("targets", "set", "--month", "2026-10", "--metric", "overdue_share_pct", "--value", "30",
               "--segment", "内销") == 0
    assert run("report", "monthly", "--month", "2026-10") == 0
    pdf = tmp_path / "monthly-report-2026-10.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils missing: run make sysdeps"
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("2026-10 应收账款月度分析报告", "账龄结构", "长期逾期", "争议款", "下月预计拖欠", "下月措施",
                     "华东五金商行", "深圳出口贸易公司", "回款指标与目标"):
        assert expected in text, expected
    assert "600.00" in text  # A's 600 left, over 90 days past due at the month's end
    # K3 has no segment: its row and chart label read （未设置）, never a bare "-"; the reasons carry no "·"
    seg_row = next(x for x in text.splitlines() if "（未设置）" in x and "50.00" in x)
    assert seg_row.split()[0] == "（未设置）" and not any(x.split()[:1] == ["-"] for x in text.splitlines())
    assert not re.search(r"= [-\d.,]+ ·", text)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts, fonts
    out = tmp_path / "r.xlsx"
    assert run("report", "monthly", "--month", "2026-10", "--format", "xlsx", "-o", str(out)) == 0
    wb = load_workbook(out)
    assert wb.active.cell(1, 1).value == "2026-10 应收账款月度分析报告" and "KPI" in wb.sheetnames
    html = tmp_path / "r.html"
    assert run("--lang", "en", "report", "monthly", "--month", "2026-10", "--format", "html", "-o", str(html)) == 0
    page = html.read_text(encoding="utf-8")
    assert "Receivables review 2026-10" in page and page.count("data:image/svg+xml;base64,") == 2
    assert run("report", "monthly", "--month", "2026-10", "--format", "docx") == 2
    capsys.readouterr()


@pytest.mark.parametrize("month", ["2026-13", "10/2026"])
def test_a_bad_month_is_one_clear_line(db_url, tmp_path, monkeypatch, capsys, month):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    assert main(["--database-url", db_url, "report", "monthly", "--month", month]) == 2
    err = capsys.readouterr().err
    assert "YYYY-MM" in err and "Traceback" not in err
