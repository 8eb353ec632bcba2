"""The daily run: gather → decide → apply (ARCHITECTURE §2).

- gather: a handful of set-based reads over the whole company (customers, open invoices streamed
  by customer, last contacts, action history, promises, statements), folded into one
  ``AccountFacts`` per customer; working days counted with the Chinese calendar.
- decide: ``domain.policy.decide`` — pure.
- apply: actions are inserted in batches, each batch one transaction, under the unique key
  (customer, stage, day): a re-run or a concurrent run creates nothing new. Measures that need no
  approval take effect here (suspending credit sales); the rest wait in the approval queue.

A customer whose facts cannot be built (e.g. a due date in a year without calendar data) is recorded
in the run's errors and the run goes on. Missed working days since the last run are reported as
caught up; nothing is replayed for them.
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import multiprocessing
import operator
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .. import i18n
from ..domain.calendar import WorkCalendar
from ..domain.errors import HuikuanError, InvalidInput, caused_by_interrupt
from ..domain.ledger import (
    ActionKind,
    CreditStatus,
    OpenItem,
    PromiseFacts,
    PromiseState,
    judge_promises,
    settled_reason,
)
from ..domain.money import MAX_MAJOR, MAX_MINOR
from ..domain.policy.decide import AccountFacts, Action, can_act_when_quiet, decide, split_open_items
from ..domain.policy.model import Policy, StatementState
from ..domain.terms import is_month_end_terms, parse_terms
from . import run_lock
from .outbox import enqueue as enqueue_messages
from .policies import PolicySet, load_policies
from .ports import NoProgress, ProgressSink
from .prediction import rank_open_tasks
from .risk import raise_alerts

HISTORY_DAYS = 400
# Actions stored per transaction. Each commit writes every page the batch dirtied (the action table's
# indexes by amount touch pages all over) and checkpoints the WAL: at 10⁶ invoices 50,000 a batch cost
# ~2 s less CPU than 10,000, while one batch still holds SQLite's write lock for only a second or two.
BATCH = 50_000


@dataclass
class RunReport:
    as_of: date
    dry_run: bool
    run_id: int | None = None
    non_workday: bool = False
    caught_up: list[date] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    created: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    customers: int = 0
    closed: int = 0  # open tasks closed because their money is no longer collectable (a dry run: would be)
    alerts_raised: int = 0  # early warnings raised for the credit manager (services/risk.py)
    warnings_seconds: float = 0.0
    ranked: int = 0  # open tasks ranked by expected value (a payment model is trained), services/prediction.py
    took_over: run_lock.Holder | None = None  # the dead run whose lock this run took over

    @property
    def counts(self) -> dict[str, int]:
        """Actions per kind, kinds in the order they first occur (counted by member: an enum's ``.value`` is
        a Python-level property, read 4·10⁵ times a run at 10⁶ invoices otherwise)."""
        return {kind.value: n for kind, n in Counter(map(operator.attrgetter("kind"), self.actions)).items()}

    @property
    def existing(self) -> int:
        return 0 if self.dry_run else len(self.actions) - self.created


class WorkdayCounter:
    """Working days between a date and today, from a prefix sum over the last ``HISTORY_DAYS``."""

    def __init__(self, cal: WorkCalendar, today: date, back: int = HISTORY_DAYS) -> None:
        self.cal, self.today = cal, today
        self.start = today - timedelta(days=back)
        cum, n = [0], 0
        for i in range(1, back + 1):
            n += cal.is_workday(self.start + timedelta(days=i))
            cum.append(n)
        self.cum = cum
        self._ahead: dict[date, int] = {}

    def since(self, d: date) -> int | None:
        """Working days in (d, today]; None when ``d`` is older than the window."""
        i = (d - self.start).days
        if i < 0:
            return None
        if i > len(self.cum) - 1:
            return -self.until(d)
        return self.cum[-1] - self.cum[i]

    def until(self, d: date) -> int:
        """Working days in (today, d] (may raise CalendarUnknown for a year without data)."""
        v = self._ahead.get(d)
        if v is None:
            v, x = 0, self.today
            while x < d:
                x += timedelta(days=1)
                v += self.cal.is_workday(x)
            self._ahead[d] = v
        return v


def _prev_period(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


@dataclass
class _Context:
    today: date
    cal: WorkCalendar
    wd: WorkdayCounter
    policies: PolicySet
    period: str
    is_workday: bool
    history: dict[int, set[tuple[str, str]]]
    pending: dict[int, set[str]]
    promises: dict[int, list[PromiseFacts]]
    last_payment: dict[int, date]
    statements: dict[int, Any]


def _promise_facts(ctx: _Context, cid: int, tolerance: int) -> tuple[date | None, int, tuple[int, int, date] | None]:
    """(open until, broken count, latest recent broken promise) under the customer's own policy."""
    open_until: date | None = None
    broken, latest = 0, None
    for p, state, deadline in judge_promises(ctx.promises.get(cid, ()), ctx.today, tolerance, ctx.cal):
        if state is PromiseState.OPEN:
            open_until = max(open_until or deadline, deadline)
        elif state in (PromiseState.BROKEN, PromiseState.PARTLY_KEPT):
            broken += 1
            if p.promised_on >= ctx.today - timedelta(days=60) and (latest is None or p.promised_on >= latest[2]):
                latest = (p.promise_id, p.amount_minor, p.promised_on)
    return open_until, broken, latest


