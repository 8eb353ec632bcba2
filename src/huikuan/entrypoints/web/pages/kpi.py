"""KPIs (回款指标): the month's DSO, CEI, roll rates … against their targets, by segment, collector or risk
grade, with ECharts charts of the DSO trend, the roll rates and the aging structure, and the same CSV/Excel
download as ``huikuan kpi``.

Who sees it: the roles that judge collection as a whole — supervisors, credit and sales managers, managers,
the GM, the owner, finance and the auditor. Collectors and salespeople do not: a collector's figures are a
row of ``by=collector`` that their supervisor reviews with them, and the company's figures are not theirs
to read (docs/metrics.md)."""

from __future__ import annotations

import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from .... import i18n
from ....adapters import kpi_export
from ....domain.aging import DEFAULT_BUCKETS, bucket_labels
from ....domain.errors import InvalidInput
from ....domain.kpi import LOWER_IS_BETTER, METRICS, TARGET_METRICS, parse_month
from ....domain.ledger import Role
from ....services import kpi as kpi_svc
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..templating import render, request_lang

router = APIRouter()
VIEWERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER,
           Role.GM, Role.OWNER, Role.FINANCE, Role.AUDITOR)
# who may set a month's targets on the page: those who answer for collection, not finance or the auditor
SETTERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER, Role.GM,
           Role.OWNER)
NAV = (NavItem("/kpi", "nav.kpi", tuple(str(r) for r in VIEWERS), order=16),)
TREND_MONTHS = 6
Month = Annotated[str | None, Query(max_length=7, pattern=r"^(\d{4}-\d{2})?$")]
By = Annotated[Literal["", "segment", "collector", "grade"] | None, Query()]


def _charts(rep: kpi_svc.KpiReport, trend: list[kpi_svc.TrendPoint], lang: str) -> dict[str, Any]:
    labels = bucket_labels(DEFAULT_BUCKETS, lang)
    return {
        "dso": {"months": [p.month for p in trend],
                "series": [{"name": kpi_export.label("kpi.metric.", m, lang),
                            "data": [None if getattr(p, m) is None else round(getattr(p, m), 1) for p in trend]}
                           for m in ("dso", "best_possible_dso")]},
        "roll": {"labels": [f"{a}\n→ {b}" for a, b in zip(labels, labels[1:], strict=False)],
                 "values": [None if r is None else round(r, 1) for r in rep.company.kpis.roll_rates]},
        "aging": {"months": [p.month for p in trend], "labels": labels,
                  "values": [[round(p.aging[b] / 100, 2) for p in trend] for b in range(len(labels))]},
    }


@router.get("/kpi", dependencies=[requires(*VIEWERS)])
def show(request: Request, month: Month = None, by: By = None, saved: Annotated[str | None, Query(max_length=200)] = None,
         error: str | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    app = request.app.state.hk.app
    lang = request_lang(request)
    rep = kpi_svc.kpi_report(app, month or None, by or None)
    trend = kpi_svc.kpi_trend(app, rep.month, TREND_MONTHS)
    head, rows = kpi_export.report_rows(rep, lang)
    checks = [(kpi_export.group_label(rep.by, g.key, lang), c) for g in [rep.company, *rep.groups] for c in g.targets]
    company_targets = {c.metric: c for c in rep.company.targets}
    return render(request, "kpi.html", {
        "rep": rep, "head": head, "rows": rows, "metrics": METRICS, "checks": checks, "targets": company_targets,
        "target_metrics": TARGET_METRICS, "lower_better": LOWER_IS_BETTER, "by": rep.by or "",
        "charts": json.dumps(_charts(rep, trend, lang), ensure_ascii=False),
        "label": lambda prefix, value: kpi_export.label(prefix, value, lang),
        "setters": [str(r) for r in SETTERS], "keys": kpi_svc.scope_keys(app), "saved": saved, "error": error,
        "form": form or {"month": rep.month, "scope": "company", "key": "", "metric": TARGET_METRICS[0], "value": ""},
    }, status=status)


@router.post("/kpi/targets", dependencies=[requires(*SETTERS)])
def set_target(request: Request, user: Annotated[Principal, Depends(current_user)],
               month: Annotated[str, Form(max_length=7)], metric: Annotated[str, Form(max_length=40)],
               value: Annotated[str, Form(max_length=20)],
               scope: Annotated[Literal["company", "segment", "collector"], Form()] = "company",
               key: Annotated[str, Form(max_length=60)] = "") -> Response:
    """Set (or replace) a month's target, as ``huikuan targets set`` does; a bad value comes back on the page
    with the form as it was filled in."""
    lang = request_lang(request)
    form = {"month": month, "scope": scope, "key": key, "metric": metric, "value": value}
    try:
        try:
            number = float(value.strip().rstrip("%").strip())
        except ValueError as e:
            raise InvalidInput("input.number", field=i18n.t("kpi.page.value", lang), value=value) from e
        if scope != "company" and not key.strip():
            raise InvalidInput("input.required", field=i18n.t("kpi.page.scope_key", lang))
        kpi_svc.set_target(request.app.state.hk.app, month, metric, number,
                           segment=key.strip() if scope == "segment" else None,
                           collector=key.strip() if scope == "collector" else None, actor=user.name)
    except InvalidInput as e:
        try:
            parse_month(month)
        except InvalidInput:
            month = ""  # the page shows last month; the form keeps what was typed
        return show(request, month or None, None, None, i18n.error_text(e, lang), form, 422)
    what = i18n.t("kpi.page.target_saved", lang, month=month,
                  scope=key.strip() if scope != "company" else i18n.t("kpi.company", lang),
                  metric=i18n.t(f"kpi.metric.{metric}", lang), value=f"{number:g}")
    from urllib.parse import urlencode

    return RedirectResponse("/kpi?" + urlencode({"month": month, "saved": what}), status_code=303)


@router.get("/kpi/export", dependencies=[requires(*VIEWERS)])
def export(request: Request, format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",  # noqa: A002 — the URL's word
           month: Month = None, by: By = None) -> Response:
    """The same file as ``huikuan kpi --format csv|xlsx``, in the reader's language."""
    rep = kpi_svc.kpi_report(request.app.state.hk.app, month or None, by or None)
    lang = request_lang(request)
    name = f"kpi-{rep.month}{'-' + rep.by if rep.by else ''}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(kpi_export.csv_text(rep, lang).encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                        headers=headers)
    buf = io.BytesIO()
    kpi_export.write_xlsx(rep, lang, buf)
    return Response(buf.getvalue(), headers=headers,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
