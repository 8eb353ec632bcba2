"""金额大写: the PBoC writing rules, table by table, and a round trip over every size of amount."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.domain.capitals import LIMIT_MINOR, amount_in_capitals

# The examples of 《支付结算办法》 附件一 and the cases around every zero rule.
TABLE = [
    (12345678, "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),  # the example
    (140950, "壹仟肆佰零玖元伍角"),
    (600714, "陆仟零柒元壹角肆分"),
    (168032, "壹仟陆佰捌拾元零叁角贰分"),
    (10700053, "壹拾万柒仟元零伍角叁分"),
    (32504, "叁佰贰拾伍元零肆分"),
    (0, "零元整"),
    (1, "壹分"),
    (5, "伍分"),
    (50, "伍角"),
    (55, "伍角伍分"),
    (100, "壹元整"),
    (105, "壹元零伍分"),
    (150, "壹元伍角"),
    (1000, "壹拾元整"),
    (1005, "壹拾元零伍分"),
    (1050, "壹拾元零伍角"),
    (1100, "壹拾壹元整"),
    (10000, "壹佰元整"),
    (10100, "壹佰零壹元整"),
    (100100, "壹仟零壹元整"),
    (101000, "壹仟零壹拾元整"),
    (1000000, "壹万元整"),
    (1000100, "壹万零壹元整"),
    (1005000, "壹万零伍拾元整"),
    (1010000, "壹万零壹佰元整"),
    (1100000, "壹万壹仟元整"),
    (10000000, "壹拾万元整"),
    (100000000, "壹佰万元整"),
    (1000000000, "壹仟万元整"),
    (1000100000, "壹仟万壹仟元整"),
    (10000000000, "壹亿元整"),
    (10000000100, "壹亿零壹元整"),
    (10001000000, "壹亿零壹万元整"),
    (10000100000, "壹亿零壹仟元整"),  # a whole 万 group of zeros: one 零
    (10010000000, "壹亿零壹拾万元整"),
    (100000000000, "壹拾亿元整"),
    (100000000000000, "壹万亿元整"),
    (1000000000000000, "壹拾万亿元整"),
    (999999999999999999, "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    (-12345, "负壹佰贰拾叁元肆角伍分"),
]


@pytest.mark.parametrize(("minor", "words"), TABLE)
def test_table(minor: int, words: str) -> None:
    assert amount_in_capitals(minor) == words


def test_rejects_floats_bools_and_overflow() -> None:
    with pytest.raises(TypeError):
        amount_in_capitals(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        amount_in_capitals(True)
    with pytest.raises(ValueError):
        amount_in_capitals(LIMIT_MINOR)


DIG = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def _read_group(s: str) -> int:
    n, d = 0, 0
    for ch in s:
        if ch in DIG:
            d = DIG[ch]
        else:
            n += d * SMALL[ch]
            d = 0
    return n + d


def parse_back(words: str) -> int:
    """An independent reader of 金额大写 (tests only)."""
    m = re.fullmatch(r"(?:(.+)元)?(?:零)?(?:(.)角)?(?:零)?(?:(.)分)?(整)?", words)
    assert m, words
    yuan = 0
    if m.group(1):
        rest = m.group(1)
        for unit, mult in (("万亿", 10 ** 12), ("亿", 10 ** 8), ("万", 10 ** 4)):
            if unit in rest:
                head, rest = rest.split(unit, 1)
                yuan += _read_group(head.replace("零", "")) * mult
        yuan += _read_group(rest.replace("零", "")) if rest else 0
    return yuan * 100 + (DIG[m.group(2)] * 10 if m.group(2) else 0) + (DIG[m.group(3)] if m.group(3) else 0)


@given(st.integers(min_value=0, max_value=LIMIT_MINOR - 1))
def test_round_trip_and_zero_rules(minor: int) -> None:
    words = amount_in_capitals(minor)
    assert parse_back(words) == minor
    assert "零零" not in words
    if minor:
        assert not re.search(r"零(元|万|亿|整)", words), words  # a 零 never stands before a unit or at the end
    assert words.endswith("整") == (minor % 100 == 0)  # 整 exactly when the amount ends at 元
    assert not words.startswith("拾") and "零拾" not in words
    if minor % 100 and minor >= 100 and minor % 10 and (minor // 10) % 10 == 0:
        assert "元零" in words  # 角 0 and 分 not: the 零 must be written