@functools.lru_cache(maxsize=4096)
def _month_end(terms: str) -> bool:
    return is_month_end_terms(parse_terms(terms))


def _facts(ctx: _Context, cust: Any, items: list[tuple[int, int, str, date, int, int, str]],
           contacts_on: dict[str, date], actions_on: dict[str, date], policy: Policy) -> AccountFacts:
    today, cid = ctx.today, cust.id
    overdue, upcoming, open_total, overdue_minor = split_open_items(
        (OpenItem(iid, number, due_on, open_minor, disputed) for _, iid, number, due_on, open_minor, disputed, _c in items),
        today)
    if not (-MAX_MINOR <= open_total <= MAX_MINOR and overdue_minor <= MAX_MINOR):
        # Data no import accepts (10¹³ yuan at most) but a database may hold: this customer, not the run.
        raise InvalidInput("run.amount_out_of_range", value=cust.code, max=f"{MAX_MAJOR:,}")
    dpd = wdpd = dtd = wdtd = None
    if overdue:
        dpd = (today - overdue[0].due_on).days
        wdpd = ctx.wd.since(overdue[0].due_on)
    elif upcoming:
        dtd = (upcoming[0].due_on - today).days
        # Counting ahead needs next year's calendar only for invoices due within the reminder window.
        wdtd = ctx.wd.until(upcoming[0].due_on) if dtd <= 14 else None
    open_until, broken, latest = _promise_facts(ctx, cid, policy.settings.promise_tolerance_working_days)
    contacts = {ch: ctx.wd.since(d) for ch, d in contacts_on.items()}
    actions = {lad: ctx.wd.since(d) for lad, d in actions_on.items()}
    statement = sent_days = None
    if cust.requires_statement and open_total > 0:
        s = ctx.statements.get(cid)
        if s is None or not s.prepared_on:
            statement = StatementState.UNPREPARED
        elif s.confirmed_on:
            statement = StatementState.CONFIRMED
        elif s.sent_on:
            statement, sent_days = StatementState.SENT, (today - s.sent_on).days
        elif s.checked_on:
            statement = StatementState.CHECKED
        else:
            statement = StatementState.PREPARED
    return AccountFacts(
        customer_id=cid, customer_code=cust.code, customer_type=cust.type, currency=cust.currency,
        month_end_terms=_month_end(cust.terms), paused=bool(cust.paused),
        credit_status=cust.credit_status, shipment_locked=bool(cust.shipment_locked),
        credit_limit_minor=int(cust.credit_limit_minor), overdue=overdue, upcoming=upcoming,
        days_past_due=dpd, working_days_past_due=wdpd, days_to_due=dtd, working_days_to_due=wdtd,
        broken_promises=broken, open_promise_until=open_until, broken_promise=latest,
        last_payment_on=ctx.last_payment.get(cid),
        last_contact={k: v for k, v in contacts.items() if v is not None},
        last_action={k: v for k, v in actions.items() if v is not None},
        history=frozenset(ctx.history.get(cid, ())), pending=frozenset(ctx.pending.get(cid, ())),
        statement=statement, statement_period=ctx.period if statement else None,
        days_since_statement_sent=sent_days, open_minor=open_total, is_workday=ctx.is_workday,
        overdue_minor=overdue_minor,
    )


def _index_by_customer(d: dict[tuple[int, str], date]) -> dict[int, dict[str, date]]:
    out: dict[int, dict[str, date]] = {}
    for (cid, k), v in d.items():
        out.setdefault(cid, {})[k] = v
    return out


