"""The workbench's cash forecast page (/forecast) on both databases: the weeks as ``huikuan forecast`` computes
them, adding up to the open total exactly, the chart's data, the number of weeks, and who may see it."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from huikuan.services import prediction


def _money(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", ""))


def _chart(html: str) -> dict[str, Any]:
    m = re.search(r"data-chart='([^']+)'", html)
    assert m, "no chart data on the page"
    return json.loads(m.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))


def test_the_weeks_add_up_to_the_open_total_and_match_the_cli(client_for, ledger):
    c = client_for("owner")
    r = c.get("/forecast")
    assert r.status_code == 200
    html = r.text
    table = re.search(r'data-testid="forecast-weeks">(.*?)</table>', html, re.S)
    assert table
    cells = [_money(x) for x in re.findall(r'<t[hd] class="num">(¥[-\d,.]+)</t[hd]>', table.group(1))]
    weeks, later, total = cells[:-2], cells[-2], cells[-1]
    expected = weeks[0::3]
    assert len(expected) == 13 and sum(expected) + later == total
    f = prediction.forecast(ledger, 13, store=False)
    assert [Decimal(w.expected_minor) / 100 for w in f.weeks] == expected
    assert total == Decimal(f.open_minor) / 100 > 0
    assert "客户历史规则" in html  # no model trained: the rule, and the page says so
    chart = _chart(html)
    assert len(chart["weeks"]) == 13 and chart["expected"] == [float(x) for x in expected]
    assert all(lo <= e <= hi for lo, e, hi in zip(chart["low"], chart["expected"], chart["high"], strict=True))
    assert "/static/forecast.js" in html and "/static/echarts.min.js" in html


def test_weeks_and_a_bad_number_of_weeks(client_for):
    c = client_for("finance")
    html = c.get("/forecast?weeks=4").text
    assert len(_chart(html)["weeks"]) == 4 and "未来 4 周预计回款" in html
    assert c.get("/forecast?weeks=0").status_code == 422
    assert c.get("/forecast?weeks=105").status_code == 422


@pytest.mark.parametrize(("roles", "status"), [(("collector",), 403), (("sales",), 403), (("credit_manager",), 200),
                                                (("auditor",), 200)])
def test_who_sees_it(client_for, roles, status):
    c = client_for(*roles, person="张伟")
    assert c.get("/forecast", follow_redirects=False).status_code == status
    assert ('href="/forecast"' in c.get("/me").text) == (status == 200)
