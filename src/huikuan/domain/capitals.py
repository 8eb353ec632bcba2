"""金额大写: an amount of money in Chinese financial capitals, as letters, cheques and statements write it.

Follows the People's Bank of China 《支付结算办法》 writing rules (附件 一), with the examples it gives:

- ¥1,409.50  → 壹仟肆佰零玖元伍角          (a 零 inside the number is written once)
- ¥6,007.14  → 陆仟零柒元壹角肆分
- ¥1,680.32  → 壹仟陆佰捌拾元零叁角贰分     (元 digit 0, 角 not 0: one 零)
- ¥107,000.53 → 壹拾万柒仟元零伍角叁分
- ¥325.04    → 叁佰贰拾伍元零肆分           (角 0, 分 not 0: 零 must be written)
- an amount that ends at 元 gets 整; after 角 整 may be left out, and is; after 分 never.
- 拾 always has its digit (壹拾, not 拾), so nothing can be written in front of it.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")
LIMIT_MINOR = 10 ** 16 * 100  # below 1 亿亿 元


def _group(n: int) -> str:
    """0 < n < 10000, zeros inside collapsed to one 零, trailing zeros dropped."""
    digits = [n // 1000 % 10, n // 100 % 10, n // 10 % 10, n % 10]
    out: list[str] = []
    zero = False
    for i, d in enumerate(digits):
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + SMALL[3 - i])
    return "".join(out)


def yuan_capitals(yuan: int) -> str:
    """The whole-yuan part without 元 ("" for 0). Between 4-digit groups one 零 stands for the zeros
    when the lower group has a leading zero (壹万零伍拾) or a whole group is zero (壹亿零壹仟)."""
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10_000)
        yuan //= 10_000
    out: list[str] = []
    skipped = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            skipped = bool(out)
            continue
        if out and (g < 1000 or skipped):
            out.append("零")
        skipped = False
        out.append(_group(g) + GROUPS[i])
    return "".join(out)


def amount_in_capitals(minor: int) -> str:
    """Fen (integer minor units of CNY) → 金额大写, e.g. 12345678 → 壹拾贰万叁仟肆佰伍拾陆元柒角捌分."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("amount_in_capitals takes integer fen")
    if minor < 0:
        return "负" + amount_in_capitals(-minor)
    if minor >= LIMIT_MINOR:
        raise ValueError("amount too large for 金额大写")
    yuan, jiao, fen = minor // 100, minor // 10 % 10, minor % 10
    head = yuan_capitals(yuan)
    if not head and not jiao and not fen:
        return "零元整"
    out = head + "元" if head else ""
    if not jiao and not fen:
        return out + "整"
    if jiao:
        if head and yuan % 10 == 0:
            out += "零"
        out += DIGITS[jiao] + "角"
    elif head:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out
