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
    assert reason_text(("electronic:none", ABSENT, 0.2), "zh") == "账单方式（电子 1、纸质 0）：暂无记录 ↑"
    assert reason_text(("hist_mean_delay:none", ABSENT, 0.4), "zh") == "客户平均迟付天数：暂无记录 ↑"
    assert reason_text(("hist_mean_delay", ABSENT, -0.4), "zh") == "客户平均迟付天数 = -1 ↓"
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