def _error(customer: str, code: str, **params: Any) -> dict[str, str]:
    return {"customer": customer, "code": code, "message_zh": i18n.t(code, "zh", **params),
            "message_en": i18n.t(code, "en", **params)}


@dataclass
class Decided:
    actions: list[Action]
    errors: list[dict[str, str]]
    collectors: dict[int, str | None]
    customers: int
    is_workday: bool
    closures: list[tuple[int, str]] = field(default_factory=list)  # (action id, reason) of settled tasks
    checked: dict[int, int] = field(default_factory=dict)  # customer → the aging_dirty mark version whose tasks were checked
    stored: tuple[int, int] | None = None  # (created, closed): the worker that decided this share stored it too
    parts: list[Decided] = field(default_factory=list)  # the shares merged into this one, in customer-id order


def gather_and_decide(app: Any, uow: Any, today: date, cal: WorkCalendar, progress: ProgressSink,
                      span: tuple[int, int] | None = None, *, every_task: bool = False) -> Decided:
    """Gather and decide for every customer, or for those whose id lies in ``span`` (lo, hi inclusive:
    one worker's share, see ``decide_in_workers``).

    Open tasks are checked against their invoices (closing those about money no longer collectable) for
    the customers whose invoices changed since the last run cleared their mark (``aging_dirty``, ADR 0008):
    every other customer's tasks were checked then and nothing they name has changed. ``every_task``:
    check every open task (the plain path the tests compare with)."""
    is_wd = cal.is_workday(today)  # an unknown year stops the run here, with its message
    repo = uow.collect
    # First of all reads: a change committed after this read keeps (or bumps) its mark, so the run that
    # clears the marks read here (``_rebuild_aging_snapshot``) never clears one it did not check.
    marks = uow.aging.marks(span)
    policies = load_policies(app.policy_dirs(), repo.segment_policies())
    since = today - timedelta(days=HISTORY_DAYS)
    promises: dict[int, list[PromiseFacts]] = {}
    for r in repo.promises(today - timedelta(days=365), today, span=span):
        promises.setdefault(r.customer_id, []).append(
            PromiseFacts(r.id, r.amount_minor, r.promised_on, r.made_on, int(r.paid)))
    ctx = _Context(
        today=today, cal=cal, wd=WorkdayCounter(cal, today), policies=policies, period=_prev_period(today),
        is_workday=is_wd, history=repo.history(today, since, span=span),
        pending=repo.pending(today, span=span), promises=promises, last_payment=repo.last_payment(span=span),
        statements=repo.statements(_prev_period(today), span=span),
    )
    contacts = _index_by_customer(repo.last_activity(today, span=span))
    last_actions = _index_by_customer(repo.last_action(today, span=span))
    customers = repo.customers(span=span)
    tasks = repo.open_task_invoices(None if every_task else marks, span=span)
    progress.start(i18n.t("run.progress", app.settings.lang), len(customers))
    actions: list[Action] = []
    errors: list[dict[str, str]] = []
    closures: list[tuple[int, str]] = []
    quiet_can_act: dict[tuple[int, str, str], bool] = {}
    # Open invoices arrive grouped by customer in customer-id order, as the customers do: merge the two.
    groups = itertools.groupby(repo.open_items(span=span), key=operator.itemgetter(0))
    group: tuple[int, Iterator[tuple[int, int, str, date, int, int, str]]] | None = next(groups, None)
    for n, cust in enumerate(customers, start=1):
        while group is not None and group[0] < cust.id:
            group = next(groups, None)  # invoices of a customer row that vanished mid-run
        items: list[tuple[int, int, str, date, int, int, str]] = []
        if group is not None and group[0] == cust.id:
            items = list(group[1])
            group = next(groups, None)
        if cust.id in tasks:  # tasks about money paid, credited, written off or disputed close themselves
            still = {i[2]: i[4] - i[5] for i in items if i[4] > 0}
            closures += [(aid, reason.value) for aid, invoices in tasks[cust.id]
                         if (reason := settled_reason(invoices, still)) is not None]
        foreign = sorted({i[6] for i in items if i[6] != cust.currency})
        if foreign:
            # Money in two currencies is never added up: act on the customer's currency, say so loudly.
            items = [i for i in items if i[6] == cust.currency]
            errors.append(_error(cust.code, "run.foreign_currency", currencies=", ".join(foreign),
                                 currency=cust.currency))
        try:
            policy = policies.for_customer(cust.policy, cust.segment)
            if not items and cust.id not in promises:
                # A quiet customer (nothing open, no promise): most of a settled book. Skip building its
                # facts when no rule of its policy can act on such a customer today (exact: see
                # can_act_when_quiet); the answer is the same for every quiet customer of its kind.
                key = (id(policy), cust.type, cust.credit_status)
                can = quiet_can_act.get(key)
                if can is None:
                    can = quiet_can_act[key] = can_act_when_quiet(policy, cust.type, cust.credit_status, today)
            else:
                can = True
            if can:
                facts = _facts(ctx, cust, items, contacts.get(cust.id, {}), last_actions.get(cust.id, {}), policy)
                actions.extend(decide(facts, policy, today))
        except HuikuanError as e:
            errors.append(_error(cust.code, e.code, **e.params))
        except (ValueError, TypeError, LookupError, ArithmeticError) as e:  # bad data (or an odd policy) in
            # one customer must not stop the company's run
            errors.append(_error(cust.code, "run.customer_failed", detail=repr(e)))
        if n % 1000 == 0:
            progress.advance(1000)
    progress.advance(len(customers) % 1000)
    return Decided(actions, errors, {c.id: c.collector for c in customers}, len(customers), is_wd, closures, marks)


