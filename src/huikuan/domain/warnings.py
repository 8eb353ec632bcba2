"""Early warnings for the credit manager (seeds 000, 001, 002): pure detectors over one customer's facts.

``detect(facts, rules, today)`` returns the warnings that hold today, each with its episode anchor and
the recommended move. The daily run raises an alert once per episode: an event (an order, a contact
who left) is its own episode; a state (paying in parts, drifting, chronically late) is one episode
from the day it is first seen until the day it no longer holds.

| kind | holds when | move |
|---|---|---|
| ``large_order_off_season`` | an order of the last ``recent_order_days`` is at least ``large_order_factor`` × the customer's usual (median) invoice, in a month whose share of its yearly volume is below ``off_season_share_pct`` % of an average month | stop shipping |
| ``reliable_paying_in_parts`` | a payer on time for ≥ ``reliable_on_time_pct`` % of its earlier invoices has, in the last ``parts_window_days``, paid ≥ ``parts_min`` invoices in parts or asked for extensions (promises) | collect now |
| ``days_to_pay_drift`` | over the last ``drift_invoices`` paid invoices, the later half took on average ≥ ``drift_days`` more days to pay than the earlier half | collect now |
| ``contact_left`` / ``role_emptied`` | a contact marked as left in the last ``contact_left_days`` days / a role (finance, signatory, owner …) with nobody left in it | confirm the balance with the company (对账函) |
| ``chronic_late`` | late on ≥ ``chronic_late_k`` of the last ``chronic_late_n`` paid invoices | visit (a visit task) |

Any move becomes ``preservation`` (诉前财产保全) once the customer's oldest debt is
``preservation_after_days`` past due: the warning came too late for anything softer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class WarningKind(StrEnum):
    LARGE_ORDER_OFF_SEASON = "large_order_off_season"
    RELIABLE_PAYING_IN_PARTS = "reliable_paying_in_parts"
    DAYS_TO_PAY_DRIFT = "days_to_pay_drift"
    CONTACT_LEFT = "contact_left"
    ROLE_EMPTIED = "role_emptied"
    CHRONIC_LATE = "chronic_late"


class Move(StrEnum):
    COLLECT_NOW = "collect_now"
    STOP_SHIPPING = "stop_shipping"
    PRESERVATION = "preservation"  # 诉前财产保全
    CONFIRM_BALANCE = "confirm_balance"  # balance confirmed by the company as a legal person
    VISIT = "visit"


STATE_KINDS = frozenset({WarningKind.RELIABLE_PAYING_IN_PARTS, WarningKind.DAYS_TO_PAY_DRIFT,
                         WarningKind.CHRONIC_LATE, WarningKind.ROLE_EMPTIED})


@dataclass(frozen=True, slots=True)
class WarningRules:
    recent_order_days: int = 7
    large_order_factor: int = 3
    off_season_share_pct: int = 70
    reliable_on_time_pct: int = 80
    reliable_min_invoices: int = 4
    parts_window_days: int = 60
    parts_min: int = 2
    drift_invoices: int = 6
    drift_days: int = 10
    contact_left_days: int = 30
    chronic_late_k: int = 3
    chronic_late_n: int = 5
    late_grace_days: int = 0
    preservation_after_days: int = 60


@dataclass(frozen=True, slots=True)
class PaidInvoice:
    invoice_on: date
    due_on: date
    paid_on: date


@dataclass(frozen=True, slots=True)
class WarningFacts:
    days_past_due: int = 0
    recent_orders: tuple[tuple[str, date, int], ...] = ()  # (number, ordered_on, amount)
    usual_invoice_minor: int | None = None  # median invoice of the last 12 months
    month_volume: tuple[int, ...] = ()  # invoiced per calendar month 1..12 over the last two years
    paid: tuple[PaidInvoice, ...] = ()  # by paid date, oldest first
    part_payments: int = 0  # invoices paid in parts within parts_window_days
    extensions: int = 0  # promises to pay made within parts_window_days
    left: tuple[tuple[int, str, str, date], ...] = ()  # (contact id, name, role, left_on)
    emptied_roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Warning:
    kind: WarningKind
    anchor: str  # events: what happened; states: "" (the service dates the episode)
    move: Move
    params: tuple[tuple[str, str | int], ...] = ()


def _late(p: PaidInvoice, grace: int) -> bool:
    return (p.paid_on - p.due_on).days > grace


def _off_season(month: int, volume: tuple[int, ...], share_pct: int) -> tuple[bool, int]:
    if len(volume) != 12 or sum(volume) <= 0:
        return False, 100
    share = volume[month - 1] * 12 * 100 // sum(volume)  # this month against an average month, percent
    return share < share_pct, share


def detect(f: WarningFacts, rules: WarningRules, today: date) -> list[Warning]:
    out: list[tuple[WarningKind, str, Move, dict[str, str | int]]] = []
    since = today - timedelta(days=rules.recent_order_days)
    if f.usual_invoice_minor:
        for number, on, amount in f.recent_orders:
            if on < since or amount < rules.large_order_factor * f.usual_invoice_minor:
                continue
            off, share = _off_season(on.month, f.month_volume, rules.off_season_share_pct)
            if off:
                out.append((WarningKind.LARGE_ORDER_OFF_SEASON, number, Move.STOP_SHIPPING,
                            {"order": number, "amount": amount, "usual": f.usual_invoice_minor,
                             "month": on.month, "share": share}))
    window = today - timedelta(days=rules.parts_window_days)
    earlier = [p for p in f.paid if p.paid_on < window]
    if len(earlier) >= rules.reliable_min_invoices:
        on_time = sum(not _late(p, rules.late_grace_days) for p in earlier) * 100 // len(earlier)
        signs = f.part_payments + f.extensions
        if on_time >= rules.reliable_on_time_pct and signs >= rules.parts_min:
            out.append((WarningKind.RELIABLE_PAYING_IN_PARTS, "", Move.COLLECT_NOW,
                        {"on_time": on_time, "parts": f.part_payments, "extensions": f.extensions}))
    n = rules.drift_invoices
    if n >= 2 and len(f.paid) >= n:
        last = f.paid[-n:]
        days = [(p.paid_on - p.invoice_on).days for p in last]
        half = n // 2
        before, after = sum(days[:half]) // half, sum(days[half:]) // (n - half)
        if after - before >= rules.drift_days:
            out.append((WarningKind.DAYS_TO_PAY_DRIFT, "", Move.COLLECT_NOW,
                        {"before": before, "after": after, "invoices": n}))
    for cid, name, role, on in f.left:
        if on >= today - timedelta(days=rules.contact_left_days):
            out.append((WarningKind.CONTACT_LEFT, f"contact:{cid}", Move.CONFIRM_BALANCE,
                        {"name": name, "role": role, "on": on.isoformat()}))
    for role in f.emptied_roles:
        out.append((WarningKind.ROLE_EMPTIED, f"role:{role}", Move.CONFIRM_BALANCE, {"role": role}))
    k, last_n = rules.chronic_late_k, f.paid[-rules.chronic_late_n:]
    late = sum(_late(p, rules.late_grace_days) for p in last_n)
    if len(last_n) == rules.chronic_late_n and late >= k:
        out.append((WarningKind.CHRONIC_LATE, "", Move.VISIT, {"late": late, "of": len(last_n)}))
    severe = f.days_past_due >= rules.preservation_after_days
    return [Warning(kind, anchor, Move.PRESERVATION if severe and move is not Move.VISIT else move,
                    tuple(sorted(params.items()))) for kind, anchor, move, params in out]
