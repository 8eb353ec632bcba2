"""What each action of the daily run is about, exactly: its amount, invoices, anchor (the episode it
belongs to, which keeps a re-run from acting twice) and its reason (the catalog key and every parameter
a reader sees), per ladder; the money that counts; the cadence of ladders outside an overdue episode;
the pre-due bundle's boundary; a limit cut to the fen."""

from __future__ import annotations

from datetime import date, timedelta

from huikuan.domain.ledger import ActionKind, Channel, OpenItem
from huikuan.domain.policy.decide import AccountFacts, Action, decide, split_open_items
from huikuan.domain.policy.load import parse_policy
from huikuan.domain.policy.model import StatementState
from huikuan.services.policies import load_policies

TODAY = date(2026, 11, 23)
POLICY = load_policies().policies["default"]


def on(ladder: str, f: AccountFacts, today: date = TODAY, policy=POLICY):  # type: ignore[no-untyped-def]
    got = [a for a in decide(f, policy, today) if a.ladder == ladder]
    assert len(got) <= 1
    return got[0] if got else None


def subject(a) -> tuple:  # type: ignore[no-untyped-def]
    return a.amount_minor, a.invoices, a.anchor, a.reason_key, dict(a.reason_params)


def test_an_overdue_call_names_every_overdue_invoice_their_total_and_the_days():
    items = [OpenItem(1, "A", TODAY - timedelta(days=9), 30_000), OpenItem(2, "B", TODAY - timedelta(days=3), 20_000, 5_000),
             OpenItem(3, "C", TODAY + timedelta(days=4), 70_000)]
    overdue, upcoming, open_total, overdue_minor = split_open_items(items, TODAY)
    f = AccountFacts(1, "KH1", overdue=overdue, upcoming=upcoming, days_past_due=9, working_days_past_due=7,
                     open_minor=open_total, overdue_minor=overdue_minor)
    a = on("dunning", f)
    assert subject(a) == (45_000, ("A", "B"), (TODAY - timedelta(days=9)).isoformat(), "reason.overdue", {"days": 9})


def test_a_pre_due_reminder_is_anchored_on_the_next_due_date_and_bundles_a_week_inclusive():
    first = TODAY + timedelta(days=4)
    up = (OpenItem(1, "A", first, 5_000), OpenItem(2, "B", first + timedelta(days=7), 3_000),
          OpenItem(3, "C", first + timedelta(days=8), 9_000))
    f = AccountFacts(1, "KH1", upcoming=up, days_to_due=4, working_days_to_due=4, open_minor=17_000)
    a = on("dunning", f)
    assert a.stage == "pre_due_bill"
    assert subject(a) == (8_000, ("A", "B"), f"due-{first.isoformat()}", "reason.pre_due",
                          {"days": 4, "date": first.isoformat()})


def test_a_credit_suspension_lifts_with_the_payment_as_its_anchor_even_with_money_not_yet_due():
    up = (OpenItem(1, "A", TODAY + timedelta(days=10), 5_000),)
    paid = TODAY - timedelta(days=2)
    f = AccountFacts(1, "KH1", credit_status="suspended", credit_limit_minor=300_000, upcoming=up,
                     last_payment_on=paid, open_minor=5_000)
    a = on("credit", f)
    assert (a.stage, a.kind.value) == ("credit_lift", "credit_resume")
    assert subject(a) == (0, (), f"clear-{paid.isoformat()}", "reason.credit_lifted", {"limit_minor": 300_000})
    never = on("credit", AccountFacts(1, "KH1", credit_status="suspended", credit_limit_minor=300_000))
    assert never.anchor == "clear-never"


def test_a_resumption_after_a_stop_cuts_the_limit_to_the_fen():
    f = AccountFacts(1, "KH1", credit_status="stopped", credit_limit_minor=100_001, last_payment_on=TODAY)
    a = on("credit", f)
    assert (a.stage, a.kind.value, a.limit_cut_percent) == ("credit_resume", "limit_cut", 40)
    assert subject(a) == (60_000, (), f"clear-{TODAY.isoformat()}", "reason.credit_resume",
                          {"percent": 40, "limit_minor": 100_001, "new_limit_minor": 60_000})
    assert type(a.amount_minor) is int


def test_a_broken_promise_names_its_amount_and_date():
    promised = TODAY - timedelta(days=5)
    f = AccountFacts(1, "KH1", broken_promise=(7, 12_345, promised), broken_promises=1, open_minor=50_000)
    a = on("promise", f)
    assert subject(a) == (12_345, (), "promise-7", "reason.promise_broken",
                          {"date": promised.isoformat(), "amount_minor": 12_345})


def test_a_statement_action_names_the_period_and_the_open_total():
    f = AccountFacts(1, "KH1", statement=StatementState.UNPREPARED, statement_period="2026-10", open_minor=4_321)
    a = on("statement", f, date(2026, 11, 3))
    assert subject(a) == (4_321, (), "2026-10", "reason.statement", {"period": "2026-10"})


def test_one_fen_of_collectable_money_is_overdue_money():
    items = [OpenItem(1, "A", TODAY - timedelta(days=2), 101, 100), OpenItem(2, "B", TODAY - timedelta(days=1), 1),
             OpenItem(3, "C", TODAY - timedelta(days=1), 500, 500)]
    overdue, upcoming, open_total, overdue_minor = split_open_items(items, TODAY)
    assert [i.number for i in overdue] == ["A", "B"] and upcoming == ()
    assert (open_total, overdue_minor) == (602, 2)