WIDE = 2**31 - 1  # (a 32-bit id column) the open ends of the first and last worker's span (ids a customer added meanwhile may take)


# The run's own share is this much larger than a worker's: a worker pickles its actions before the run can
# read them, and the run unpickles them after its own share, so equal shares leave the run waiting.
OWN_SHARE_WEIGHT = 1.2
# When the workers store their shares themselves (a run that saves), the run's own share is the LAST and
# this much larger: a worker decides, stores and pickles its share while the run decides its own, and the
# run stores its own after them (ids stay in customer order, as one process gives them). 2.0 balances the
# shares by the loaded-machine CPU profile at 10⁶ (deciding ~7 s, storing ~9.5 s in all): tune it by measurement.
STORING_SHARE_WEIGHT = 2.0


def spans(ids: list[int], parts: int, own: float = OWN_SHARE_WEIGHT, own_last: bool = False) -> list[tuple[int, int]]:
    """``parts`` id ranges over the customers ``ids`` (ascending) that together cover every id: a customer
    created while the run reads still falls in exactly one. The first (the run's own; with ``own_last`` the
    last) holds ``own`` times as many customers as each of the others, which hold about as many each."""
    parts = max(1, min(parts, len(ids)))
    total = own + parts - 1
    cuts: list[int] = []
    at = 0
    for k in range(1, parts):  # each cut past the previous one, leaving an id for every later share
        before = k if own_last else own + k - 1  # the weight of the shares before this cut
        at = max(at + 1, min(len(ids) - (parts - k), round(len(ids) * before / total)))
        cuts.append(ids[at])
    lows = [-WIDE, *cuts]
    highs = [c - 1 for c in cuts] + [WIDE]
    return list(zip(lows, highs, strict=True))


class _Continue:
    """The run's progress bar, started once for the whole company: each share only advances it."""

    def __init__(self, sink: ProgressSink) -> None:
        self.sink = sink

    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        self.sink.advance(n)

    def finish(self) -> None:
        pass


class _WhileTheRunLives(NoProgress):
    """A storing worker's progress: stops it between two batches once the run that forked it is gone (killed
    with -9, say), so an orphan never writes beside the run that takes the day over."""

    def __init__(self, run_pid: int) -> None:
        self.run_pid = run_pid

    def advance(self, n: int = 1) -> None:
        if os.getppid() != self.run_pid:
            raise RuntimeError("the run that started this worker is gone")


def _worker(app: Any, today: date, cal: WorkCalendar, span: tuple[int, int], out: Any,
            store_as: int | None = None, after: Any = None, done: Any = None) -> None:
    """A forked worker's life: its share on an engine of its own, the result down the pipe. With
    ``store_as`` (the run's id) it also stores the share, once the previous share's worker is ``after``
    storing (an Event; None for the first share), and sets ``done`` when it is through (stored or failed),
    so ids follow customer order as in one process."""
    own = None
    run_pid = os.getppid()
    try:
        own = app.for_worker()
        if own is None:
            raise RuntimeError("database not shared between processes")
        with own.uow(write=False) as uow:
            got = gather_and_decide(own, uow, today, cal, NoProgress(), span)
        if store_as is not None:
            if after is not None:
                after.wait()
            watch = _WhileTheRunLives(run_pid)
            watch.advance(0)
            got.stored = _store(own, got, today, store_as, watch)
            if done is not None:
                done.set()  # the next share's worker may store now, before this one's result is read
        out.send(("ok", got))
    except BaseException as e:  # noqa: BLE001 — whatever it was, the parent decides (and stores) this share
        out.send(("failed", repr(e)))
    finally:
        if done is not None:
            done.set()
        if own is not None:
            own.engine.dispose()
        out.close()


