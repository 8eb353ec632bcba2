"""A reason names a feature without a value "<feature>:none" (shown as 暂无记录 / no record yet), never "= -1":
``reason_name`` row by row and ``prediction_fast.reason_names`` over a matrix agree, and a delay of −1 (paid a
day early) stays a value when the customer has history."""

from __future__ import annotations

import numpy as np

from huikuan.domain.prediction import ABSENT, FEATURES, reason_name
from huikuan.services.prediction import reason_text
from huikuan.services.prediction_fast import reason_names

HIST_N = FEATURES.index("hist_n")


def test_no_value_and_a_real_minus_one():
    assert reason_name("hist_mean_delay", ABSENT, 0.0) == "hist_mean_delay:none"
    assert reason_name("hist_mean_delay", ABSENT, 1.0) == "hist_mean_delay"  # one invoice, paid a day early
    assert reason_name("hist_late_frac", ABSENT, 5.0) == "hist_late_frac:none"
    assert reason_name("hist_late_frac", 0.0, 0.0) == "hist_late_frac"
    assert reason_name("days_to_due", -1.0, 0.0) == "days_to_due"  # due yesterday: a value
    assert reason_name("electronic", ABSENT, 5.0) == "electronic:none"  # billing channel unknown
    assert reason_name("electronic", 0.0, 5.0) == "electronic"  # paper
    assert reason_text(("electronic:none", ABSENT, 0.2), "zh") == "账单方式：暂无记录 ↑"
    assert reason_text(("hist_mean_delay:none", ABSENT, 0.4), "zh") == "客户平均迟付天数：暂无记录 ↑"
    assert reason_text(("hist_mean_delay", ABSENT, -0.4), "zh") == "客户平均迟付天数 = -1 天 ↓"
    assert reason_text(("hist_mean_delay:none", ABSENT, 0.0), "en").endswith(": no record yet")


def test_the_matrix_names_what_the_rows_name():
    rng = np.random.default_rng(7)
    n = 400
    x = rng.choice([ABSENT, 0.0, 1.0, 2.5, -3.0], size=(n, len(FEATURES)))
    x[:, HIST_N] = rng.choice([0.0, 1.0, 4.0], size=n)
    top = np.stack([rng.permutation(len(FEATURES))[:3] for _ in range(n)])
    values = np.take_along_axis(x, top, axis=1)
    got = reason_names(x, top, values)
    want = [[reason_name(FEATURES[k], x[i, k], x[i, HIST_N]) for k in top[i]] for i in range(n)]
    assert got.tolist() == want
    assert any(":none" in f for row in want for f in row) and any(":none" not in f for row in want for f in row)


def test_each_value_reads_in_its_unit():
    """A share as a percentage, days as days, the amount as an amount (not its logarithm), yes/no, times."""
    zh = {f: reason_text((f, v, 1.0), "zh") for f, v in (
        ("surv_p_late", 0.92), ("hist_mean_delay", 11.19), ("log_amount", 13.62), ("amount_rel", 0.72),
        ("open_overdue_count", 2.0), ("disputed_now", 1.0), ("electronic", 0.0), ("hist_late_frac", 0.125))}
    assert zh["surv_p_late"] == "按客户近期付款推算的逾期概率 = 92% ↑"
    assert zh["hist_mean_delay"] == "客户平均迟付天数 = 11.2 天 ↑"
    assert zh["log_amount"] == "发票金额 = 822,414 ↑"  # log1p(822,414 yuan) = 13.62
    assert zh["amount_rel"] == "金额/客户平均 = 0.72 倍 ↑"
    assert zh["open_overdue_count"] == "客户其他逾期发票数 = 2 ↑"
    assert zh["disputed_now"] == "发票有未决争议 = 是 ↑" and zh["electronic"] == "账单方式 = 纸质 ↑"
    assert zh["hist_late_frac"] == "客户逾期比例 = 12% ↑"  # 12.5 % rounds half to even
    assert reason_text(("hist_mean_dtp", 30.0, -0.1), "en") == "customer's mean days to pay = 30 days ↓"
    assert reason_text(("electronic", 1.0, -0.1), "en") == "billing channel = electronic ↓"
