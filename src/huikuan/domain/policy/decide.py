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
from .model import Check, Ladder, Policy, Rule, StatementState

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


def _graced(days: int | None, graced: bool, grace_days: int) -> int | None:
    """Days past due as a ladder reads them: under month-end grace, less the grace, and a delay within
    the grace is not overdue (None)."""
    if days is None or not graced:
        return days
    days -= grace_days
    return days if days >= 1 else None


def _days_for(f: AccountFacts, policy: Policy, ladder: Ladder) -> int | None:
    return _graced(f.days_past_due, f.month_end_terms and ladder in policy.settings.grace_applies_to,
                   policy.settings.month_end_grace_days)


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


# ── the plan: what decide reads of a policy, worked out once per policy ────────────────────────────
# The run decides 10⁵ customers against a handful of policies. Everything a rule contributes that does not
# depend on the customer (its ladder's settings, its kind's channels, enum values, what blocks it) is read
# here once; ``decide`` then only tests facts. tests/unit/test_decide_plan.py holds the result equal to the
# plain per-action reading (tests/unit/decide_reference.py).


_Subject = tuple[int, tuple[str, ...], str, tuple[tuple[str, object], ...]]  # amount, invoices, key, params


@dataclass(frozen=True, slots=True)
class _Step:
    """One rule as ``decide`` applies it."""

    rule_id: str
    checks: tuple[Check, ...]
    stage: str
    kind: ActionKind
    assignee: str
    channels: tuple[Channel, ...]  # the kind's channels in order (empty unless a contact)
    entry: tuple[ActionKind, str, tuple[Channel, ...]] | None  # on_entry's kind, assignee and channels
    once: bool
    blocked_by: tuple[str, ...]  # credit statuses in which the measure is already in force
    resume: bool  # credit_resume: only a suspended customer gets it
    shipment_lock: bool
    needs_approval: bool
    letter: str | None
    every: int  # cadence in working days
    touches: tuple[str, ...]  # channel values whose logged contacts count as touches
    subject: str  # which ``_subject`` branch applies before the customer's money: statement, promise,
    # credit_resume, limit_cut or money (overdue / pre-due)
    limit_cut_percent: int | None
    label_zh: str
    label_en: str


@dataclass(frozen=True, slots=True)
class _LadderPlan:
    ladder: Ladder
    value: str
    paused_by_promise: bool
    grace: bool  # month-end grace shifts its days past due
    needs_money: bool  # dunning and measures act only on a customer with collectable money
    episode: bool  # anchored on the oldest overdue due date: touches before it do not count
    cumulative: bool
    steps: tuple[_Step, ...]  # in search order: file order when cumulative, most severe first otherwise


@dataclass(frozen=True, slots=True)
class _Plan:
    policy: Policy
    ladders: tuple[_LadderPlan, ...]
    act_on_non_workdays: bool
    grace_days: int