def _workers_for(app: Any, customers: int) -> int:
    """How many processes decide this run: one for a small book, when configured so, or where a process
    cannot be forked (the worker inherits the loaded policies and calendar instead of loading them)."""
    s = app.settings
    if s.run_workers < 2 or customers < max(2, s.run_parallel_min_customers):
        return 1
    if "fork" not in multiprocessing.get_all_start_methods() or getattr(app, "for_worker", None) is None:
        return 1
    return min(int(s.run_workers), os.cpu_count() or 1)


def decide_in_workers(app: Any, uow: Any, today: date, cal: WorkCalendar, progress: ProgressSink,
                      store_as: int | None = None) -> Decided:
    """``gather_and_decide`` for the whole company, split over worker processes by customer id range
    (ADR 0006): the decision is pure and per customer, so the shares are independent; the result is the
    one process's, in the same order. This process decides the first share itself; a worker that fails
    or dies has its share decided here after all, so a worker never sinks the run.

    With ``store_as`` (the run's id; not in a dry run) each worker also stores its own share (``_store``)
    while this process still decides: the workers take the first shares, in order, and this process the
    last, which ``_apply`` stores after them — so the actions get their ids in customer order, as one
    process gives them. A share whose worker failed is stored by ``_apply`` (the day's key makes a partly
    stored share safe to store again)."""
    ids = uow.collect.customer_ids()
    n = _workers_for(app, len(ids))
    if n < 2:
        return gather_and_decide(app, uow, today, cal, progress)
    storing = store_as is not None
    shares = spans(ids, n, STORING_SHARE_WEIGHT, own_last=True) if storing else spans(ids, n)
    mine, theirs = (shares[-1], shares[:-1]) if storing else (shares[0], shares[1:])
    fork = multiprocessing.get_context("fork")
    started: list[tuple[tuple[int, int], Any, Any, Any]] = []
    try:
        after = None
        for span in theirs:
            recv, send = fork.Pipe(duplex=False)
            done = fork.Event() if storing else None
            proc = fork.Process(target=_worker, args=(app, today, cal, span, send, store_as, after, done),
                                daemon=True)
            proc.start()
            send.close()
            started.append((span, proc, recv, done))
            after = done
        progress.start(i18n.t("run.progress", app.settings.lang), len(ids))
        each = _Continue(progress)
        own = gather_and_decide(app, uow, today, cal, each, mine)
        parts = [] if storing else [own]
        for span, proc, recv, done in started:
            try:
                status, got = recv.recv()
            except (EOFError, OSError):
                status, got = "died", None
            proc.join()
            if done is not None:
                done.set()  # a worker that died never set it: the next one stores now
            if status == "ok":
                progress.advance(got.customers)
            else:
                got = gather_and_decide(app, uow, today, cal, each, span)
            parts.append(got)
        if storing:
            parts.append(own)
    finally:
        for _span, proc, recv, _done in started:
            recv.close()
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return _merged(parts)


def _merged(parts: list[Decided]) -> Decided:
    first = parts[0]
    out = Decided([], [], {}, 0, first.is_workday, [])
    for p in parts:
        out.actions += p.actions
        out.errors += p.errors
        out.collectors.update(p.collectors)
        out.customers += p.customers
        out.closures += p.closures
        out.checked.update(p.checked)
    out.parts = parts
    return out


def reason_text(a: Action, lang: str) -> str:
    """The action's reason for people; money params (``*_minor``) shown in the action's own currency
    (``i18n.t`` does the conversion once, given ``currency``)."""
    params = dict(a.reason_params)
    params.setdefault("currency", a.currency)
    label = a.label_zh if lang == "zh" else a.label_en
    return i18n.t(a.reason_key, lang, label=label, **params)


_DAY_COUNTED = ("reason.pre_due", "reason.overdue", "reason.overdue_grace")


