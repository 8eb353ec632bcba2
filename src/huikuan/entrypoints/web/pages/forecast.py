"""Cash forecast (回款预测): expected collections per ISO week for the next 13 weeks with their 80 % interval,
as ``huikuan forecast`` computes them from the payment predictions, drawn as a chart (ECharts); and, once
forecast weeks have passed, what was forecast beside what came in, with the WAPE.

Who sees it: the roles that see the KPIs and the dashboard. The page computes the forecast when it is opened
(the model's columnar prediction: about half a second on the demo book) and does not store it: the stored
forecasts, the ones "forecast vs actual" compares, are those of ``huikuan forecast``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from .... import i18n
from ....services import prediction as svc
from ..app import NavItem
from ..auth import requires
from ..templating import render, request_lang
from .kpi import VIEWERS

router = APIRouter()
NAV = (NavItem("/forecast", "nav.forecast", tuple(str(r) for r in VIEWERS), order=17),)


@router.get("/forecast", dependencies=[requires(*VIEWERS)])
def show(request: Request, weeks: Annotated[int, Query(ge=1, le=104)] = 13) -> Response:
    f = svc.forecast(request.app.state.hk.app, weeks, store=False)
    lang = request_lang(request)
    chart = {"weeks": [w.week for w in f.weeks],
             "expected": [w.expected_minor / 100 for w in f.weeks],
             "low": [w.low_minor / 100 for w in f.weeks], "high": [w.high_minor / 100 for w in f.weeks],
             "names": [i18n.t(k, lang) for k in ("forecast.expected", "forecast.low", "forecast.high")],
             "past": {"weeks": [w for w, _s, _e, _a in f.past[-13:]],
                      "forecast": [e / 100 for _w, _s, e, _a in f.past[-13:]],
                      "actual": [a / 100 for _w, _s, _e, a in f.past[-13:]],
                      "names": [i18n.t(k, lang) for k in ("forecast.expected", "forecast.actual")]}}
    return render(request, "forecast.html", {
        "f": f, "weeks": weeks, "chart": json.dumps(chart, ensure_ascii=False),
        "notices": [i18n.t(k, lang, **p) for k, p in f.notices],
    })
