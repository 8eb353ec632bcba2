"""Every shipped template renders for every message stage and language of the default policy, with no
missing variable; the sandbox refuses Python internals; a missing variable or a syntax error fails."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest

from huikuan.adapters.templates import JinjaTemplates
from huikuan.domain.errors import InvalidInput
from huikuan.services.outbox import MESSAGE_CHANNELS, message_variables, sms_segments
from huikuan.services.policies import load_policies

POLICY = load_policies([], {}).for_customer(None, None)
WANTED = sorted({(r.then.stage, ch.value) for r in POLICY.rules for ch in r.then.channels if ch.value in MESSAGE_CHANNELS}
                | {(r.then.stage, "email") for r in POLICY.rules if r.then.letter}
                | {("statement_check", "email")})
ENGINE = JinjaTemplates()


def _vars(stage: str, lang: str) -> dict:
    cust = SimpleNamespace(name="成都蓉信商贸有限公司", code="KH1", collector="张伟", type="dealer")
    act = SimpleNamespace(id=7, stage=stage, amount_minor=12345678, currency="CNY", invoices=json.dumps(["A1", "A2"]),
                          params="{}")
    inv = {n: SimpleNamespace(due_on=date(2026, 10, d), open_minor=6172839, currency="CNY")
           for n, d in (("A1", 1), ("A2", 15))}
    return message_variables("演示贸易有限公司", cust, "王会计", act, inv, date(2026, 11, 23), lang,
                             "https://ar.example.com")


@pytest.mark.parametrize(("stage", "channel"), WANTED, ids=[f"{s}-{c}" for s, c in WANTED])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_stage_renders_in_both_languages(stage, channel, lang):
    src = ENGINE.shipped(stage, channel, lang)
    assert src is not None, f"no {channel} template for {stage} in {lang}"
    blocks = ENGINE.render(src, _vars(stage, lang))
    assert blocks["body"]
    if channel == "email":
        assert blocks["subject"] and "\n" not in blocks["subject"]
        assert "¥123,456.78" in blocks["subject"] + blocks["body"] or "statement" in stage
    else:
        assert blocks["code"]  # an approved provider template
        assert sms_segments(blocks["body"]) <= 2
    text = blocks["body"].lower()
    for threat in ("起诉你", "曝光", "家人", "shame", "arrest", "jail"):  # firm and factual, never threatening
        assert threat not in text
    if lang == "zh":
        assert not blocks["body"].isascii()


def test_the_sandbox_and_strict_variables():
    with pytest.raises(InvalidInput):
        ENGINE.render("{% block body %}{{ nobody_set_this }}{% endblock %}", {})
    with pytest.raises(InvalidInput):
        ENGINE.render("{% block body %}{{ amount }{% endblock %}", {"amount": 1})
    with pytest.raises(InvalidInput):  # no reaching Python internals from a template an admin typed
        ENGINE.render("{% block body %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}", {})


@pytest.mark.parametrize(("text", "n"), [
    ("", 0), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("催" * 70, 1), ("催" * 71, 2), ("催" * 134, 2), ("催" * 135, 3), ("a" * 69 + "催", 1), ("a" * 70 + "催", 2),
    ("😀" * 35, 1), ("😀" * 36, 2),
])
def test_sms_segments(text, n):
    assert sms_segments(text) == n