def task_reason(row: Any, lang: str, day: date) -> str:
    """A stored task's reason (an ``action`` row) for a reader on ``day``.

    The run words a reason on its own day and stores it; but a task stays open for days, and a weekend's
    Today page shows Friday's tasks. So a reason that counts days is worded again here from what the run
    stored beside it — the due date for one not yet due (5 天后到期（12月3日）, 明天到期, 今天到期, 昨天到期),
    the run's day for one overdue (逾期 17 天) — and is right on the day it is read. Other reasons, and
    one whose stored text no longer reads back, are shown as stored."""
    stored = str(row.reason_zh if lang == "zh" else row.reason_en)
    params = getattr(row, "params", None)
    params = params if isinstance(params, dict) else {}
    key = params.get("reason_key")
    if key not in _DAY_COUNTED:
        return stored
    got = i18n.unformat(str(key), lang, stored)
    if got is None:
        return stored
    label = got["label"]
    try:
        if key == "reason.pre_due":
            return due_reason(date.fromisoformat(str(params["date"])), day, lang, label)
        days = int(params["days"]) + (day - row.run_on).days
        if key == "reason.overdue":
            return i18n.t("reason.overdue", lang, days=days, label=label)
        grace = int(params["grace"])
        return i18n.t("reason.overdue_grace", lang, days=days, grace=grace, past=max(0, days - grace), label=label)
    except (KeyError, TypeError, ValueError):
        return stored


def due_reason(due: date, day: date, lang: str, label: str) -> str:
    """A reminder's reason on ``day`` for money due on ``due``: in n days, tomorrow, today, yesterday or
    overdue n days, the due date short (12月3日 / 3 Dec)."""
    n = (due - day).days
    shown = i18n.short_day(due, lang, day)
    if n >= 2:
        return i18n.t("reason.pre_due", lang, days=n, date=shown, label=label)
    key = {1: "reason.due_tomorrow", 0: "reason.due_today", -1: "reason.due_yesterday"}.get(n, "reason.due_passed")
    return i18n.t(key, lang, days=-n, date=shown, label=label)


_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), its encoder built once
_KIND_VALUE = {k: k.value for k in ActionKind}  # an enum's .value is a Python-level property: 4·10⁵ reads a run


class RowEncoder:
    """Encodes actions as rows of ``CollectRepo.ACTION_COLUMNS`` for one run's apply step.

    At 10⁶ invoices the run stores 4·10⁵ actions, and encoding their JSON and reason texts one by one
    cost about a fifth of the run. Most of it repeats: a reason is a template over a few small params
    ("overdue 12 days"), shared by thousands of customers on the same day, and a customer's actions
    name the same invoices. So each distinct value is encoded once and looked up after: the text is
    byte for byte what encoding each row gives (``action_row`` is that reference).

    A customer's actions share one invoices tuple, and a rule's actions one channels tuple (``decide``
    builds them once), so those two are looked up by the object's identity — hashing a dealer's
    thousands of invoice numbers per action cost more than encoding them once. Each entry holds its
    object, which keeps it alive: its id cannot pass to another object while the encoder lives."""

    def __init__(self, company_id: int, today: Any, run_id: int | None) -> None:
        self.company_id, self.today, self.run_id = company_id, today, run_id
        self.params: dict[tuple[Any, ...], str] = {}
        self.reasons: dict[tuple[Any, ...], tuple[str, str]] = {}
        self.invoices: dict[int, tuple[tuple[str, ...], str]] = {}
        self.channels: dict[int, tuple[tuple[Any, ...], str, str | None]] = {}

    def row(self, a: Action, collector: str | None) -> tuple[Any, ...]:
        got = self.invoices.get(id(a.invoices))
        if got is None:
            got = self.invoices[id(a.invoices)] = (a.invoices, _JSON_TEXT(a.invoices))
        invoices = got[1]
        chan = self.channels.get(id(a.channels))
        if chan is None:
            chan = self.channels[id(a.channels)] = (
                a.channels, json.dumps([c.value for c in a.channels]), a.channels[0].value if a.channels else None)
        key = (a.reason_key, a.reason_params, a.limit_cut_percent)
        params = self.params.get(key)
        if params is None:
            params = self.params[key] = _JSON_TEXT(
                {"reason_key": a.reason_key, **dict(a.reason_params), "limit_cut_percent": a.limit_cut_percent})
        rkey = (a.reason_key, a.reason_params, a.label_zh, a.label_en, a.currency)
        reasons = self.reasons.get(rkey)
        if reasons is None:
            reasons = self.reasons[rkey] = (reason_text(a, "zh"), reason_text(a, "en"))
        role = a.assignee_role
        return (
            self.company_id, a.customer_id, self.today, self.run_id, a.ladder, a.stage, _KIND_VALUE[a.kind],
            chan[2], chan[1], role, collector if role == "collector" else None, a.letter, a.needs_approval, "open",
            a.rule_id, a.policy_id, a.policy_version, a.anchor, a.amount_minor, a.currency,
            invoices, params, reasons[0], reasons[1],
        )


