"""The pure decision: table-driven cases over the default policy, and hypothesis properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from huikuan.domain.ledger import OpenItem
from huikuan.domain.policy.decide import AccountFacts, decide, split_open_items
from huikuan.domain.policy.model import StatementState
from huikuan.services.policies import load_policies

TODAY = date(2026, 11, 23)
POLICY = load_policies().policies["default"]
SEVERITY = ["overdue_1_7", "overdue_8_14", "supervisor", "manager", "general_manager"]


def facts(dpd: int | None = None, amount: int = 100_000, disputed: int = 0, **kw) -> AccountFacts:
    """One open invoice ``dpd`` days past due, made into facts by the run's own fact builder
    (``split_open_items``): the helper does not decide itself what disputed money leaves out."""
    items = [] if dpd is None else [OpenItem(1, "INV-1", TODAY - timedelta(days=dpd), amount, disputed)]
    overdue, upcoming, open_total, overdue_minor = split_open_items(items, TODAY)
    base = {"customer_id": 1, "customer_code": "KH1", "overdue": overdue, "upcoming": upcoming,
            "days_past_due": dpd if overdue else None, "working_days_past_due": dpd if overdue else None,
            "open_minor": open_total or amount, "overdue_minor": overdue_minor}
    base.update(kw)
    return AccountFacts(**base)


def stages(actions) -> dict[str, tuple[str, str]]:
    return {a.ladder: (a.stage, a.kind.value) for a in actions}


@pytest.mark.parametrize(
    ("dpd", "kw", "expected"),
    [
        (1, {}, {"dunning": ("overdue_1_7", "call"), "credit": ("credit_notice", "reminder")}),
        (7, {"last_action": {"dunning": 1}}, {"credit": ("credit_notice", "reminder")}),  # every 2 working days
        (7, {"last_action": {"dunning": 2}}, {"dunning": ("overdue_1_7", "call"), "credit": ("credit_notice", "reminder")}),
        (9, {"last_action": {"dunning": 1}}, {"dunning": ("overdue_8_14", "call"), "credit": ("credit_notice", "reminder")}),
        (15, {}, {"dunning": ("supervisor", "escalate"), "credit": ("credit_notice", "reminder")}),
        (16, {"history": frozenset({("supervisor", (TODAY - timedelta(days=16)).isoformat())}), "last_action": {"dunning": 1}},
         {"dunning": ("supervisor", "call"), "credit": ("credit_suspend", "credit_suspend")}),
        (31, {}, {"dunning": ("manager", "escalate"), "credit": ("credit_stop", "credit_stop")}),
        (61, {}, {"dunning": ("general_manager", "escalate"), "credit": ("blacklist", "blacklist")}),
        (61, {"credit_status": "blacklisted"}, {"dunning": ("general_manager", "escalate")}),
    ],
)
def test_default_ladder_table(dpd, kw, expected):
    assert stages(decide(facts(dpd, **kw), POLICY, TODAY)) == expected


def test_measures_are_cumulative_and_need_approval():
    acts = [a for a in decide(facts(120), POLICY, TODAY) if a.ladder == "measures"]
    assert [a.stage for a in acts] == ["shipment_lock", "letter_dunning", "letter_confirmation", "letter_lawyer"]
    assert all(a.needs_approval for a in acts)
    assert [a.letter for a in acts] == [None, "dunning", "confirmation", "lawyer"]


def test_measures_in_force_or_pending_are_not_proposed_again():
    f = facts(120, shipment_locked=True, pending=frozenset({"letter_dunning"}))
    acts = [a.stage for a in decide(f, POLICY, TODAY) if a.ladder == "measures"]
    assert acts == ["letter_confirmation", "letter_lawyer"]


def test_month_end_grace_shifts_the_credit_ladder_only():
    f = facts(9, month_end_terms=True)
    got = decide(f, POLICY, TODAY)
    assert stages(got) == {"dunning": ("overdue_8_14", "call")}  # no credit notice within the grace
    assert got[0].reason_key == "reason.overdue_grace"
    assert dict(got[0].reason_params) == {"days": 9, "grace": 10, "past": 0}
    assert stages(decide(facts(26, month_end_terms=True), POLICY, TODAY))["credit"] == ("credit_suspend", "credit_suspend")


def test_pre_due_reminders_and_bundle():
    up = (OpenItem(1, "A", TODAY + timedelta(days=7), 5000), OpenItem(2, "B", TODAY + timedelta(days=10), 3000),
          OpenItem(3, "C", TODAY + timedelta(days=30), 9000))
    f = AccountFacts(1, "KH1", upcoming=up, days_to_due=7, working_days_to_due=5, open_minor=17000)
    (a,) = decide(f, POLICY, TODAY)
    assert (a.stage, a.channels) == ("pre_due_bill", ("sms", "email"))
    assert a.invoices == ("A", "B") and a.amount_minor == 8000


def test_open_promise_silences_dunning_and_measures_not_credit():
    f = facts(100, open_promise_until=TODAY + timedelta(days=3))
    assert set(stages(decide(f, POLICY, TODAY))) == {"credit"}


def test_broken_promise_escalates_once():
    f = facts(20, broken_promise=(7, 5000, TODAY - timedelta(days=5)), broken_promises=1)
    assert stages(decide(f, POLICY, TODAY))["promise"] == ("promise_broken", "escalate")
    f2 = facts(20, broken_promise=(7, 5000, TODAY - timedelta(days=5)), history=frozenset({("promise_broken", "promise-7")}))
    assert "promise" not in stages(decide(f2, POLICY, TODAY))


def test_credit_resume_proposes_the_limit_cut():
    f = AccountFacts(1, "KH1", credit_status="stopped", credit_limit_minor=1_000_000, last_payment_on=TODAY)
    (a,) = decide(f, POLICY, TODAY)
    assert (a.kind.value, a.amount_minor, a.needs_approval) == ("limit_cut", 600_000, True)


def test_statement_cycle():
    f = AccountFacts(1, "KH1", statement=StatementState.UNPREPARED, statement_period="2026-10", open_minor=100)
    assert stages(decide(f, POLICY, date(2026, 11, 3))) == {"statement": ("statement_prepare", "statement")}
    assert stages(decide(f, POLICY, date(2026, 11, 6))) == {"statement": ("statement_prepare_late", "escalate")}


def test_nothing_on_a_non_working_day_or_when_paused():
    assert decide(facts(20, is_workday=False), POLICY, TODAY) == ()
    assert decide(facts(20, paused=True), POLICY, TODAY) == ()


@given(dpd=st.integers(1, 400), amount=st.integers(1, 10**9), disputed_share=st.integers(0, 100))
@example(dpd=5, amount=100_000, disputed_share=40)  # 1,000.00 with 400.00 disputed: 600.00 dunned
def test_disputed_money_is_never_dunned(dpd, amount, disputed_share):
    disputed = amount * disputed_share // 100
    acts = decide(facts(dpd, amount=amount, disputed=disputed), POLICY, TODAY)
    for a in acts:
        if a.ladder in ("dunning", "credit", "measures"):
            assert a.amount_minor == amount - disputed
    if disputed == amount:
        assert acts == ()


def test_split_open_items_counts_only_collectable_money():
    items = [OpenItem(1, "A", TODAY - timedelta(days=9), 100_000, 40_000),  # partly disputed
             OpenItem(2, "B", TODAY - timedelta(days=3), 5_000, 5_000),  # wholly disputed
             OpenItem(3, "C", TODAY, 7_000),  # due today: not overdue
             OpenItem(4, "D", TODAY + timedelta(days=4), 2_000, 500)]
    overdue, upcoming, open_total, overdue_minor = split_open_items(items, TODAY)
    assert [i.number for i in overdue] == ["A"] and overdue_minor == 60_000
    assert [i.number for i in upcoming] == ["C", "D"] and open_total == 114_000


@given(dpd=st.integers(1, 400), paused=st.booleans())
def test_paused_gets_nothing_and_deciding_twice_is_identical(dpd, paused):
    f = facts(dpd, paused=paused)
    first, second = decide(f, POLICY, TODAY), decide(f, POLICY, TODAY)
    assert first == second
    if paused:
        assert first == ()


@given(d1=st.integers(1, 300), d2=st.integers(1, 300))
def test_more_days_overdue_never_lowers_the_dunning_stage(d1, d2):
    lo, hi = sorted((d1, d2))

    def stage(d):
        acts = [a for a in decide(facts(d), POLICY, TODAY) if a.ladder == "dunning"]
        return SEVERITY.index(acts[0].stage)

    assert stage(lo) <= stage(hi)
