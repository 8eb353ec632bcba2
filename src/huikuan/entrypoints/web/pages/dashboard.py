"""Dashboard: overdue total and share, aging by bucket (ECharts), the top 20 overdue customers, promises
due this week, approvals waiting, the last run and money collected this month — each figure links to
the list behind it."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ....domain.aging import bucket_labels
from ....domain.ledger import Role
from ....services.reporting import dashboard
from ..app import NavItem
from ..auth import requires
from ..templating import render, request_lang

router = APIRouter()
VIEWERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER,
           Role.GM, Role.OWNER, Role.FINANCE, Role.AUDITOR)
NAV = (NavItem("/dashboard", "nav.dashboard", tuple(str(r) for r in VIEWERS), order=15),)


@router.get("/dashboard", dependencies=[requires(*VIEWERS)])
def show(request: Request) -> Response:
    d = dashboard(request.app.state.hk.app)
    labels = bucket_labels(d.labels_buckets, request_lang(request))
    chart = {"labels": labels, "values": [round(x / 100, 2) for x in d.buckets]}
    return render(request, "dashboard.html", {"d": d, "labels": labels, "chart": json.dumps(chart, ensure_ascii=False)})