def test_touches_count_for_a_statement_chase_whatever_the_overdue_episode():
    """Only the overdue ladders ignore touches from before the episode began; a statement chase every
    two working days waits after yesterday's chase even when the customer's money fell due yesterday."""
    f = AccountFacts(1, "KH1", statement=StatementState.SENT, statement_period="2026-10", days_since_statement_sent=5,
                     overdue=(OpenItem(1, "A", TODAY - timedelta(days=1), 1_000),), days_past_due=1,
                     working_days_past_due=1, open_minor=1_000, last_action={"statement": 1})
    assert on("statement", f) is None
    assert on("statement", AccountFacts(**{**_fields(f), "last_action": {"statement": 2}})).stage == "statement_chase"


def _fields(f: AccountFacts) -> dict:
    return {k: getattr(f, k) for k in AccountFacts.__dataclass_fields__}


CADENCE = """
[policy]
id = "p"
version = "1"
name = { zh = "p", en = "p" }
[[dunning]]
id = "daily"
when = { days_past_due = [1] }
then = { stage = "s", kind = "call", channels = ["phone"], assignee = "collector", label = { zh = "x", en = "x" } }
[[credit]]
id = "grace-edge"
when = { days_past_due = [0, 3] }
then = { stage = "g", kind = "reminder", channels = ["email"], assignee = "collector", once = true, label = { zh = "x", en = "x" } }
[settings]
grace_applies_to = ["credit"]
month_end_grace_days = 10
"""


def test_a_rule_without_a_cadence_acts_every_working_day():
    policy = parse_policy(CADENCE, "p.toml")
    f = AccountFacts(1, "KH1", overdue=(OpenItem(1, "A", TODAY - timedelta(days=5), 1_000),), days_past_due=5,
                     working_days_past_due=3, open_minor=1_000, last_action={"dunning": 1})
    assert on("dunning", f, policy=policy).stage == "s"


def test_within_the_month_end_grace_a_customer_is_not_overdue_at_all_for_the_graced_ladder():
    policy = parse_policy(CADENCE, "p.toml")
    item = OpenItem(1, "A", TODAY - timedelta(days=10), 1_000)
    inside = AccountFacts(1, "KH1", month_end_terms=True, overdue=(item,), days_past_due=10, working_days_past_due=8,
                          open_minor=1_000)
    assert on("credit", inside, policy=policy) is None  # 10 days in a 10-day grace: no day past it, not day 0
    past = AccountFacts(**{**_fields(inside), "days_past_due": 11, "overdue": (
        OpenItem(1, "A", TODAY - timedelta(days=11), 1_000),)})
    assert on("credit", past, policy=policy).stage == "g"


def test_every_field_of_an_action():
    item = OpenItem(1, "A", TODAY - timedelta(days=31), 80_000)
    f = AccountFacts(7, "KH7", currency="USD", overdue=(item,), days_past_due=31, working_days_past_due=22,
                     open_minor=80_000, credit_limit_minor=500_000)
    got = {a.ladder: a for a in decide(f, POLICY, TODAY)}
    anchor = item.due_on.isoformat()
    assert got["dunning"] == Action(
        customer_id=7, customer_code="KH7", ladder="dunning", stage="manager", kind=ActionKind.ESCALATE, channels=(),
        assignee_role="manager", letter=None, needs_approval=False, rule_id="overdue-31-60", policy_id="default",
        policy_version=POLICY.version, anchor=anchor, amount_minor=80_000, currency="USD", invoices=("A",),
        reason_key="reason.overdue", reason_params=(("days", 31),), label_zh="超过 1 个月：经理协助，主管每日电话+邮件", label_en="over one month: manager involved; supervisor phones and e-mails daily")
    stop = got["credit"]
    assert (stop.stage, stop.kind, stop.assignee_role, stop.needs_approval, stop.rule_id, stop.limit_cut_percent,
            stop.channels) == ("credit_stop", ActionKind.CREDIT_STOP, "gm", True, "credit-stop", 40, ())
    seen = AccountFacts(**{**_fields(f), "history": frozenset({("manager", anchor)}), "last_action": {"dunning": 1}})
    call = on("dunning", seen)
    assert (call.kind, call.channels, call.assignee_role) == (ActionKind.CALL, (Channel.PHONE, Channel.EMAIL),
                                                              "supervisor")


def test_a_promise_due_today_is_still_open():
    f = AccountFacts(1, "KH1", overdue=(OpenItem(1, "A", TODAY - timedelta(days=3), 1_000),), days_past_due=3,
                     working_days_past_due=3, open_minor=1_000)
    assert on("dunning", AccountFacts(**{**_fields(f), "open_promise_until": TODAY})) is None
    assert on("dunning", AccountFacts(**{**_fields(f), "open_promise_until": TODAY - timedelta(days=1)})) is not None


def test_a_month_end_customers_statement_keeps_its_own_reason():
    f = AccountFacts(1, "KH1", month_end_terms=True, statement=StatementState.UNPREPARED, statement_period="2026-10",
                     open_minor=100)
    assert on("statement", f, date(2026, 11, 3)).reason_key == "reason.statement"


ESCALATE_WITH_CHANNELS = CADENCE.replace('kind = "call", channels = ["phone"]', 'kind = "escalate", channels = ["phone"]')


def test_an_action_that_is_no_contact_has_no_channel_even_if_its_rule_lists_some():
    policy = parse_policy(ESCALATE_WITH_CHANNELS, "p.toml")
    f = AccountFacts(1, "KH1", overdue=(OpenItem(1, "A", TODAY - timedelta(days=5), 1_000),), days_past_due=5,
                     working_days_past_due=3, open_minor=1_000)
    a = on("dunning", f, policy=policy)
    assert (a.kind, a.channels, a.channel) == (ActionKind.ESCALATE, (), None)
