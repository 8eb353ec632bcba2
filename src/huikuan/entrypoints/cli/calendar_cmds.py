"""``huikuan calendar``: set a day, import a year's holidays and 调休, show a month.

    huikuan calendar set 2027-02-06 holiday --name 春节
    huikuan calendar import 2027节假日.xlsx      (rows: 日期,类型,名称 — csv or xlsx)
    huikuan calendar show 2026-02

Commands parse, call one service (``services/calendar.py``) and render; errors propagate to
``main.py``, which prints them from the catalog.
"""

from __future__ import annotations

import calendar as _cal
import re
from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ...services import calendar as svc
from .common import console, console_err, state, tr
from .main import app

calendar_app = typer.Typer(
    name="calendar",
    help="工作日历：节假日、调休与本公司的设置 / working calendar: holidays, 调休 and company overrides",
    no_args_is_help=True,
)
app.add_typer(calendar_app, name="calendar")


def _weekday(day: date) -> str:
    return tr(f"calendar.wdl.{day.weekday()}")


def holiday_label(name: str | None) -> str | None:
    """A package holiday name ("Spring Festival") in the user's language; a company's own name as written."""
    if not name:
        return None
    key = "calendar.holiday." + re.sub(r"[^a-z0-9]+", "_", name.lower().replace("'", "")).strip("_")
    text = tr(key)
    return name if text == key else text


def _report_declared(years: tuple[int, ...]) -> None:
    for year in years:
        console().print(tr("calendar.declared", year=year))


@calendar_app.command("set")
def set_cmd(
    day: str = typer.Argument(..., help="日期，例如 2027-02-06 / date"),
    kind: str = typer.Argument(..., help="workday|holiday（或 工作日、调休、上班、休息、假日、节假日）"),
    name: str = typer.Option(None, "--name", help="名称，例如 春节 / name shown on the calendar"),
) -> None:
    """把某一天设为工作日或休息日 / make one day a working day or a holiday."""
    on = svc.parse_day(day)
    app_ = state.app()
    is_workday, declared = svc.set_day(app_.uow(), app_.holidays(), on, kind, name)
    key = "calendar.set.workday" if is_workday else "calendar.set.holiday"
    console().print(tr(key, day=on.isoformat(), weekday=_weekday(on), name=f" · {name}" if name else ""))
    _report_declared(declared)


@calendar_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV 或 Excel 文件，每行：日期,类型,名称 / rows: date,kind,name"),
) -> None:
    """导入节假日与调休安排（有任何错误则全部不导入） / import days; nothing is written if any row is bad."""
    from ...adapters.files import open_table

    app_ = state.app()
    with open_table(file) as table:
        summary = svc.import_days(app_.uow(), app_.holidays(), table.source, table.headers, table.rows)
    console().print(tr("calendar.import.done", days=summary.days, workdays=summary.workdays,
                       holidays=summary.holidays))
    _report_declared(summary.declared_years)


def _status_key(s: svc.DayStatus) -> str:
    if s.is_workday is None:
        return "unknown"
    if s.is_shifted_workday:
        return "shifted"
    return "workday" if s.is_workday else "holiday"


_STYLE = {"workday": "", "holiday": "bold red", "shifted": "bold yellow", "unknown": "dim"}


def _cell(s: svc.DayStatus) -> Text:
    key = _status_key(s)
    mark = {svc.Source.OVERRIDE: "*", svc.Source.UNKNOWN: "?"}.get(s.source, "")
    weekend_rest = key == "holiday" and s.day.weekday() >= 5 and not s.name
    text = Text(f"{s.day.day:>2}{mark}\n", style="bold" if key != "unknown" else "dim")
    text.append(tr(f"calendar.status.{key}"), style="dim" if weekend_rest else _STYLE[key])
    label = holiday_label(s.name)
    if label:
        text.append("\n" + label, style=_STYLE[key] or "cyan")
    return text


def render_month(days: list[svc.DayStatus], year: int, month: int) -> tuple[Table, Table]:
    grid = Table(title=tr("calendar.show.title", year=year, month=month), caption=tr("calendar.show.legend"),
                 show_lines=True)
    for wd in range(7):
        grid.add_column(tr(f"calendar.wd.{wd}"), justify="center", min_width=6,
                        style="" if wd < 5 else "magenta")
    by_day = {s.day.day: s for s in days}
    for week in _cal.Calendar(firstweekday=0).monthdayscalendar(year, month):
        grid.add_row(*(_cell(by_day[d]) if d else Text("") for d in week))

    detail = Table(show_edge=False)
    for col in ("date", "weekday", "status", "source", "name"):
        detail.add_column(tr(f"calendar.col.{col}"))
    for s in days:
        key = _status_key(s)
        detail.add_row(s.day.isoformat(), _weekday(s.day), Text(tr(f"calendar.status.long.{key}"), style=_STYLE[key]),
                       tr(f"calendar.source.{s.source.value}"), holiday_label(s.name) or "")
    return grid, detail


@calendar_app.command("show")
def show_cmd(month: str = typer.Argument(..., help="月份，例如 2026-02 / month")) -> None:
    """显示某月的工作日、休息日与调休 / show a month: working days, holidays and 调休."""
    year, mon = svc.parse_month(month)
    app_ = state.app()
    days = svc.month(app_.uow(), app_.holidays(), year, mon)
    grid, detail = render_month(days, year, mon)
    out = console()
    out.print(grid)
    out.print(detail)
    if any(s.source is svc.Source.UNKNOWN for s in days):
        out.print(tr("calendar.show.unknown_hint", year=year), style="yellow")
    warn_unknown_next_year(app_.calendar(), app_.clock.today())


def warn_unknown_next_year(calendar: svc.HolidaySource, today: date) -> None:
    """From 1 November, a loud warning on stderr while next year's holidays are unknown (every run and
    ``calendar show`` call this), naming the command that fixes it."""
    year = svc.unknown_next_year(calendar, today)
    if year is not None:
        console_err().print(tr("calendar.next_year_unknown", year=year), style="bold yellow")
