"""Reports: aging (账龄) by customer, collector, segment or risk grade; the worklist; the run log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from types import SimpleNamespace
from typing import Any

from ..domain.aging import DEFAULT_BUCKETS, bucket_labels
from ..domain.errors import InvalidInput
from . import as_of as as_of_view
from . import run_lock
from .policies import load_policies

GROUPINGS = ("customer", "collector", "segment", "grade")


@dataclass
class AgingRow:
    key: str
    name: str
    currency: str
    amounts: list[int]
    disputed: int = 0
    overdue: int = 0  # collectable (undisputed) money past due

    @property
    def total(self) -> int:
        return sum(self.amounts)


@dataclass
class AgingReport:
    as_of: date
    by: str
    buckets: tuple[int, ...]
    rows: list[AgingRow] = field(default_factory=list)
    out_of_range: list[str] = field(default_factory=list)  # customers left out: an amount beyond 10¹³ yuan

    def labels(self, lang: str) -> list[str]:
        return bucket_labels(self.buckets, lang)

    def totals(self) -> list[AgingRow]:
        """One totals row per currency (in order of first appearance), summing every column: each
        bucket, the total, the collectable overdue and the disputed money."""
        out: dict[str, AgingRow] = {}
        for r in self.rows:
            acc = out.setdefault(r.currency, AgingRow("", "", r.currency, [0] * (len(self.buckets) + 1)))
            for i, a in enumerate(r.amounts):
                acc.amounts[i] += a
            acc.disputed += r.disputed
            acc.overdue += r.overdue
        return list(out.values())


def aging(app: Any, as_of: date | None = None, buckets: Sequence[int] = DEFAULT_BUCKETS, by: str = "customer") -> AgingReport:
    if by not in GROUPINGS:
        raise InvalidInput("input.enum", field="by", value=by, allowed=", ".join(GROUPINGS))
    today = as_of or app.clock.today()
    report = AgingReport(today, by, tuple(buckets))
    with app.uow(write=False) as uow:
        customers = uow.collect.customer_labels()
        report.out_of_range = uow.aging.out_of_range()
        rows: Any
        if as_of_view.is_past(app, as_of):  # a past day: from the facts dated up to it, never today's balances
            rows = as_of_view.aging_rows(uow, today, buckets)
        else:
            # Today's default buckets come from the per-customer snapshot the daily run keeps (exact:
            # changed customers are recomputed); other bucket sets from the invoices themselves.
            rows = uow.aging.rows(today) if tuple(buckets) == DEFAULT_BUCKETS else None
            if rows is None:
                rows = uow.collect.aging_rows(today, buckets)
        policies = load_policies(app.policy_dirs(), uow.collect.segment_policies()) if by == "grade" else None
    n = len(buckets) + 1
    if by == "customer":  # one row per customer and currency: nothing to add up (10⁵ rows, ≤ 1.5 s in all)
        out = []
        for customer_id, currency, amounts, disputed, overdue, _oldest in rows:
            c = customers.get(customer_id)
            if c is not None:
                out.append(AgingRow(c[0], c[1], currency, list(amounts[:n]), disputed, overdue))
        report.rows = sorted(out, key=lambda x: (-sum(x.amounts[1:]), x.key))
        return report
    groups: dict[tuple[str, str], AgingRow] = {}
    for customer_id, currency, amounts, disputed, overdue, oldest in rows:
        c = customers.get(customer_id)
        if c is None:
            continue
        _code, _name, collector, segment, policy = c
        if by == "collector":
            key, name = collector or "-", ""
        elif by == "segment":
            key, name = segment or "-", ""
        else:
            dpd = (today - oldest).days if oldest is not None else None
            key, name = policies.for_customer(policy, segment).grades.grade(dpd).value, ""  # type: ignore[union-attr]
        row = groups.get((key, currency))
        if row is None:  # the first of its group needs no adding up
            groups[(key, currency)] = AgingRow(key, name, currency, list(amounts[:n]), disputed, overdue)
            continue
        for i in range(n):
            row.amounts[i] += amounts[i]
        row.disputed += disputed
        row.overdue += overdue
    report.rows = sorted(groups.values(), key=lambda x: (-sum(x.amounts[1:]), x.key))
    return report


def worklist(app: Any, as_of: date | None = None, assignee: str | None = None, *, scope: Any = None,
             stage: str | None = None, segment: str | None = None, collector: str | None = None,
             grade: str | None = None, approvals: bool | None = None, roles: Sequence[str] | None = None,
             limit: int | None = None, after: tuple[int, int, int] | None = None) -> list[Any]:
    """Open tasks and proposals up to the date, most valuable first; ``assignee`` is a role or a person.

    ``scope`` (a ``domain.access.Scope``) and the filters are applied in the query; ``limit``/``after``
    page through it ((ev_position, amount_minor, id) of the previous page's last row). ``grade`` (a ``RiskGrade``
    value) keeps the tasks whose days past due, as the run recorded them, fall in that grade under the
    customer's policy."""
    if grade:
        from ..domain.ledger import RiskGrade

        try:
            RiskGrade(grade)
        except ValueError as e:
            raise InvalidInput("input.enum", field="grade", value=grade,
                               allowed=", ".join(g.value for g in RiskGrade)) from e
    today = as_of or app.clock.today()
    post_filter = bool(assignee or grade)
    with app.uow(write=False) as uow:
        filters: dict[str, Any] = {"stage": stage or None, "segment": segment or None, "collector": collector or None,
                   "approvals": approvals, "roles": roles, "after": after}
        if as_of_view.is_past(app, as_of):  # as the day saw it: computed from the facts dated up to it
            rows = as_of_view.open_tasks(uow, today, scope=scope, **filters)
            rows = rows if post_filter or limit is None else rows[:limit]
        else:
            rows = uow.customers.open_tasks(today, scope, limit=None if post_filter else limit, **filters)
        policies = load_policies(app.policy_dirs(), uow.collect.segment_policies()) if grade else None
    if assignee:
        rows = [r for r in rows if assignee in (r.assignee_role, r.assignee)]
    if grade and policies is not None:
        rows = [r for r in rows if _task_grade(r, policies) == grade]
    if post_filter and limit is not None:
        rows = rows[:limit]
    return rows


