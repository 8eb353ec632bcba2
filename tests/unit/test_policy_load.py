"""Policy files: the shipped ones load; a bad file reports every problem with file and key."""

from __future__ import annotations

import pytest

from huikuan.domain.errors import PolicyInvalid
from huikuan.domain.policy.load import parse_policy
from huikuan.domain.policy.model import Ladder
from huikuan.services.policies import SHIPPED, load_policies

GOOD_HEAD = '[policy]\nid = "p"\nversion = "1"\nname = { zh = "甲", en = "A" }\n'


def test_shipped_default_carries_every_ladder():
    p = load_policies().policies["default"]
    assert {r.ladder for r in p.rules} == set(Ladder)
    assert p.settings.month_end_grace_days == 10 and p.settings.grace_applies_to == (Ladder.CREDIT,)


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(PolicyInvalid) as e:
        parse_policy(text, "dealer.toml")
    assert all(p.source == "dealer.toml" for p in e.value.problems)
    return [(p.where, p.code) for p in e.value.problems]


def test_every_problem_is_named_by_key():
    text = GOOD_HEAD + """
[settings]
month_end_grace_days = "ten"
colour = 1

[[dunning]]
id = "a"
when = { days_past_due = [9, 3] }
then = { stage = "s1", kind = "call", assignee = "collector", label = { zh = "x", en = "x" } }

[[dunning]]
id = "a"
when = { working_days_past_due = "soon", weather = "rain" }
then = { stage = "s1", kind = "shout", assignee = "nobody", channels = ["pigeon"], label = { zh = "x", en = "x" } }
"""
    got = problems(text)
    assert ("settings.month_end_grace_days", "policy.int") in got
    assert ("settings.colour", "policy.unknown_key") in got
    assert ("dunning[0].when.days_past_due", "policy.range") in got
    assert ("dunning[1].id", "policy.duplicate_id") in got
    assert ("dunning[1].when.working_days_past_due", "policy.range") in got
    assert ("dunning[1].when.weather", "policy.unknown_key") in got
    assert ("dunning[1].then.kind", "policy.enum") in got
    assert ("dunning[1].then.assignee", "policy.enum") in got
    assert ("dunning[1].then.channels[0]", "policy.enum") in got


def test_missing_then_and_bad_toml():
    assert ("credit[0].then", "policy.missing_key") in problems(GOOD_HEAD + '[[credit]]\nid = "x"\n')
    assert problems("[policy\n") == [("", "policy.toml")]


def test_a_bad_file_in_the_policy_dir_stops_the_whole_set(tmp_path):
    (tmp_path / "broken.toml").write_text(GOOD_HEAD + "[[credit]]\nid = 3\n", encoding="utf-8")
    with pytest.raises(PolicyInvalid) as e:
        load_policies([tmp_path])
    assert e.value.problems[0].source == "broken.toml"


def test_a_company_policy_dir_adds_policies(tmp_path):
    text = (SHIPPED / "default.toml").read_text(encoding="utf-8").replace('id = "default"', 'id = "strict"', 1)
    (tmp_path / "strict.toml").write_text(text, encoding="utf-8")
    ps = load_policies([tmp_path], {"政府": "strict"})
    assert ps.for_customer(None, "政府").id == "strict" and ps.for_customer(None, "华南").id == "default"