def _contact_channels(kind: ActionKind, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
    return channels_for(kind, channels) if kind in CONTACT_KINDS else ()


def _step(rule: Rule, policy: Policy) -> _Step:
    then = rule.then
    kind = then.kind
    subject = ("statement" if rule.ladder is Ladder.STATEMENT else "promise" if rule.ladder is Ladder.PROMISE
               else "credit_resume" if kind is ActionKind.CREDIT_RESUME
               else "limit_cut" if kind is ActionKind.LIMIT_CUT else "money")
    entry = then.on_entry
    return _Step(
        rule_id=rule.id, checks=policy.checks[rule.id], stage=then.stage, kind=kind, assignee=then.assignee.value,
        channels=_contact_channels(kind, then.channels),
        entry=(None if entry is None else
               (entry.kind, entry.assignee.value, _contact_channels(entry.kind, then.channels))),
        once=then.once, blocked_by=tuple(MEASURE_STATE.get(kind, ())), resume=kind is ActionKind.CREDIT_RESUME,
        shipment_lock=kind is ActionKind.SHIPMENT_LOCK, needs_approval=then.needs_approval,
        letter=then.letter.value if then.letter else None, every=then.every_working_days or 1,
        touches=tuple(ch.value for ch in then.channels), subject=subject,
        limit_cut_percent=then.limit_cut_percent, label_zh=then.label_zh, label_en=then.label_en,
    )


def _make_plan(policy: Policy) -> _Plan:
    s = policy.settings
    ladders = []
    for ladder in Ladder:
        rules = policy.ladder(ladder)
        cumulative = ladder in CUMULATIVE
        ladders.append(_LadderPlan(
            ladder=ladder, value=ladder.value, paused_by_promise=ladder in s.paused_by_promise,
            grace=ladder in s.grace_applies_to, needs_money=ladder in (Ladder.DUNNING, Ladder.MEASURES),
            episode=ladder in EPISODE_LADDERS, cumulative=cumulative,
            steps=tuple(_step(r, policy) for r in (rules if cumulative else reversed(rules)))))
    return _Plan(policy, tuple(ladders), s.act_on_non_workdays, s.month_end_grace_days)


_PLANS: dict[int, _Plan] = {}


def _plan(policy: Policy) -> _Plan:
    """The policy's plan, made on first use. Keyed by identity and checked against the policy it was made
    for (an id may be reused once a policy is gone); policies are few and cached by content
    (services.policies), so the table stays small — it is emptied should it ever grow past 256."""
    plan = _PLANS.get(id(policy))
    if plan is None or plan.policy is not policy:
        if len(_PLANS) >= 256:
            _PLANS.clear()
        plan = _PLANS[id(policy)] = _make_plan(policy)
    return plan


def decide(f: AccountFacts, policy: Policy, today: date) -> tuple[Action, ...]:
    if f.paused:
        return ()
    plan = _plan(policy)
    if not f.is_workday and not plan.act_on_non_workdays:
        return ()
    promised = f.open_promise_until is not None and f.open_promise_until >= today
    dpd = f.days_past_due
    has_money = bool(f.overdue or f.upcoming)
    money: list[_Subject] = []  # the customer's money subject, once worked out
    out: list[Action] = []
    for lp in plan.ladders:
        if promised and lp.paused_by_promise:
            continue
        days = _graced(dpd, lp.grace and f.month_end_terms, plan.grace_days)
        for step in lp.steps:
            for ch in step.checks:
                if not ch(f, days, today):
                    break
            else:
                action = None if lp.needs_money and not has_money else _act(step, lp, f, plan, money)
                if action is not None:
                    out.append(action)
                if not lp.cumulative:
                    break
    return tuple(out)


def _money_subject(f: AccountFacts, grace: int) -> _Subject:
    """Amount, invoices, reason key and params (sorted by name) of an action about the customer's money —
    the same for each of its ladders, so worked out once per customer."""
    if f.overdue:
        invoices = tuple(i.number for i in f.overdue)
        days = f.days_past_due or 0
        if f.month_end_terms:
            return (f.overdue_minor, invoices, "reason.overdue_grace",
                    (("days", days), ("grace", grace), ("past", max(0, days - grace))))
        return f.overdue_minor, invoices, "reason.overdue", (("days", days),)
    first = f.upcoming[0].due_on
    bundle = tuple(i for i in f.upcoming if (i.due_on - first).days <= PRE_DUE_BUNDLE_DAYS)
    return (sum(i.collectable_minor for i in bundle), tuple(i.number for i in bundle), "reason.pre_due",
            (("date", first.isoformat()), ("days", f.days_to_due)))


def _act(step: _Step, lp: _LadderPlan, f: AccountFacts, plan: _Plan, money: list[_Subject]) -> Action | None:
    """The rule's action for this customer, or None when something stops it (see the module docstring).
    ``money`` holds the customer's money subject once an earlier ladder worked it out."""
    anchor = _anchor(f, lp.ladder)
    if anchor is None:
        return None
    if f.credit_status in step.blocked_by:
        return None
    if step.resume and f.credit_status != CreditStatus.SUSPENDED:
        return None
    if step.shipment_lock and f.shipment_locked:
        return None
    if step.needs_approval and step.stage in f.pending:
        return None
    seen = (step.stage, anchor) in f.history
    kind, assignee, channels = step.kind, step.assignee, step.channels
    if step.once:
        if seen:
            return None
    elif step.entry is not None and not seen:
        kind, assignee, channels = step.entry
    elif not _cadence_due(step, lp, f):
        return None
    amount: int
    invoices: tuple[str, ...] = ()
    params: tuple[tuple[str, object], ...]
    if step.subject == "statement":
        amount, key, params = f.open_minor, "reason.statement", (("period", f.statement_period),)
    elif step.subject == "promise" and f.broken_promise:
        _pid, amount, on = f.broken_promise
        key, params = "reason.promise_broken", (("amount_minor", amount), ("date", on.isoformat()))
    elif step.subject == "credit_resume":
        amount, key, params = 0, "reason.credit_lifted", (("limit_minor", f.credit_limit_minor),)
    elif step.subject == "limit_cut":
        pct = step.limit_cut_percent or 0
        amount = f.credit_limit_minor * (100 - pct) // 100
        key = "reason.credit_resume"
        params = (("limit_minor", f.credit_limit_minor), ("new_limit_minor", amount), ("percent", pct))
    else:
        if not money:
            money.append(_money_subject(f, plan.grace_days))
        amount, invoices, key, params = money[0]
    policy = plan.policy
    return Action(
        f.customer_id, f.customer_code, lp.value, step.stage, kind, channels, assignee, step.letter,
        step.needs_approval, step.rule_id, policy.id, policy.version, anchor, amount, f.currency, invoices, key,
        params, step.label_zh, step.label_en, step.limit_cut_percent,
    )


def _cadence_due(step: _Step, lp: _LadderPlan, f: AccountFacts) -> bool:
    """Whether the rule's last touch (the ladder's last action, a logged contact on one of its channels) is
    at least its cadence ago; inside an overdue episode only touches after the episode began count, so
    its first working day always gets the contact."""
    every = step.every
    limit = f.working_days_past_due if f.overdue and lp.episode else None
    ago = f.last_action.get(lp.value)
    if ago is not None and (limit is None or ago < limit) and ago < every:
        return False
    contact = f.last_contact
    for ch in step.touches:
        ago = contact.get(ch)
        if ago is not None and (limit is None or ago < limit) and ago < every:
            return False
    return True