def _task_grade(row: Any, policies: Any) -> str:
    params = row.params if isinstance(row.params, dict) else {}
    overdue = params.get("reason_key") in ("reason.overdue", "reason.overdue_grace")
    days = params.get("days") if overdue else None
    policy = policies.for_customer(row.customer_policy, row.segment)
    return str(policy.grades.grade(int(days) if isinstance(days, int) and days > 0 else None).value)


@dataclass
class TaskDetail:
    """A worklist row with what the collector needs before dialling."""

    task: Any
    last_contact: Any = None  # the customer's latest activity (summary, excuse)
    promises_due: list[Any] = field(default_factory=list)  # promises due on the day
    best_time: str | None = None
    call: dict[str, Any] | None = None  # the compliance guard's "call now?" for a phone task (issue 9)
    refusal: Any = None  # the customer's newest refused or dead message of the last REFUSAL_DAYS days


REFUSAL_DAYS = 7  # how far back the worklist shows a customer's last refused or dead message


def worklist_details(app: Any, rows: Sequence[Any], as_of: date | None = None,
                     lang: str | None = None) -> list[TaskDetail]:
    """The page's rows with the customer's last contact, today's promises, the best time to call, the
    guard's "call now?" for phone tasks (its reason in ``lang``) and the customer's last refused message —
    set-based reads for the page, never one per row."""
    from .outbox import call_now  # the guard's verdict, the same function the sender uses

    today = as_of or app.clock.today()
    ids = sorted({r.customer_id for r in rows})
    since = (app.clock.now().astimezone(UTC) - timedelta(days=REFUSAL_DAYS)).replace(tzinfo=None)
    with app.uow(write=False) as uow:  # one snapshot for the page: the guard reads its customers in it too
        last = uow.customers.last_activities(ids)
        due = uow.customers.promises_due(ids, today)
        best = uow.customers.best_times(ids)
        refused = uow.outbox.latest_events(ids, since)
        calls = call_now(app, list(rows), uow=uow, lang=lang) if as_of is None else {}
    return [TaskDetail(r, last.get(r.customer_id), due.get(r.customer_id, []), best.get(r.customer_id),
                       calls.get(r.id), refused.get(r.customer_id)) for r in rows]


def runs(app: Any, limit: int = 30) -> list[Any]:
    """The run log, newest first; a "running" run whose holder died shows as interrupted."""
    now = app.clock.now().astimezone(UTC).replace(tzinfo=None)
    host = run_lock.this_host()
    with app.uow(write=False) as uow:
        rows = uow.collect.runs(limit)
    return [SimpleNamespace(**{**r._asdict(), "status": run_lock.shown_status(r, now, host)}) for r in rows]


def actions_of_day(app: Any, day: date) -> list[Any]:
    """Every action stored for ``day`` (what a run of that day created, whichever run it was)."""
    with app.uow(write=False) as uow:
        return list(uow.collect.actions_on(day))


