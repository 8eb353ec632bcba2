"""Policy files: every problem of a bad file named exactly — where, which message, with which values —
and a good file's values read as written (docs/policies.md). Problems are compared as sorted lists:
the parser reports them in key order, which need not be the file's."""

from __future__ import annotations

import pytest

from huikuan.domain.errors import PolicyInvalid
from huikuan.domain.policy.load import parse_policy

HEAD = '[policy]\nid = "p"\nversion = "1"\nname = { zh = "甲", en = "A" }\n'


def problems(text: str) -> list[tuple[str, str, dict[str, object]]]:
    with pytest.raises(PolicyInvalid) as e:
        parse_policy(text, "d.toml")
    assert {p.source for p in e.value.problems} == {"d.toml"}
    assert e.value.params == {"count": len(e.value.problems)}
    return sorted((p.where, p.code, p.params) for p in e.value.problems)


CASES = [
    ('rule_not_table', 'head', '[[dunning]]\n',
     [('dunning[0].id', 'policy.missing_key', {'key': 'id'})]),
    ('rule_unknown_key_no_id', 'head', '[[dunning]]\nwho = 1\n',
     [('dunning[0].id', 'policy.missing_key', {'key': 'id'}),
      ('dunning[0].who', 'policy.unknown_key', {'key': 'who'})]),
    ('rule_empty_id', 'head', '[[dunning]]\nid = ""\n',
     [('dunning[0].id', 'policy.missing_key', {'key': 'id'})]),
    ('when_not_table', 'head', '[[dunning]]\nid = "a"\nwhen = 3\nthen = { stage = "s", kind = "call", assignee = "collector", label = { zh = "x", en = "x" } }\n',
     [('dunning[0].when', 'policy.table', {'value': '3'})]),
    ('when_all_bad', 'head', '[[dunning]]\nid = "a"\nwhen = { has_overdue = 1, promise_broken = "y", customer_type = [], credit_status = ["x"], statement = "sent", min_overdue = "abc", day_of_month = [1, 2, 3] }\nthen = { stage = "s", kind = "call", assignee = "collector", label = { zh = "x", en = "x" } }\n',
     [('dunning[0].when.credit_status[0]', 'policy.enum',
       {'allowed': 'normal, suspended, stopped, blacklisted', 'value': "'x'"}),
      ('dunning[0].when.customer_type', 'policy.list', {'value': '[]'}),
      ('dunning[0].when.day_of_month', 'policy.range', {'value': '[1, 2, 3]'}),
      ('dunning[0].when.has_overdue', 'policy.bool', {'value': '1'}),
      ('dunning[0].when.min_overdue', 'policy.amount', {'value': "'abc'"}),
      ('dunning[0].when.promise_broken', 'policy.bool', {'value': "'y'"}),
      ('dunning[0].when.statement', 'policy.list', {'value': "'sent'"})]),
    ('then_not_table', 'head', '[[dunning]]\nid = "a"\nthen = 1\n',
     [('dunning[0].then', 'policy.table', {'value': '1'})]),
    ('then_missing', 'head', '[[dunning]]\nid = "a"\nthen = { colour = 1 }\n',
     [('dunning[0].then.assignee', 'policy.missing_key', {'key': 'assignee'}),
      ('dunning[0].then.colour', 'policy.unknown_key', {'key': 'colour'}),
      ('dunning[0].then.kind', 'policy.missing_key', {'key': 'kind'}),
      ('dunning[0].then.stage', 'policy.missing_key', {'key': 'stage'})]),
    ('then_all_bad', 'head', '[[dunning]]\nid = "a"\nthen = { stage = "s 1", kind = "letter", assignee = "collector", channels = "email", every_working_days = 61, once = true, on_entry = { kind = "call" }, needs_approval = "yes", label = { zh = "x" } }\n',
     [('dunning[0].then.channels', 'policy.list', {'value': "'email'"}),
      ('dunning[0].then.every_working_days', 'policy.int', {'max': 60, 'min': 1, 'value': '61'}),
      ('dunning[0].then.label', 'policy.label', {'value': "{'zh': 'x'}"}),
      ('dunning[0].then.letter', 'policy.missing_key', {'key': 'letter'}),
      ('dunning[0].then.needs_approval', 'policy.bool', {'value': "'yes'"}),
      ('dunning[0].then.on_entry', 'policy.on_entry', {'value': "{'kind': 'call'}"}),
      ('dunning[0].then.stage', 'policy.stage_id', {'value': "'s 1'"})]),
    ('then_once_every', 'head', '[[dunning]]\nid = "a"\nthen = { stage = "s", kind = "call", assignee = "collector", every_working_days = 1, once = true, label = { zh = "x", en = "x" } }\n',
     [('dunning[0].then.once', 'policy.once_and_every', {})]),
    ('then_limit_cut_missing', 'head', '[[credit]]\nid = "a"\nthen = { stage = "s", kind = "limit_cut", assignee = "collector", label = { zh = "x", en = "x" } }\n',
     [('credit[0].then.limit_cut_percent', 'policy.missing_key', {'key': 'limit_cut_percent'})]),
    ('then_limit_cut_bad', 'head', '[[credit]]\nid = "a"\nthen = { stage = "s", kind = "limit_cut", assignee = "collector", limit_cut_percent = 0, label = { zh = "x", en = "x" } }\n',
     [('credit[0].then.limit_cut_percent', 'policy.int', {'max': 100, 'min': 1, 'value': '0'})]),
    ('then_bad_entry', 'head', '[[credit]]\nid = "a"\nthen = { stage = "s", kind = "call", assignee = "collector", on_entry = { kind = "x", assignee = "y" }, letter = "poem", label = { zh = "x", en = "x" } }\n',
     [('credit[0].then.letter', 'policy.enum', {'allowed': 'dunning, confirmation, lawyer', 'value': "'poem'"}),
      ('credit[0].then.on_entry.assignee', 'policy.enum',
       {'allowed': 'collector, supervisor, credit_supervisor, credit_manager, sales, sales_manager, manager, gm, '
                   'owner, finance, admin, auditor',
        'value': "'y'"}),
      ('credit[0].then.on_entry.kind', 'policy.enum',
       {'allowed': 'reminder, call, visit, escalate, statement, credit_suspend, credit_resume, credit_stop, '
                   'limit_cut, blacklist, shipment_lock, letter',
        'value': "'x'"})]),
    ('dup_stage', 'head', '[[dunning]]\nid = "a"\nthen = { stage = "s", kind = "call", assignee = "collector", label = { zh = "x", en = "x" } }\n[[dunning]]\nid = "b"\nthen = { stage = "s", kind = "call", assignee = "collector", label = { zh = "x", en = "x" } }\n',
     [('dunning[1].then.stage', 'policy.duplicate_stage', {'value': 's'})]),
    ('settings_bad', 'head', '[settings]\ngrace_applies_to = "credit"\npaused_by_promise = ["nope"]\nact_on_non_workdays = 1\nstatement_prepare_by_day = 367\n',
     [('settings.act_on_non_workdays', 'policy.bool', {'value': '1'}),
      ('settings.grace_applies_to', 'policy.list', {'value': "'credit'"}),
      ('settings.paused_by_promise[0]', 'policy.enum',
       {'allowed': 'dunning, measures, credit, statement, promise', 'value': "'nope'"}),
      ('settings.statement_prepare_by_day', 'policy.int', {'max': 366, 'min': 0, 'value': '367'})]),
    ('grades_bad', 'head', '[grades]\ndoubtful = -1\nlost = 10\nfoo = 1\n',
     [('grades.doubtful', 'policy.int', {'max': 100000, 'min': 0, 'value': '-1'}),
      ('grades.foo', 'policy.unknown_key', {'key': 'foo'})]),
    ('grades_order', 'head', '[grades]\nbad = 10\n',
     [('grades', 'policy.grades_order', {})]),
    ('credit_check_bad', 'head', '[credit_check]\nsuspended = "maybe"\nmax_unpaid_deliveries = 0\nfoo = 1\noverdue_delivery_grace_days = 367\n',
     [('credit_check.foo', 'policy.unknown_key', {'key': 'foo'}),
      ('credit_check.max_unpaid_deliveries', 'policy.int', {'max': 366, 'min': 1, 'value': '0'}),
      ('credit_check.overdue_delivery_grace_days', 'policy.int', {'max': 366, 'min': 0, 'value': '367'}),
      ('credit_check.suspended', 'policy.enum', {'allowed': 'allow, hold, cash_only, block', 'value': "'maybe'"})]),
    ('debtor_bad', 'head', '[[debtor_kind]]\nkind = "x"\nstyle = "loud"\nwhen = {}\nextra = 1\n[[debtor_kind]]\nid = "k"\nkind = "technical"\nwhen = { nope = [1], payments = [3, 1] }\n[[lever]]\nlever = "x"\nkinds = ["y"]\ngrades = ["z"]\nwhat = 1\n[debtor]\nhard_after_days = -1\nsoft = 1\n',
     [('debtor.hard_after_days', 'policy.int', {'max': 10000, 'min': 0, 'value': '-1'}),
      ('debtor.soft', 'policy.unknown_key', {'key': 'soft'}),
      ('debtor_kind[0].extra', 'policy.unknown_key', {'key': 'extra'}),
      ('debtor_kind[0].id', 'policy.missing_key', {'key': 'id'}),
      ('debtor_kind[0].kind', 'policy.enum',
       {'allowed': 'deliberate, technical, competitive, grievance, not_enough_evidence', 'value': "'x'"}),
      ('debtor_kind[0].style', 'policy.enum', {'allowed': 'soft, hard', 'value': "'loud'"}),
      ('debtor_kind[0].when', 'policy.table', {'value': '{}'}),
      ('debtor_kind[1].when.nope', 'policy.unknown_key', {'key': 'nope'}),
      ('debtor_kind[1].when.payments', 'policy.range', {'value': '[3, 1]'}),
      ('lever[0].grades[0]', 'policy.enum',
       {'allowed': 'not_due, in_collection, doubtful, bad, lost', 'value': "'z'"}),
      ('lever[0].kinds[0]', 'policy.enum',
       {'allowed': 'deliberate, technical, competitive, grievance, not_enough_evidence', 'value': "'y'"}),
      ('lever[0].lever', 'policy.enum',
       {'allowed': 'stop_rebates, price_by_term, smaller_deliveries, stop_best_line, offset_rebates, '
                   'overdue_interest, take_back_goods, preservation, hq_sues, fix_grievance',
        'value': "'x'"}),
      ('lever[0].what', 'policy.unknown_key', {'key': 'what'})]),
    ('warnings_bad', 'head', '[warnings]\nrecent_order_days = -1\nnope = 1\n',
     [('warnings.nope', 'policy.unknown_key', {'key': 'nope'}),
      ('warnings.recent_order_days', 'policy.int', {'max': 10000, 'min': 0, 'value': '-1'})]),
    ('dunning_not_list', 'top', 'dunning = 3\n',
     [('dunning', 'policy.rules_list', {})]),
    ('rule_item_not_table', 'top', 'dunning = [1]\n',
     [('dunning[0]', 'policy.table', {'value': '1'})]),
    ('credit_check_not_table', 'top', 'credit_check = 1\n',
     [('credit_check', 'policy.table', {'value': '1'})]),
    ('debtor_items_not_tables', 'top', 'debtor_kind = [1]\nlever = [2]\n',
     [('debtor_kind[0]', 'policy.table', {'value': '1'}), ('lever[0]', 'policy.table', {'value': '2'})]),
    ('warnings_not_table', 'top', 'warnings = 1\nx = 1\n',
     [('warnings', 'policy.table', {'value': '1'}), ('x', 'policy.unknown_key', {'key': 'x'})]),
    ('no_head', 'only', '',
     [('policy', 'policy.missing_key', {'key': 'policy'})]),
    ('head_bad', 'only', '[policy]\nid = ""\nversion = true\nname = "x"\nowner = 1\n',
     [('policy.id', 'policy.missing_key', {'key': 'id'}), ('policy.name', 'policy.label', {'value': "'x'"}),
      ('policy.owner', 'policy.unknown_key', {'key': 'owner'}),
      ('policy.version', 'policy.missing_key', {'key': 'version'})]),
]


