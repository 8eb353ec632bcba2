"""Hostile import files (issue 6 items 14, 17, 19, 20): each gets a clear message in Chinese and
English, in bounded time and memory, and writes nothing. The small files are a committed corpus
(tests/fixtures/import/hostile/cases.toml names the message each must get); the big ones are made
here at run time rather than committed."""

from __future__ import annotations

import io
import resource
import time
import tomllib
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from huikuan import i18n
from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import ImportRejected, Problem
from huikuan.entrypoints.cli.main import main
from huikuan.services.import_ import import_file, import_rows

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "hostile"
CASES = tomllib.loads((HOSTILE / "cases.toml").read_text(encoding="utf-8"))["case"]


@pytest.fixture
def seeded(app: App) -> App:
    import_rows(app, "customers", [{"customer_code": "C001", "name": "华东经销商"},
                                   {"customer_code": "C002", "name": "北方企业"}])
    return app


def refused(app: App, kind: str, path: Path) -> list[Problem]:
    with pytest.raises(ImportRejected) as e:
        import_file(app, kind, path)
    return e.value.problems


def names(app: App) -> dict[str, str]:
    with app.uow() as uow:
        return {r[0]: r[1] for r in uow.c.execute(select(t.customer.c.code, t.customer.c.name))}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_hostile_corpus_gets_its_message(seeded: App, case: dict[str, Any]) -> None:
    before = names(seeded)
    problems = refused(seeded, case["kind"], HOSTILE / case["file"])
    assert [p.code for p in problems] == case["codes"]
    assert [p.params["row"] for p in problems if "row" in p.params] == case["rows"]
    zh, en = i18n.problem_text(problems[0], "zh"), i18n.problem_text(problems[0], "en")
    assert case["zh"] in zh and case["en"] in en
    assert "{" not in zh + en  # every parameter of the message was filled
    assert names(seeded) == before  # nothing written


def test_unbalanced_quote_no_longer_swallows_customers(seeded: App) -> None:
    # Before: C002's name ran on to the end of the file, C003 and C004 vanished, exit 0.
    problems = refused(seeded, "customers", HOSTILE / "unbalanced_quote.csv")
    assert problems[0].params["row"] == 3 and "C003" not in names(seeded)


def test_control_characters_are_stripped_on_import(seeded: App) -> None:
    report = import_file(seeded, "customers", HOSTILE / "control_chars.csv")
    assert report.inserted == 4
    got = names(seeded)
    assert got["C101"] == "[31m红色[0m客户"  # the ESC bytes are gone, the harmless rest stays text
    assert got["C102"] == "[/bold]方括号"  # markup is text; escaping it on output is the terminal's job
    assert got["C103"] == "换行  客户"
    assert got["C104"] == "倒序客户"
    assert all(v.isprintable() for v in got.values())


def test_total_and_subtotal_rows_are_skipped_with_a_count(seeded: App) -> None:
    """Issue 6 item 14: an ERP export ending in a 合计 row imports; the total rows are counted."""
    report = import_file(seeded, "invoices", HOSTILE / "total_rows.csv")
    assert (report.rows, report.inserted, report.rejected) == (3, 3, 0)
    assert report.skipped == {"subtotal": 1, "total": 1}
    with seeded.uow() as uow:
        amounts = dict(uow.c.execute(select(t.invoice.c.number, t.invoice.c.amount_minor)).all())
    assert amounts == {"T001": 100000, "T002": 20050, "T003": 30000}


