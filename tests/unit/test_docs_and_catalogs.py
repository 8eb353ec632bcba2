"""Documentation and catalogs keep up with the code: every policy key and action kind is documented;
every enum member a person can see has a Chinese and an English name; both catalogs have the same keys;
no key is defined twice in one language."""

from __future__ import annotations

import ast
from collections import defaultdict
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
from huikuan.i18n import LANGS, LOCALE_DIR, catalog

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


def _msgids(po: Path) -> list[str]:
    """Every msgid of a .po file in order, repeats included (a catalog reader would merge them)."""
    ids: list[str] = []
    current: list[str] | None = None
    for line in po.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[len("msgid "):])]
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif current is not None:
            ids.append("".join(current))
            current = None
    if current is not None:
        ids.append("".join(current))
    return [i for i in ids if i]  # the header's empty msgid


@pytest.mark.parametrize("lang", sorted(LANGS.values()))
def test_no_key_is_defined_twice_in_one_language(lang):
    """All .po files of a language are read into one catalog: a key in two files (or twice in one) means
    one text silently overrides the other, as web.po's ``col.open`` once changed the CLI's headers.
    Where two callers need different texts, they need two keys."""
    files = sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))
    assert len(files) > 5
    where: dict[str, list[str]] = defaultdict(list)
    for po in files:
        for msgid in _msgids(po):
            where[msgid].append(po.name)
    assert len(where) == len(catalog("zh" if lang != "en" else "en"))  # the parser sees what the catalog sees
    assert {k: v for k, v in where.items() if len(v) > 1} == {}


def test_every_excuse_has_a_suggested_answer():
    for e in Excuse:
        assert catalog("zh").get(f"excuse.{e.value}.answer")