@pytest.mark.parametrize(("name", "place", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_named_exactly(name, place, text, expected):
    whole = {"head": HEAD + text, "top": text + HEAD, "only": text}[place]
    assert problems(whole) == expected

GOOD = HEAD + '''
[settings]
month_end_grace_days = 0
grace_applies_to = []
paused_by_promise = ["dunning", "credit"]
act_on_non_workdays = true
statement_confirm_by_day = 366

[grades]
in_collection = 0
doubtful = 0
bad = 100000
lost = 100000
broken_promises_bump = 0

[credit_check]
over_limit = "allow"
cash_terms = "block"
max_unpaid_deliveries = 1
overdue_delivery_grace_days = 366

[[debtor_kind]]
id = "k1"
kind = "grievance"
when = { open_disputes = [1], payments = [0, 3] }

[[lever]]
lever = "preservation"
kinds = ["deliberate", "grievance"]
grades = ["bad", "lost"]

[debtor]
hard_after_days = 10000

[warnings]
recent_order_days = 0
drift_days = 10000

[[dunning]]
id = "a"
when = { has_overdue = true, promise_broken = false, customer_type = ["dealer", "export"], credit_status = ["normal"], statement = ["sent"], min_overdue = "1,000.50", day_of_month = [5], broken_promises = [0, 0] }
then = { stage = "s-1_x", kind = "call", assignee = "collector", channels = ["phone", "email"], every_working_days = 60, label = { zh = "打电话", en = "call" } }

[[measures]]
id = "b"
then = { stage = "letter", kind = "letter", letter = "lawyer", assignee = "gm", once = true, on_entry = { kind = "escalate", assignee = "supervisor" }, label = { zh = "律师函", en = "lawyer" } }

[[credit]]
id = "c"
then = { stage = "cut", kind = "limit_cut", assignee = "credit_manager", limit_cut_percent = 100, needs_approval = false, label = { zh = "降额", en = "cut" } }
'''


def test_a_good_file_is_read_as_written():
    from huikuan.domain.credit import Decision
    from huikuan.domain.debtor import DebtorKind, Lever, Style
    from huikuan.domain.ledger import ActionKind, Channel, LetterKind, RiskGrade, Role
    from huikuan.domain.policy.model import Ladder, StatementState

    p = parse_policy(GOOD, "good.toml")
    assert (p.id, p.version, p.name_zh, p.name_en, p.source) == ("p", "1", "甲", "A", "good.toml")
    s = p.settings
    assert (s.month_end_grace_days, s.grace_applies_to, s.paused_by_promise, s.act_on_non_workdays,
            s.statement_confirm_by_day, s.statement_prepare_by_day) == (
        0, (), (Ladder.DUNNING, Ladder.CREDIT), True, 366, 5)
    g = p.grades
    assert (g.in_collection, g.doubtful, g.bad, g.lost, g.broken_promises_bump) == (0, 0, 100_000, 100_000, 0)
    cc = p.credit_check
    assert (cc.over_limit, cc.cash_terms, cc.suspended, cc.max_unpaid_deliveries, cc.overdue_delivery_grace_days) == (
        Decision.ALLOW, Decision.BLOCK, Decision.HOLD, 1, 366)
    [k] = p.debtor.kinds
    assert (k.id, k.kind, k.style, dict(k.when)) == ("k1", DebtorKind.GRIEVANCE, Style.SOFT,
                                                     {"open_disputes": (1, None), "payments": (0, 3)})
    [lv] = p.debtor.levers
    assert (lv.lever, lv.kinds, lv.grades) == (Lever.PRESERVATION, (DebtorKind.DELIBERATE, DebtorKind.GRIEVANCE),
                                               (RiskGrade.BAD, RiskGrade.LOST))
    assert p.debtor.hard_after_days == 10_000
    assert (p.warnings.recent_order_days, p.warnings.drift_days, p.warnings.parts_min) == (0, 10_000, 2)
    a, b, c = p.rules
    assert (a.id, a.ladder, b.ladder, c.ladder) == ("a", Ladder.DUNNING, Ladder.MEASURES, Ladder.CREDIT)
    w = a.when
    assert (w.has_overdue, w.promise_broken, w.customer_types, w.credit_status, w.statement, w.min_overdue_minor,
            w.day_of_month, w.broken_promises, w.days_past_due) == (
        True, False, ("dealer", "export"), ("normal",), (StatementState.SENT,), 100_050, (5, None), (0, 0), None)
    t = a.then
    assert (t.stage, t.kind, t.assignee, t.channels, t.every_working_days, t.once, t.on_entry, t.needs_approval,
            t.letter, t.limit_cut_percent, t.label_zh, t.label_en) == (
        "s-1_x", ActionKind.CALL, Role.COLLECTOR, (Channel.PHONE, Channel.EMAIL), 60, False, None, False, None,
        None, "打电话", "call")
    t = b.then
    assert (t.kind, t.letter, t.assignee, t.once, t.every_working_days, t.needs_approval) == (
        ActionKind.LETTER, LetterKind.LAWYER, Role.GM, True, None, True)  # a letter needs approval by default
    assert (t.on_entry.kind, t.on_entry.assignee) == (ActionKind.ESCALATE, Role.SUPERVISOR)
    t = c.then
    assert (t.kind, t.limit_cut_percent, t.needs_approval, t.channels) == (ActionKind.LIMIT_CUT, 100, False, ())
    assert b.when.has_overdue is None and b.when.customer_types is None


def test_a_version_may_be_a_number():
    assert parse_policy(HEAD.replace('version = "1"', "version = 3"), "v.toml").version == "3"
