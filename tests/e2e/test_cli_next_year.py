"""From 1 November, every run and `calendar show` warn loudly while next year's holidays are unknown,
naming the command that fixes it (issue 6 item 13). chinese-calendar 1.11.0 (the newest release) and
holidays 0.109 carry no 2027 调休 days yet, so 2027 is unknown until the company imports it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from huikuan.adapters import clock
from huikuan.adapters.calendar_cn import ChineseCalendar
from huikuan.entrypoints.cli.main import main
from huikuan.services.calendar import unknown_next_year


@pytest.mark.parametrize(("today", "declared", "want"), [
    (date(2026, 10, 31), set(), None),       # before November: quiet
    (date(2026, 11, 1), set(), 2027),        # from 1 November: next year unknown
    (date(2026, 12, 31), set(), 2027),
    (date(2026, 11, 1), {2027}, None),       # the company imported 2027
    (date(2025, 11, 20), set(), None),       # 2026 is in the package
])
def test_unknown_next_year(today, declared, want):
    assert unknown_next_year(ChineseCalendar(declared_years=declared), today) == want


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr(clock.SystemClock, "now", lambda self: datetime(2026, 11, 20, 2, 0, tzinfo=UTC))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_run_and_calendar_show_warn_until_next_year_is_imported(cli, tmp_path):
    code, out, err = cli("run", "--as-of", "2026-11-20", "--json")
    assert code == 0 and "2027" in err and "huikuan calendar import" in err and "2027" not in out
    code, _, err = cli("run", "--as-of", "2026-10-30")
    assert code == 0 and "2027" not in err
    code, _, err = cli("calendar", "show", "2026-12")
    assert code == 0 and "还没有 2027 年的节假日和调休安排" in err and "huikuan calendar import" in err
    code, _, err = cli("--lang", "en", "calendar", "show", "2026-12")
    assert "2027's holidays and make-up working days are not known yet" in err
    (tmp_path / "2027.csv").write_text("日期,类型,名称\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    assert cli("calendar", "import", str(tmp_path / "2027.csv"))[0] == 0
    code, _, err = cli("run", "--as-of", "2026-11-20")
    assert code == 0 and "2027" not in err
    code, _, err = cli("calendar", "show", "2026-12")
    assert code == 0 and "2027" not in err
