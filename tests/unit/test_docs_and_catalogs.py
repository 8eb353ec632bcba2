"""Documentation and catalogs keep up with the code: every policy key and action kind is documented;
every enum member a person can see has a Chinese and an English name; both catalogs have the same keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from huikuan.domain.ledger import (
    ActionKind,
    Channel,
    CreditStatus,
    CustomerType,
    DisputeCategory,
    Excuse,
    Outcome,
    RiskGrade,
    Role,
)
from huikuan.domain.policy.load import GRADE_KEYS, SETTINGS_KEYS, THEN_KEYS, WHEN_KEYS
from huikuan.i18n import catalog

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(WHEN_KEYS | THEN_KEYS | SETTINGS_KEYS | GRADE_KEYS))
def test_every_policy_key_is_documented(key):
    assert f"| `{key}` |" in DOC


@pytest.mark.parametrize("kind", [k.value for k in ActionKind])
def test_every_action_kind_is_documented(kind):
    assert f"| `{kind}` |" in DOC


GLOSSARY = [("kind", ActionKind), ("role", Role), ("channel", Channel), ("outcome", Outcome), ("excuse", Excuse),
            ("ctype", CustomerType), ("credit", CreditStatus), ("grade", RiskGrade), ("dispute", DisputeCategory)]


@pytest.mark.parametrize(("prefix", "enum"), GLOSSARY)
def test_every_member_has_a_name_in_both_languages(prefix, enum):
    zh, en = catalog("zh"), catalog("en")
    for m in enum:
        key = f"{prefix}.{m.value}"
        assert zh.get(key) and en.get(key), key
        assert not zh[key].isascii(), key  # the Chinese name is Chinese


def test_grades_carry_the_seed_terms():
    zh = catalog("zh")
    assert [zh[f"grade.{g.value}"] for g in RiskGrade] == ["未收款", "催收款", "准呆账", "呆账", "死账"]


def test_both_catalogs_have_the_same_keys():
    assert set(catalog("zh")) == set(catalog("en"))


def test_every_excuse_has_a_suggested_answer():
    for e in Excuse:
        assert catalog("zh").get(f"excuse.{e.value}.answer")
