"""Loading a generated demo company through the services a user's data goes through, and the warm-up:
two weeks of daily runs with the follow-up a real team does, so the demo's "today" is an ordinary day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.errors import RuleViolation
from .demo_data import DemoCompany, _pick
from .demo_vocabulary import EXCUSE_NOTES, WARM_UP_OUTCOMES, YUAN
from .ports import NoProgress, ProgressSink


@dataclass(frozen=True, slots=True)
class LoadReport:
    counts: dict[str, int]  # rows written per kind: customers … credit-notes, disputes, promises, activities


def load(app: Any, company: DemoCompany, progress: ProgressSink | None = None) -> LoadReport:
    """Write ``company`` through the same services a user's data goes through.

    Order matters: invoices before the payments that settle them, payments before the credit notes
    (so allocation matches the generator's, see the module docstring), disputes after payments (a
    dispute never exceeds what is still open), promises and activities last.
    """
    # Imported here so the pure generator stays usable without the database and the services.
    from ..domain.errors import Conflict
    from ..domain.money import Money
    from . import audit
    from .collect import add_contacts, add_promise
    from .import_ import import_rows
    from .ledger import open_dispute

    with app.uow(write=False) as uow:
        existing = uow.customers.count()
    if existing:
        # Promises, disputes and activities are not idempotent: a second load would double them.
        raise Conflict("demo.not_empty", customers=existing)
    progress = progress or NoProgress()
    counts: dict[str, int] = {}
    for kind, rows in company.sections():
        import_rows(app, kind, rows, source=f"demo:{kind}", progress=progress)
        counts[kind] = len(rows)
    progress.start("disputes", len(company.disputes))
    by = audit.By(audit.SYSTEM, app.clock.now())
    with app.uow() as uow:
        for d in company.disputes:
            open_dispute(uow, d.invoice_no, Money(d.amount_minor, "CNY"), d.category, d.opened_on, note=d.note,
                         by=by)
            progress.advance()
        uow.commit()
    progress.finish()
    # One transaction for all promises and one for all contacts, the contacts in a constant number of
    # statements: one unit of work each made PostgreSQL ~4x slower than SQLite (thousands of commits,
    # each a WAL flush, and ~10 round trips a contact).
    progress.start("promises", len(company.promises))
    with app.uow() as uow:
        for p in company.promises:
            add_promise(app, uow, p.customer_code, p.amount_minor, p.promised_on, made_on=p.made_on,
                        invoices=p.invoices)
            progress.advance()
        uow.commit()
    progress.finish()
    progress.start("activities", len(company.activities))
    with app.uow() as uow:
        add_contacts(uow, app.settings.timezone, (
            {"customer_code": a.customer_code, "channel": a.channel, "outcome": a.outcome, "excuse": a.excuse,
             "at": a.at, "note": a.note, "actor": a.actor} for a in company.activities))
        progress.advance(len(company.activities))
        uow.commit()
    progress.finish()
    counts.update(disputes=len(company.disputes), promises=len(company.promises),
                  activities=len(company.activities))
    return LoadReport(counts)



# The month's targets a credit manager would set (the seeds: "collect 70 % of the overdue balance this month"),
# for last month (the monthly review) and this one (the dashboard's progress); government pays slowly.
DEMO_TARGETS = (("overdue_collected_pct", 70.0, None), ("overdue_share_pct", 45.0, None), ("dso", 75.0, None),
                ("dso", 120.0, "政府"), ("overdue_collected_pct", 50.0, "政府"))


def set_demo_targets(app: Any, as_of: date) -> int:
    """Set ``DEMO_TARGETS`` for the month before ``as_of`` and its own month; returns how many were set."""
    from .kpi import scope_keys, set_target

    last = (as_of.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    segments = set(scope_keys(app)["segment"])
    n = 0
    for month in (last, as_of.strftime("%Y-%m")):
        for metric, value, segment in DEMO_TARGETS:
            if segment is None or segment in segments:
                set_target(app, month, metric, value, segment=segment, actor="demo")
                n += 1
    return n


def store_demo_forecasts(app: Any, as_of: date, weeks_back: int = 6) -> int:
    """The cash forecasts a finance team would have made on each of the last ``weeks_back`` Mondays before
    ``as_of`` (``huikuan forecast`` then, from what was known then), so the forecast page has past weeks to
    set beside what came in, with their WAPE. Returns how many were stored."""
    from .prediction import forecast

    monday = as_of - timedelta(days=as_of.weekday())
    # No model is trained yet (`make demo` trains one after today's run; one trained here would reorder the
    # warm-up's worklists): these are the customer-history rule's forecasts, WAPE 69.8 % over the six weeks on
    # the demo; a model trained as of the first Monday gives 23 % (docs/model.md, "Known limits").
    made = [forecast(app, 13, monday - timedelta(weeks=k), store=True).as_of for k in range(weeks_back, 0, -1)]
    return len(made)


def _previous_workdays(cal: Any, before: date, n: int) -> list[date]:
    out: list[date] = []
    d = before
    while len(out) < n:
        d -= timedelta(days=1)
        if cal.is_workday(d):
            out.append(d)
    return out[::-1]


def _demo_statements(app: Any, as_of: date, rng: random.Random) -> int:
    """Last month's 对账 statements the way a real team leaves them: most sent, half confirmed, some late."""
    from .collect import mark_statement_in

    last = as_of.replace(day=1) - timedelta(days=1)
    period = f"{last.year:04d}-{last.month:02d}"
    first = as_of.replace(day=1)
    with app.uow() as uow:  # one transaction: on PostgreSQL each costs round trips and a WAL flush
        codes = uow.customers.codes_requiring_statement()
        for code in codes:
            r = rng.random()
            if r < 0.1:
                continue  # not prepared: the run escalates it
            if r < 0.2:
                mark_statement_in(app, uow, code, period, "prepared", min(as_of, first + timedelta(days=3)))
                continue
            mark_statement_in(app, uow, code, period, "sent", min(as_of, first + timedelta(days=7)))
            if r < 0.6:
                mark_statement_in(app, uow, code, period, "confirmed",
                                  min(as_of, first + timedelta(days=rng.randint(9, 18))))
        uow.commit()
    return len(codes)