@dataclass
class Dashboard:
    as_of: date
    currency: str
    open_minor: int
    overdue_minor: int
    labels_buckets: tuple[int, ...]
    buckets: list[int]  # open money per aging bucket (the company's currency)
    top_overdue: list[AgingRow]
    promises_week: list[Any]
    approvals_waiting: int
    last_run: Any
    collected_month_minor: int
    alerts_open: int = 0  # early warnings raised for the credit manager and not yet closed

    @property
    def overdue_share(self) -> float:
        return self.overdue_minor / self.open_minor if self.open_minor else 0.0


def dashboard(app: Any, as_of: date | None = None, top: int = 20) -> Dashboard:
    """The owner's figures: overdue total and share, aging by bucket, the top overdue customers, promises due
    this week, approvals waiting, the last run and money collected this month (company currency)."""
    from datetime import timedelta

    today = as_of or app.clock.today()
    cur = app.settings.currency
    week_end = today + timedelta(days=6 - today.weekday())
    past = aging(app, today) if as_of_view.is_past(app, as_of) else None  # from the facts up to that day (rare)
    with app.uow(write=False) as uow:
        if past is not None:
            total = next((r for r in past.totals() if r.currency == cur), None)
            buckets = total.amounts if total else [0] * (len(past.buckets) + 1)
            overdue = sum(r.overdue for r in past.rows if r.currency == cur)
            tops = sorted((r for r in past.rows if r.currency == cur and r.overdue > 0),
                          key=lambda r: (-r.overdue, r.key))[:top]
        else:
            # Summed in the database off the per-customer snapshot: a page view never brings 10^5 customers'
            # rows into Python (the dashboard's target is 150 ms at 10^6 invoices).
            summary = uow.aging.summary(today, cur, top)
            buckets, overdue = summary.amounts, summary.overdue
            tops = [AgingRow(r.code, r.name, cur, r.amounts, r.disputed, r.overdue) for r in summary.top]
        promises = uow.customers.promises_between(today, week_end)
        waiting = uow.customers.open_proposals_count(today)
        last = (uow.collect.runs(1) or [None])[0]
        collected = uow.customers.collected_between(today.replace(day=1), today, cur)
        alerts_open = len(uow.credit.alerts(True))
    return Dashboard(
        as_of=today, currency=cur, open_minor=sum(buckets), overdue_minor=overdue,
        labels_buckets=DEFAULT_BUCKETS, buckets=buckets, top_overdue=tops,
        promises_week=promises, approvals_waiting=waiting, last_run=last, collected_month_minor=collected,
        alerts_open=alerts_open)


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An open invoice as ``customer show`` and ``huikuan invoices`` list it."""

    number: str
    customer_code: str
    customer_name: str
    invoice_date: date
    due_date: date
    amount_minor: int
    open_minor: int
    disputed_minor: int
    currency: str
    days_past_due: int  # calendar days past the due date on the as-of day; 0 when not yet due

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (issue 6 item 8): amounts as exact decimal text."""
        from ..domain.money import format_minor

        return {"number": self.number, "invoice_date": self.invoice_date.isoformat(),
                "due_date": self.due_date.isoformat(), "amount": format_minor(self.amount_minor, self.currency),
                "open": format_minor(self.open_minor, self.currency),
                "disputed": format_minor(self.disputed_minor, self.currency), "days_past_due": self.days_past_due}


def open_invoice(row: Any, as_of: date, code: str = "", name: str = "") -> OpenInvoice:
    return OpenInvoice(row.number, getattr(row, "customer_code", code), getattr(row, "customer_name", name),
                       row.invoice_on, row.due_on, int(row.amount_minor), int(row.open_minor), int(row.disputed_minor),
                       row.currency, max((as_of - row.due_on).days, 0))


def open_invoices(app: Any, customer: str | None = None, overdue: bool = False, limit: int | None = None,
                  as_of: date | None = None) -> tuple[list[OpenInvoice], int]:
    """Open invoices, oldest due first, and how many there are in all: of one customer (by code) or of
    everyone; ``overdue`` keeps those past due on ``as_of`` (default today)."""
    from ..domain.errors import NotFound

    today = as_of or app.clock.today()
    with app.uow(write=False) as uow:
        cid = None
        if customer is not None:
            row = uow.customers.by_code(customer)
            if row is None:
                raise NotFound("customer.not_found", what="customer", value=customer)
            cid = row.id
        rows, total = uow.customers.open_invoice_list(cid, today if overdue else None, limit)
    return [open_invoice(r, today) for r in rows], total
