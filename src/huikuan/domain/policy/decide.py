"""The pure decision of the daily run: facts about one customer + policy + date → actions.

Semantics (the reference for docs/policies.md):

1. A paused customer gets nothing. On a non-working day nothing is decided unless the policy's
   ``act_on_non_workdays`` is set (the next working day's run acts at the stage of that day).
2. Each ladder (dunning, credit, statement, promise) is considered on its own and yields at most
   ONE action: the most severe matching rule, i.e. the LAST rule in file order whose conditions all
   hold. The ``measures`` ladder is cumulative: its steps (shipment lock, then the letters) are
   separate proposals, so every matching step not yet taken is proposed — a customer first seen
   at 120 days gets the shipment-lock proposal too, not only the lawyer's letter. Conditions are ANDed; a missing condition does not constrain; a range
   condition on a fact the customer lacks (no overdue money → no days past due) does not hold.
3. Only collectable money counts: open minus disputed. Disputed money is never dunned.
4. An open promise to pay (promised date + tolerance not yet passed) silences the ladders listed in
   ``paused_by_promise``. A broken one is a fact for the ``promise`` ladder and counts in
   ``broken_promises``.
5. Month-end grace: for 月结/fixed-day customers, ladders in ``grace_applies_to`` see days past due
   reduced by ``month_end_grace_days`` (a delay within the grace is "not overdue" there).
6. Cadence. An *episode* is named by an anchor: the oldest collectable overdue due date (or the next
   due date before anything is overdue, the statement period, the promise id). ``once`` fires
   if this stage has not acted in this episode. ``on_entry`` replaces the first action of a
   stage in an episode (e.g. an escalation task). Otherwise the rule fires when its last touch is at
   least ``every_working_days`` working days ago (default 1); the last touch is the latest of the
   ladder's own last action and the last logged contact on any of the rule's channels — manual
   contacts count. Only touches inside the current overdue episode count: a pre-due reminder, or
   anything on or before the episode's due date, is not a touch of an overdue stage, so the first
   contact of a new overdue episode is due on its first working day (also after a long holiday).
7. Measures already in force are not proposed again (a locked customer gets no shipment-lock
   proposal), nor while that stage's proposal awaits approval.
8. The primary channel follows the kind: a ``call`` is made by phone, a ``visit`` in person, a
   ``reminder`` or notice by the first listed written channel (e-mail or SMS); the other channels
   of the rule come after it.
9. A suspension of credit sales lifts by itself (``credit_resume``, a notice to sales) when the
   ladder's rule says so — the default: the suspended customer has no collectable overdue money.
10. Missed days are not replayed: the decision depends only on today's facts, so a run after a gap
   acts once, at today's stage.

The function has no I/O, no clock and no randomness: the same facts give the same actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from ..ledger import ActionKind, Channel, CreditStatus, OpenItem
from .model import Ladder, Policy, Rule, StatementState

CUMULATIVE = (Ladder.MEASURES,)
EPISODE_LADDERS = (Ladder.DUNNING, Ladder.MEASURES, Ladder.CREDIT)  # anchored on the oldest overdue due date
CONTACT_KINDS = (ActionKind.CALL, ActionKind.REMINDER, ActionKind.VISIT)
PRE_DUE_BUNDLE_DAYS = 7  # invoices falling due within a week of the next one are named together
MEASURE_STATE = {
    ActionKind.CREDIT_SUSPEND: (CreditStatus.SUSPENDED, CreditStatus.STOPPED, CreditStatus.BLACKLISTED),
    ActionKind.CREDIT_STOP: (CreditStatus.STOPPED, CreditStatus.BLACKLISTED),
    ActionKind.BLACKLIST: (CreditStatus.BLACKLISTED,),
}


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """A customer as the daily run sees it on one date (built by ``services.daily_run.gather``)."""

    customer_id: int
    customer_code: str
    customer_type: str = "dealer"
    currency: str = "CNY"
    month_end_terms: bool = False
    paused: bool = False
    credit_status: str = "normal"
    shipment_locked: bool = False
    credit_limit_minor: int = 0
    overdue: tuple[OpenItem, ...] = ()  # collectable, oldest first
    upcoming: tuple[OpenItem, ...] = ()  # collectable, not yet due, soonest first
    days_past_due: int | None = None
    working_days_past_due: int | None = None
    days_to_due: int | None = None
    working_days_to_due: int | None = None
    broken_promises: int = 0
    open_promise_until: date | None = None
    broken_promise: tuple[int, int, date] | None = None  # (id, amount_minor, promised_on) of the latest
    last_payment_on: date | None = None
    last_contact: Mapping[str, int] = field(default_factory=dict)  # channel → working days ago
    last_action: Mapping[str, int] = field(default_factory=dict)  # ladder → working days ago
    history: frozenset[tuple[str, str]] = frozenset()  # (stage, anchor) acted before today
    pending: frozenset[str] = frozenset()  # stages with a proposal awaiting approval
    statement: StatementState | None = None  # None: customer needs no 对账
    statement_period: str | None = None
    days_since_statement_sent: int | None = None
    open_minor: int = 0
    is_workday: bool = True
    overdue_minor: int = -1  # collectable overdue total; computed from ``overdue`` when not given

    def __post_init__(self) -> None:
        if self.overdue_minor < 0:
            object.__setattr__(self, "overdue_minor", sum(i.collectable_minor for i in self.overdue))


@dataclass(frozen=True, slots=True)
class Action:
    customer_id: int
    customer_code: str
    ladder: str
    stage: str
    kind: ActionKind
    channels: tuple[Channel, ...]
    assignee_role: str
    letter: str | None
    needs_approval: bool
    rule_id: str
    policy_id: str
    policy_version: str
    anchor: str
    amount_minor: int
    currency: str
    invoices: tuple[str, ...]
    reason_key: str
    reason_params: tuple[tuple[str, object], ...]
    label_zh: str
    label_en: str
    limit_cut_percent: int | None = None

    @property
    def channel(self) -> Channel | None:
        return self.channels[0] if self.channels else None

    def __reduce__(self) -> tuple[type[Action], tuple[object, ...]]:
        # A daily-run worker hands back ~2·10⁵ actions through a pipe (ADR 0006). The dataclass's own
        # pickling restores each object through a generic ``__setstate__`` that walks ``fields()`` per
        # object (4.5 s at 10⁶ invoices); the constructor with the values in field order is ~5× cheaper.
        return Action, tuple([getattr(self, name) for name in _ACTION_FIELDS])


_ACTION_FIELDS = tuple(f.name for f in fields(Action))


def split_open_items(items: Iterable[OpenItem], today: date) -> tuple[tuple[OpenItem, ...], tuple[OpenItem, ...], int, int]:
    """What the run knows of a customer's open invoices (due order): (collectable overdue items oldest
    first, collectable upcoming items soonest first, open total, collectable overdue total).

    Only collectable money (open − disputed) is chased: a wholly disputed invoice is in neither list
    and a partly disputed one counts with its undisputed part only. Due today is not overdue."""
    overdue: list[OpenItem] = []
    upcoming: list[OpenItem] = []
    open_total = overdue_minor = 0
    for item in items:
        open_total += item.open_minor
        collectable = item.open_minor - item.disputed_minor
        if collectable <= 0:
            continue
        if item.due_on < today:
            overdue.append(item)
            overdue_minor += collectable
        else:
            upcoming.append(item)
    return tuple(overdue), tuple(upcoming), open_total, overdue_minor


def _days_for(f: AccountFacts, policy: Policy, ladder: Ladder) -> int | None:
    d = f.days_past_due
    if d is None:
        return None
    if f.month_end_terms and ladder in policy.settings.grace_applies_to:
        d -= policy.settings.month_end_grace_days
        return d if d >= 1 else None
    return d


def _anchor(f: AccountFacts, ladder: Ladder) -> str | None:
    if ladder is Ladder.STATEMENT:
        return f.statement_period
    if ladder is Ladder.PROMISE:
        return f"promise-{f.broken_promise[0]}" if f.broken_promise else None
    if f.overdue:
        return f.overdue[0].due_on.isoformat()
    if f.upcoming and ladder is Ladder.DUNNING:
        return "due-" + f.upcoming[0].due_on.isoformat()
    return "clear-" + (f.last_payment_on.isoformat() if f.last_payment_on else "never")


def _cadence_due(rule: Rule, f: AccountFacts) -> bool:
    every = rule.then.every_working_days or 1
    ago = [f.last_action.get(rule.ladder.value)]
    ago += [f.last_contact.get(ch.value) for ch in rule.then.channels]
    known = [a for a in ago if a is not None]
    if f.overdue and rule.ladder in EPISODE_LADDERS and f.working_days_past_due is not None:
        # Touches on or before the episode began (a pre-due reminder, a call about older money)
        # are not touches of this overdue episode: its first working day always gets the contact.
        known = [a for a in known if a < f.working_days_past_due]
    return not known or min(known) >= every


PRIMARY_CHANNEL = {ActionKind.CALL: Channel.PHONE, ActionKind.VISIT: Channel.VISIT}


def channels_for(kind: ActionKind, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
    """The rule's channels with the one the kind is carried out by first (a call by phone, a visit in
    person; a reminder by its first written channel), so the kind and the channel always agree."""
    primary = PRIMARY_CHANNEL.get(kind)
    if primary is None:
        written = tuple(c for c in channels if c is not Channel.PHONE)
        return written + tuple(c for c in channels if c is Channel.PHONE)
    if primary in channels:
        return (primary,) + tuple(c for c in channels if c is not primary)
    return channels


def _subject(f: AccountFacts, ladder: Ladder, rule: Rule) -> tuple[int, tuple[str, ...], str, dict[str, object]]:
    """Amount, invoices, reason key and params of the action."""
    if ladder is Ladder.STATEMENT:
        return f.open_minor, (), "reason.statement", {"period": f.statement_period}
    if ladder is Ladder.PROMISE and f.broken_promise:
        pid, amount, on = f.broken_promise
        return amount, (), "reason.promise_broken", {"date": on.isoformat(), "amount_minor": amount}
    if rule.then.kind is ActionKind.CREDIT_RESUME:
        return 0, (), "reason.credit_lifted", {"limit_minor": f.credit_limit_minor}
    if rule.then.kind is ActionKind.LIMIT_CUT:
        pct = rule.then.limit_cut_percent or 0
        new_limit = f.credit_limit_minor * (100 - pct) // 100
        return new_limit, (), "reason.credit_resume", {"percent": pct, "limit_minor": f.credit_limit_minor,
                                                       "new_limit_minor": new_limit}
    if f.overdue:
        invoices = tuple(i.number for i in f.overdue)
        return f.overdue_minor, invoices, "reason.overdue", {"days": f.days_past_due or 0}
    first = f.upcoming[0].due_on
    bundle = tuple(i for i in f.upcoming if (i.due_on - first).days <= PRE_DUE_BUNDLE_DAYS)
    return (
        sum(i.collectable_minor for i in bundle),
        tuple(i.number for i in bundle),
        "reason.pre_due",
        {"days": f.days_to_due, "date": first.isoformat()},
    )


def can_act_when_quiet(policy: Policy, customer_type: str, credit_status: str, today: date) -> bool:
    """Whether ``decide`` can give any action today to a *quiet* customer of this type and credit status:
    one with no open invoice and no promise to pay in the run's window (hence no statement to chase
    either). False lets the daily run skip such customers without building their facts.

    Exact, not a guess: a rule acts only if all its conditions hold, and every condition a rule can set
    (``model.compile_conditions``) reads only days past or to due, overdue money, promises, the statement,
    the customer type, the credit status and the day of the month — for a quiet customer all fixed by
    (type, credit status, today). Everything else a quiet customer may differ in (history, cadence,
    pause, measures in force) can only stop a rule from acting. So when no rule's conditions hold on
    the quiet facts below, no quiet customer of that kind gets an action. A new condition reading other
    facts must be added here (tests/unit/test_quiet_customers.py draws every condition)."""
    f = AccountFacts(customer_id=0, customer_code="", customer_type=customer_type, credit_status=credit_status)
    return any(all(ch(f, _days_for(f, policy, rule.ladder), today) for ch in policy.checks[rule.id])
               for rule in policy.rules)


def decide(f: AccountFacts, policy: Policy, today: date) -> tuple[Action, ...]:
    if f.paused:
        return ()
    if not f.is_workday and not policy.settings.act_on_non_workdays:
        return ()
    promised = f.open_promise_until is not None and f.open_promise_until >= today
    out: list[Action] = []
    for ladder in Ladder:
        if promised and ladder in policy.settings.paused_by_promise:
            continue
        days = _days_for(f, policy, ladder)
        rules = policy.ladder(ladder)
        if ladder in CUMULATIVE:
            hits = [r for r in rules if all(ch(f, days, today) for ch in policy.checks[r.id])]
        else:  # the most severe match: search from the end
            hits = next(([r] for r in reversed(rules) if all(ch(f, days, today) for ch in policy.checks[r.id])), [])
        for rule in hits:
            action = _fire(rule, f, policy, today, ladder)
            if action is not None:
                out.append(action)
    return tuple(out)


def _fire(rule: Rule, f: AccountFacts, policy: Policy, today: date, ladder: Ladder) -> Action | None:
    then = rule.then
    if ladder in (Ladder.DUNNING, Ladder.MEASURES) and not f.overdue and not f.upcoming:
        return None
    anchor = _anchor(f, ladder)
    if anchor is None:
        return None
    if then.kind in MEASURE_STATE and f.credit_status in MEASURE_STATE[then.kind]:
        return None
    if then.kind is ActionKind.CREDIT_RESUME and f.credit_status != CreditStatus.SUSPENDED:
        return None
    if then.kind is ActionKind.SHIPMENT_LOCK and f.shipment_locked:
        return None
    if then.needs_approval and then.stage in f.pending:
        return None
    seen = (then.stage, anchor) in f.history
    kind, assignee = then.kind, then.assignee
    if then.once:
        if seen:
            return None
    elif then.on_entry is not None and not seen:
        kind, assignee = then.on_entry.kind, then.on_entry.assignee
    elif not _cadence_due(rule, f):
        return None
    amount, invoices, key, params = _subject(f, ladder, rule)
    if key == "reason.overdue" and f.month_end_terms:
        grace = policy.settings.month_end_grace_days
        days = f.days_past_due or 0
        key, params = "reason.overdue_grace", {"days": days, "grace": grace, "past": max(0, days - grace)}
    return Action(
        customer_id=f.customer_id, customer_code=f.customer_code, ladder=ladder.value, stage=then.stage,
        kind=kind, channels=channels_for(kind, then.channels) if kind in CONTACT_KINDS else (),
        assignee_role=assignee.value, letter=then.letter.value if then.letter else None,
        needs_approval=then.needs_approval, rule_id=rule.id, policy_id=policy.id, policy_version=policy.version,
        anchor=anchor, amount_minor=amount, currency=f.currency, invoices=invoices, reason_key=key,
        reason_params=tuple(sorted(params.items())), label_zh=then.label_zh, label_en=then.label_en,
        limit_cut_percent=then.limit_cut_percent,
    )