def test_total_rows_are_skipped_in_the_cli_and_json(seeded: App, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import json

    url = seeded.settings.database_url
    assert main(["--database-url", url, "import", "invoices", str(HOSTILE / "total_rows.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["skipped"] == {"subtotal": 1, "total": 1} and out["inserted"] == 3


def test_refused_file_still_prints_the_json_report(seeded: App, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    url = seeded.settings.database_url
    rc = main(["--database-url", url, "--lang", "en", "import", "invoices", str(HOSTILE / "amount_huge.csv"),
               "--json"])
    assert rc == 2
    out = json.loads(capsys.readouterr().out)
    assert out["refused"] is True and out["inserted"] == 0
    assert [p["code"] for p in out["problems"]] == ["amount.too_large"] * 4
    assert "too large" in out["problems"][0]["message"]


def test_date_window_is_a_setting(seeded: App) -> None:
    from dataclasses import replace

    rows = [{"invoice_no": "W1", "customer_code": "C001", "invoice_date": "1990-03-01", "amount": "1"}]
    with pytest.raises(ImportRejected) as e:
        import_rows(seeded, "invoices", rows)
    assert [p.code for p in e.value.problems] == ["date.out_of_window"]
    seeded.settings = replace(seeded.settings, import_date_window_years=40)
    assert import_rows(seeded, "invoices", rows).inserted == 1


# ---- made at run time: too big to commit ------------------------------------------------------

def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _bounded(seconds: float):  # type: ignore[no-untyped-def]
    class Timer:
        def __enter__(self) -> Timer:
            self.t = time.perf_counter()
            return self

        def __exit__(self, *exc: object) -> None:
            assert time.perf_counter() - self.t < seconds

    return Timer()


def test_csv_field_over_128_kib(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "big_field.csv"
    path.write_text("客户编号,客户名称\nC1,ok\nC2," + "名" * (130 * 1024) + "\n", encoding="utf-8")
    problems = refused(seeded, "customers", path)
    assert [(p.code, p.params["row"]) for p in problems] == [("file.csv_field_too_large", 3)]
    assert "128 KiB" in i18n.problem_text(problems[0], "zh")


def test_ten_mb_customer_name_in_xlsx(seeded: App, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["客户编号", "客户名称"])
    ws.append(["C9", "名" * (10 * 1024 * 1024 // 3)])
    path = tmp_path / "long_name.xlsx"
    wb.save(path)
    with _bounded(30):
        problems = refused(seeded, "customers", path)
    assert [(p.code, p.params["row"], p.params["limit"]) for p in problems] == [("value.too_long", 2, 200)]


def test_hundred_thousand_column_header(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"列{i}" for i in range(100_000)) + "\n" + ",".join("x" * 100_000) + "\n",
                    encoding="utf-8")
    with _bounded(10):  # 136 s before (a quadratic duplicate-header check)
        problems = refused(seeded, "invoices", path)
    assert [(p.code, p.params["count"]) for p in problems] == [("file.too_many_columns", 100_000)]


def test_duplicate_header_check_is_linear() -> None:
    # 1,000 columns (the limit) all named twice would take seconds quadratically; linear is instant.
    from tempfile import TemporaryDirectory

    from huikuan.adapters.files import open_table

    with TemporaryDirectory() as d:
        path = Path(d) / "dupes.csv"
        path.write_text(",".join(f"c{i % 500}" for i in range(1000)) + "\n" + "x," * 999 + "x\n")
        with _bounded(2), pytest.raises(ImportRejected) as e, open_table(path):
            pass
    assert e.value.problems[0].code == "file.duplicate_header"


def _xlsx_with_huge_cell(path: Path, mib: int) -> None:
    """An XLSX whose one cell holds ``mib`` MiB of text, written as a ~1 MB file (deflate of runs)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["客户编号", "客户名称"])
    ws.append(["C9", "XNAME"])
    buf = io.BytesIO()
    wb.save(buf)
    chunk = b"A" * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # a full flush makes every chunk identical

    class Runs:
        def compress(self, data: bytes) -> bytes:
            if data == chunk:
                return packed
            z = zlib.compressobj(9, zlib.DEFLATED, -15)
            return z.compress(data) + z.flush(zlib.Z_FULL_FLUSH)

        def flush(self) -> bytes:
            return zlib.compressobj(9, zlib.DEFLATED, -15).flush()

    src = zipfile.ZipFile(buf)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"XNAME")
            part = zipfile.ZipInfo(info.filename)
            part.compress_type = zipfile.ZIP_DEFLATED
            with out.open(part, "w", force_zip64=True) as fh:
                fh._compressor = Runs()  # type: ignore[attr-defined]
                fh.write(head)
                for _ in range(mib):
                    fh.write(chunk)
                fh.write(tail)


def test_one_gb_cell_in_a_one_mb_xlsx(sqlite_app: App, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    _xlsx_with_huge_cell(path, 1024)
    assert path.stat().st_size < 2 << 20
    with _bounded(10):
        problems = refused(sqlite_app, "customers", path)
    assert [p.code for p in problems] == ["file.xlsx_too_large"]
    assert problems[0].params["part"] == "xl/worksheets/sheet1.xml"
    assert _peak_rss() < 1 << 30  # 2.9 GB before


def test_xlsx_declaring_the_whole_sheet_reads_only_written_cells(sqlite_app: App) -> None:
    with _bounded(10):  # minutes before: a million padded rows of 16,384 cells
        report = import_file(sqlite_app, "customers", HOSTILE / "xlsx_huge_dimension.xlsx")
    assert (report.rows, report.inserted) == (2, 2)


def test_cli_gives_a_message_not_a_crash(sqlite_app: App, capsys: pytest.CaptureFixture[str]) -> None:
    url = sqlite_app.settings.database_url
    for case in CASES:
        rc = main(["--database-url", url, "import", case["kind"], str(HOSTILE / case["file"])])
        err = capsys.readouterr().err
        assert rc == 2, (case["file"], err)
        assert "未写入任何数据" in err
