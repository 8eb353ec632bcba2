"""The daily run's decision as it was written before its per-policy plan (commit fc36fe1): every rule's
values read again for each customer. ``test_decide_plan.py`` holds ``decide`` to give exactly what this
gives; keep it unchanged unless the semantics in ``domain/policy/decide.py``'s docstring change."""

from __future__ import annotations

from datetime import date

from huikuan.domain.ledger import ActionKind, Channel, CreditStatus
from huikuan.domain.policy.decide import (
    CONTACT_KINDS,
    CUMULATIVE,
    EPISODE_LADDERS,
    MEASURE_STATE,
    PRE_DUE_BUNDLE_DAYS,
    AccountFacts,
    Action,
)
from huikuan.domain.policy.model import Ladder, Policy, Rule


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


def decide_plain(f: AccountFacts, policy: Policy, today: date) -> tuple[Action, ...]:
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