def warm_up(app: Any, as_of: date, *, working_days: int = 10, seed: int = 7,
            progress: ProgressSink | None = None) -> dict[str, int]:
    """Replay the daily runs of the last ``working_days`` before ``as_of`` with the follow-up a team
    really does — most calls logged (with excuses and promises), escalations handled, most proposals
    decided by the owner — so the demo's "today" is an ordinary working day, not a first-ever run.
    Deterministic for a seed. A day's follow-up is one transaction (one each made PostgreSQL several
    times slower than SQLite: a commit is a WAL flush there)."""
    from .daily_run import run_daily
    from .ports import FixedClock
    from .reporting import worklist

    rng = random.Random(f"huikuan-demo-warm-up/{seed}")
    progress = progress or NoProgress()
    counts = {"runs": 0, "contacts": 0, "promises": 0, "approved": 0, "rejected": 0, "done": 0,
              "statements": _demo_statements(app, as_of, rng)}
    days = _previous_workdays(app.calendar(), as_of, working_days)
    saved = app.clock
    tz = str(getattr(saved, "tz", "Asia/Shanghai"))
    progress.start("warm_up", len(days))
    try:
        for d in days:
            app.clock = FixedClock(d, tz)
            run_daily(app, d)
            counts["runs"] += 1
            tasks = worklist(app, d)
            with app.uow() as uow:
                for task in tasks:
                    _follow_up(app, uow, task, d, tz, rng, counts)
                uow.commit()
            progress.advance()
    finally:
        app.clock = saved
        progress.finish()
    return counts


def _follow_up(app: Any, uow: Any, task: Any, d: date, tz: str, rng: random.Random, counts: dict[str, int]) -> None:
    """What the team does about one task of day ``d`` (in the day's unit of work)."""
    from .collect import add_contact, add_promise, decide_proposal_in, mark_done_in

    r = rng.random()
    if task.needs_approval:
        if r < 0.65:
            decide_proposal_in(app, uow, task.id, True, by="老板")
            counts["approved"] += 1
        elif r < 0.8:
            decide_proposal_in(app, uow, task.id, False, by="老板", note="先谈分期，暂缓")
            counts["rejected"] += 1
    elif task.kind in ("call", "reminder") and r < 0.8:
        outcome = _pick(rng, WARM_UP_OUTCOMES)
        excuse = rng.choice(list(EXCUSE_NOTES)) if outcome in ("promised", "refused", "reached") else None
        at = datetime(d.year, d.month, d.day, 15, rng.randint(0, 59), tzinfo=ZoneInfo(tz))
        add_contact(app, uow, task.customer_code, task.channel or "phone", outcome, excuse=excuse, at=at,
                    note=EXCUSE_NOTES.get(excuse or ""), actor=task.assignee or task.assignee_role)
        counts["contacts"] += 1
        if outcome == "promised" and task.amount_minor > 0:
            amount = max(100 * YUAN, task.amount_minor * rng.randint(30, 100) // 100)
            add_promise(app, uow, task.customer_code, min(amount, task.amount_minor),
                        d + timedelta(days=rng.randint(3, 12)), made_on=d)
            counts["promises"] += 1
    elif task.kind in ("escalate", "statement", "visit") and r < 0.7:
        try:
            mark_done_in(app, uow, task.id, by=task.assignee or task.assignee_role)
        except RuleViolation:  # closed meanwhile: a contact logged for the customer's call closes its visit too
            return
        counts["done"] += 1
