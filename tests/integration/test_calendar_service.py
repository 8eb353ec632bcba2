"""Calendar management on SQLite and PostgreSQL: set a day, import a good file (csv and xlsx), import
a bad file (every bad row reported, nothing written), show a month; and the ``huikuan calendar``
commands end to end through ``main()``.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.adapters.files import open_table
from huikuan.bootstrap import App
from huikuan.domain.errors import ImportRejected
from huikuan.entrypoints.cli import main as cli
from huikuan.entrypoints.cli.common import state
from huikuan.services import calendar as svc


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def import_file(app: App, path: Path) -> svc.ImportSummary:
    with open_table(path) as table:
        return svc.import_days(app.uow(), app.holidays(), table.source, table.headers, table.rows)


def counts(app: App) -> tuple[int, int]:
    with app.engine.connect() as c:
        days = c.execute(select(func.count()).select_from(t.calendar_day)).scalar_one()
        years = c.execute(select(func.count()).select_from(t.calendar_year)).scalar_one()
    return days, years


GOOD_2027 = [
    ["日期", "类型", "名称"],
    ["2027-01-01", "节假日", "元旦"],
    ["2027/2/6", "休息", "春节"],
    ["2027年2月7日", "假日", "春节"],
    ["2027-02-20", "调休", "春节调休"],
    ["2027-02-21", "上班", ""],
]


def test_set_day_overrides_the_package(app: App) -> None:
    is_workday, declared = svc.set_day(app.uow(), app.holidays(), date(2026, 2, 16), "workday", "值班")
    assert is_workday is True
    assert declared == ()  # 2026 is in the package: declaring it would drop its holidays
    cal = app.calendar()
    assert cal.is_workday(date(2026, 2, 16))
    assert not cal.is_workday(date(2026, 2, 17))  # the rest of the festival is untouched

    by_day = {s.day: s for s in svc.month(app.uow(), app.holidays(), 2026, 2)}
    assert by_day[date(2026, 2, 16)] == svc.DayStatus(date(2026, 2, 16), True, svc.Source.OVERRIDE, "值班")
    assert by_day[date(2026, 2, 17)] == svc.DayStatus(date(2026, 2, 17), False, svc.Source.PACKAGE, "Spring Festival")
    assert by_day[date(2026, 2, 14)].is_shifted_workday

    # Setting the same day again replaces the override rather than adding a second row.
    svc.set_day(app.uow(), app.holidays(), date(2026, 2, 16), "holiday")
    assert not app.calendar().is_workday(date(2026, 2, 16))
    assert counts(app) == (1, 0)


def test_set_day_in_an_unknown_year_declares_it(app: App) -> None:
    _, declared = svc.set_day(app.uow(), app.holidays(), date(2027, 2, 8), "节假日", "春节")
    assert declared == (2027,)
    cal = app.calendar()
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 9))  # Tuesday: Monday–Friday rule
    assert not cal.is_workday(date(2027, 2, 13))  # Saturday
    statuses = svc.month(app.uow(), app.holidays(), 2027, 2)
    assert {s.source for s in statuses} == {svc.Source.OVERRIDE, svc.Source.WEEKDAY_RULE}
    # A second set in the same year declares nothing new.
    assert svc.set_day(app.uow(), app.holidays(), date(2027, 2, 9), "holiday")[1] == ()
    assert counts(app) == (2, 1)


def test_month_of_an_unknown_year_says_unknown(app: App) -> None:
    statuses = svc.month(app.uow(), app.holidays(), 2028, 3)
    assert len(statuses) == 31
    assert {(s.source, s.is_workday) for s in statuses} == {(svc.Source.UNKNOWN, None)}


def test_import_good_csv(app: App, tmp_path: Path) -> None:
    summary = import_file(app, write_csv(tmp_path / "2027.csv", GOOD_2027))
    assert summary == svc.ImportSummary(days=5, workdays=2, holidays=3, declared_years=(2027,))
    cal = app.calendar()
    assert not cal.is_workday(date(2027, 2, 6))
    assert cal.is_workday(date(2027, 2, 20))  # a Saturday made a working day
    assert cal.is_workday(date(2027, 3, 1))  # a Monday nobody listed: declared year
    by_day = {s.day: s for s in svc.month(app.uow(), app.holidays(), 2027, 2)}
    assert by_day[date(2027, 2, 20)].is_shifted_workday
    assert by_day[date(2027, 2, 20)].name == "春节调休"
    assert by_day[date(2027, 2, 21)].name is None


def test_import_good_xlsx(app: App, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["date", "kind", "name"])
    ws.append([date(2027, 10, 1), "holiday", "国庆节"])  # a real date cell
    ws.append(["2027-10-09", "workday", None])
    wb.save(tmp_path / "2027.xlsx")
    summary = import_file(app, tmp_path / "2027.xlsx")
    assert summary == svc.ImportSummary(days=2, workdays=1, holidays=1, declared_years=(2027,))
    cal = app.calendar()
    assert not cal.is_workday(date(2027, 10, 1))
    assert cal.is_workday(date(2027, 10, 9))


def test_import_bad_file_writes_nothing_and_reports_every_row(app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [
        *GOOD_2027,
        ["2027-02-30", "休息", ""],  # row 7
        ["2027-03-01", "半天", ""],  # row 8
        ["2027/1/1", "休息", "元旦"],  # row 9: same day as row 2
    ])
    with pytest.raises(ImportRejected) as exc:
        import_file(app, path)
    assert [(p.source, p.where, p.code) for p in exc.value.problems] == [
        ("bad.csv", "第 7 行 / row 7, 日期", "calendar.date_invalid"),
        ("bad.csv", "第 8 行 / row 8, 类型", "calendar.kind_invalid"),
        ("bad.csv", "第 9 行 / row 9, 日期", "calendar.date_duplicate"),
    ]
    assert counts(app) == (0, 0)  # the five good rows were not written either
    with pytest.raises(Exception) as unknown:
        app.calendar().is_workday(date(2027, 1, 4))
    assert unknown.typename == "CalendarUnknown"


# ---- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def huikuan(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``huikuan --database-url <db> ARGS…``; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no stray huikuan.toml
    for key in ("HUIKUAN_CONFIG", "HUIKUAN_LOCALE", "HUIKUAN_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        state._app, state.exit_code, state.lang_override = None, 0, None
        try:
            code = cli.main(["--database-url", db_url, *args])
        finally:
            if state._app is not None:
                state._app.engine.dispose()
            state._app = None
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    state._app, state.lang_override, state.database_url_override = None, None, None


def test_cli_set_and_show(huikuan) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = huikuan("calendar", "set", "2026年2月16日", "workday", "--name", "值班")
    assert code == 0
    assert "2026-02-16（星期一）已设为工作日" in out

    code, out, _ = huikuan("calendar", "show", "2026-02")
    assert code == 0
    assert "2026 年 2 月 工作日历" in out
    assert "春节" in out and "调休" in out
    assert "16*" in out  # the override is marked in the grid
    assert "本公司设置" in out and "国家法定" in out

    code, out, _ = huikuan("--lang", "en", "calendar", "show", "2026-10")
    assert code == 0
    assert "National Day" in out and "Shift" in out


def test_cli_import_good_and_bad(huikuan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = write_csv(tmp_path / "good.csv", GOOD_2027)
    code, out, _ = huikuan("calendar", "import", str(good))
    assert code == 0
    assert "已导入 5 天" in out
    assert "2027 年" in out  # the declared year is reported

    bad = write_csv(tmp_path / "bad.csv", [["日期", "类型"], ["2027-02-30", "休息"], ["2027-03-01", "半天"]])
    code, out, err = huikuan("calendar", "import", str(bad))
    assert code == 2
    assert "第 2 行" in err and "第 3 行" in err
    assert "2027-02-30" in err and "半天" in err


def test_cli_errors_are_messages_with_exit_code_2(huikuan) -> None:  # type: ignore[no-untyped-def]
    code, _, err = huikuan("calendar", "set", "明天", "holiday")
    assert code == 2
    assert "日期“明天”无法识别" in err
    code, _, err = huikuan("calendar", "set", "2026-12-31", "半天")
    assert code == 2
    assert "类型“半天”无法识别" in err
    code, _, err = huikuan("calendar", "show", "2026-13")
    assert code == 2
    assert "月份“2026-13”无法识别" in err