def action_row(a: Action, company_id: int, today: Any, run_id: int | None, collector: str | None,
               invoices_json: dict[tuple[str, ...], str] | None = None) -> tuple[Any, ...]:
    """The row of ``CollectRepo.ACTION_COLUMNS`` for one action, its JSON columns encoded
    (``invoices_json`` shares the encoding between a customer's actions, which name the same invoices)."""
    invoices = None if invoices_json is None else invoices_json.get(a.invoices)
    if invoices is None:
        invoices = json.dumps(a.invoices, ensure_ascii=False)
        if invoices_json is not None:
            invoices_json[a.invoices] = invoices
    channels = json.dumps([c.value for c in a.channels])
    params = {"reason_key": a.reason_key, **dict(a.reason_params), "limit_cut_percent": a.limit_cut_percent}
    return (
        company_id, a.customer_id, today, run_id, a.ladder, a.stage, a.kind.value,
        a.channel.value if a.channel else None, channels, a.assignee_role,
        collector if a.assignee_role == "collector" else None, a.letter, a.needs_approval, "open", a.rule_id,
        a.policy_id, a.policy_version, a.anchor, a.amount_minor, a.currency,
        invoices, json.dumps(params, ensure_ascii=False),
        reason_text(a, "zh"), reason_text(a, "en"),
    )


def _apply(app: Any, got: Decided, today: date, run_id: int, progress: ProgressSink) -> tuple[int, int]:
    """Store the day's actions and their immediate effects; returns (created, closed). Shares their worker
    stored already (``decide_in_workers``) are only counted; the others are stored in customer order."""
    progress.start(i18n.t("run.progress_apply", app.settings.lang), len(got.actions))
    created = closed = 0
    for share in got.parts or [got]:
        if share.stored is None:
            c, k = _store(app, share, today, run_id, progress)
        else:
            c, k = share.stored
            progress.advance(len(share.actions))
        created, closed = created + c, closed + k
    return created, closed


def _store(app: Any, got: Decided, today: date, run_id: int, progress: ProgressSink) -> tuple[int, int]:
    """Store one share's actions and their immediate effects, then supersede older tasks by today's (the
    last share stored supersedes for all); returns (created, closed)."""
    created = 0
    actions, collectors = got.actions, got.collectors
    by_customer = sorted(actions, key=lambda a: a.customer_id)
    with app.uow() as uow:
        repo = uow.collect
        closed = repo.close_actions(got.closures, today)
        enc = RowEncoder(app.company_id, repo.date_param(today), run_id)
        for i in range(0, len(by_customer), BATCH):
            batch = by_customer[i:i + BATCH]
            created += repo.insert_actions([enc.row(a, collectors.get(a.customer_id)) for a in batch])
            suspend = [a.customer_id for a in batch if a.kind is ActionKind.CREDIT_SUSPEND and not a.needs_approval]
            repo.set_credit_status(suspend, CreditStatus.SUSPENDED.value)
            lift = [a.customer_id for a in batch if a.kind is ActionKind.CREDIT_RESUME and not a.needs_approval]
            repo.set_credit_status(lift, CreditStatus.NORMAL.value)
            # The batch's e-mails and SMS go to the outbox in the actions' own transaction (ARCHITECTURE §9).
            enqueue_messages(app, uow, run_id=run_id, customers=(batch[0].customer_id, batch[-1].customer_id))
            uow.commit()
            progress.advance(len(batch))
        repo.supersede_tasks(today)
        uow.commit()
    return created, closed


def _rebuild_aging_snapshot(app: Any, today: date, checked: dict[int, int]) -> None:
    """Today's per-customer aging, so ``aging`` and the dashboard read one row per customer (a past
    ``--as-of`` run leaves it alone: the snapshot serves today only). Clears the marks of the customers
    whose tasks this run ``checked``, at the version it read (ADR 0008)."""
    with app.uow() as uow:
        uow.aging.rebuild(today, clear=checked)
        uow.commit()


def _caught_up(uow: Any, today: date, cal: WorkCalendar) -> list[date]:
    repo = uow.collect
    last = repo.last_run_day(today)
    if last is None:
        return []
    ran = repo.run_days(last, today)
    out, d = [], last + timedelta(days=1)
    while d < today:
        if d not in ran and cal.is_workday(d):
            out.append(d)
        d += timedelta(days=1)
    return out


def _now(app: Any) -> datetime:
    now: datetime = app.clock.now()
    return now.astimezone(UTC).replace(tzinfo=None)


def run_daily(app: Any, as_of: date | None = None, *, dry_run: bool = False,
              progress: ProgressSink | None = None) -> RunReport:
    progress = progress or NoProgress()
    today = as_of or app.clock.today()
    report = RunReport(as_of=today, dry_run=dry_run)
    host, pid = run_lock.this_host(), os.getpid()
    run_id: int | None = None
    lease: run_lock.Lease | None = None
    status = "failed"
    # The run builds millions of objects that live until it ends (facts, actions, rows), none of them in a
    # reference cycle; the cyclic collector walked them again and again (~2 s of the run's own process at
    # 10⁶ invoices, and as much in each worker, which inherits the setting). Paused here, restored below.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with app.uow() as uow:
            repo = uow.collect
            now = _now(app)
            rid = repo.start_run(today, now, dry_run, pid=pid, host=host)
            if not dry_run:
                report.took_over = run_lock.acquire(repo, rid, now, host)
            uow.commit()
        run_id = report.run_id = rid

        def renew() -> None:
            with app.uow() as uow:
                uow.collect.heartbeat(rid, _now(app))
                uow.commit()

        lease = run_lock.Lease(renew)
        lease.start()
        with app.uow(write=False) as uow:
            cal = app.calendar()  # read once: the decision and the catch-up count the same days
            got = decide_in_workers(app, uow, today, cal, progress, store_as=None if dry_run else rid)
            report.caught_up = [] if dry_run else _caught_up(uow, today, cal)
        report.actions, report.errors, report.customers = got.actions, got.errors, got.customers
        report.non_workday = not got.is_workday
        report.closed = len(got.closures)
        if not dry_run:
            report.created, report.closed = _apply(app, got, today, rid, progress)
            alerts = raise_alerts(app, today, rid)
            report.alerts_raised, report.warnings_seconds = alerts.raised, alerts.seconds
            if today == app.clock.today():
                _rebuild_aging_snapshot(app, today, got.checked)
        status = "done"
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM turned into one by the CLI: the day is finished by the next run
        status = "interrupted"
        raise
    except Exception as e:
        if not caused_by_interrupt(e):
            raise
        status = "interrupted"  # an interrupt that surfaced as the driver's error about its half-done call
        raise KeyboardInterrupt from e
    finally:
        if lease is not None:
            lease.stop()  # before anything else: a dead run must not renew its lease
        if collecting:
            gc.enable()
        progress.finish()
        if run_id is not None or status == "interrupted":
            _finish(app, run_id, status, report, pid, host)
    if status == "done" and not dry_run:
        # After the run has committed and freed its lock (p11, issue 11): ranking predicts every open
        # invoice, which must not hold the run lock or delay the next run; a Today page read meanwhile
        # shows yesterday's order or the amount order until the new ranking commits (one transaction).
        report.ranked = rank_open_tasks(app, today)  # by expected value; 0 (amount order) without a model
    return report


def _finish(app: Any, run_id: int | None, status: str, report: RunReport, pid: int, host: str) -> None:
    """Record how the run ended and free its lock. ``run_id`` None: interrupted right after its first
    commit, before it knew its id — whatever this process started is marked interrupted and freed."""

    def once() -> None:
        with app.uow() as uow:
            if run_id is None:
                uow.collect.interrupt_runs_of(pid, host, _now(app))
            else:
                uow.collect.finish_run(run_id, _now(app), status,
                                       report.counts | {"created": report.created, "closed": report.closed},
                                       [d.isoformat() for d in report.caught_up], report.errors)
                if not report.dry_run:
                    uow.collect.drop_lock(run_id)
            uow.commit()

    try:
        once()
    except Exception:  # noqa: BLE001 — an interrupt mid-query can leave a pooled connection unusable
        app.engine.dispose()  # fresh connections, then once more; if that fails too, the lease runs out
        once()
