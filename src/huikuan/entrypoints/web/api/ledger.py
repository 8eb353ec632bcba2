"""Ledger API: push customers, invoices and payments from the ERP (JSON arrays, the importer's validation
and row report, idempotent by number), read a customer (the ``customer show --json`` shape), aging."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field

from ....domain.aging import DEFAULT_BUCKETS, bucket_labels
from ....domain.errors import InvalidInput
from ....domain.ledger import Role
from ....services import collect
from ....services.import_ import import_rows
from ....services.reporting import aging
from ....services.users import Principal
from ..auth import current_user, requires
from ..paging import decode_cursor, encode_cursor
from .schemas import ERRORS, Page

router = APIRouter(tags=["ledger"], responses=ERRORS)
READERS = tuple(r for r in Role if r is not Role.ADMIN)
Cell = str | int | float | bool | None
Rows = Annotated[list[dict[str, Cell]], Body(min_length=1, max_length=50_000)]


class Problem(BaseModel):
    source: str
    where: str
    code: str
    message: str


class ImportResult(BaseModel):
    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[Problem] = Field(default_factory=list)


def _push(request: Request, user: Principal, kind: str, rows: list[dict[str, Cell]], skip_invalid: bool) -> ImportResult:
    cells: list[dict[str, object]] = [dict(r) for r in rows]
    from ....services import audit  # the importer audits the push in its own transaction, like an upload

    app = request.app.state.hk.app
    report = import_rows(app, kind, cells, source="api", skip_invalid=skip_invalid,
                         by=audit.By(user.name, app.clock.now()))
    d = report.as_dict(user.lang)
    return ImportResult(kind=kind, rows=report.rows, inserted=report.inserted, updated=report.updated,
                        unchanged=report.unchanged, rejected=report.rejected,
                        problems=[Problem(source=p["source"], where=p["where"], code=p["code"], message=p["message"])
                                  for p in d["problems"]])


_PUSH_DOC = ("Rows keyed by the importer's column names (Chinese or English headers); every row is validated "
             "and nothing is written when one is invalid (422 with the row report in `error.problems`), unless "
             "`skip_invalid=true`. Idempotent by number: pushing the same rows again changes nothing.")


@router.post("/customers", dependencies=[requires(Role.FINANCE)], response_model=ImportResult, description=_PUSH_DOC)
def push_customers(request: Request, rows: Rows, user: Annotated[Principal, Depends(current_user)],
                   skip_invalid: bool = False) -> ImportResult:
    """导入客户 / push customers."""
    return _push(request, user, "customers", rows, skip_invalid)


@router.post("/invoices", dependencies=[requires(Role.FINANCE)], response_model=ImportResult, description=_PUSH_DOC)
def push_invoices(request: Request, rows: Rows, user: Annotated[Principal, Depends(current_user)],
                  skip_invalid: bool = False) -> ImportResult:
    """导入应收发票 / push invoices."""
    return _push(request, user, "invoices", rows, skip_invalid)


@router.post("/payments", dependencies=[requires(Role.FINANCE)], response_model=ImportResult, description=_PUSH_DOC)
def push_payments(request: Request, rows: Rows, user: Annotated[Principal, Depends(current_user)],
                  skip_invalid: bool = False) -> ImportResult:
    """导入收款 / push payments."""
    return _push(request, user, "payments", rows, skip_invalid)


@router.get("/customers/{code}", dependencies=[requires(*READERS)])
def get_customer(request: Request, code: str, user: Annotated[Principal, Depends(current_user)]) -> dict[str, Any]:
    """客户概况，与 `huikuan customer show --json` 相同 / a customer, as `customer show --json` prints it.
    A customer outside the caller's scope answers 404."""
    v = collect.customer_view(request.app.state.hk.app, code, scope=user.scope)
    return collect.customer_document(v, _debtor(request, code, v.as_of, user))


def _debtor(request: Request, code: str, as_of: date, user: Principal) -> dict[str, Any]:
    """The debtor section, as ``customer show --json`` prints it (kind, style, approach, evidence, levers)."""
    from .... import i18n
    from ....services import risk

    p = risk.debtor_profile(request.app.state.hk.app, code, as_of, scope=user.scope)
    lang = user.lang
    c = p.classification
    return {
        "kind": c.kind.value if c else None,
        "style": c.style.value if c else None,
        "rule": c.rule_id if c else None,
        "approach": i18n.t(f"debtor.approach.{c.kind.value}", lang) if c else None,
        "evidence": [{"fact": k, "value": val, "text": risk.evidence_text(k, val, lang)} for k, val in c.evidence]
        if c else [],
        "grade": p.grade.value,
        "levers": [{"lever": lv.value, "text": i18n.t(f"lever.{lv.value}", lang),
                    "done": [{"on": d.done_on.isoformat(), "by": d.by} for d in p.done if d.lever == lv.value]}
                   for lv in p.levers],
    }


class AgingItem(BaseModel):
    key: str
    name: str
    currency: str
    buckets: dict[str, int]
    total_minor: int
    overdue_minor: int
    disputed_minor: int


@router.get("/aging", dependencies=[requires(Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER,
                                             Role.SALES_MANAGER, Role.MANAGER, Role.GM, Role.OWNER, Role.FINANCE,
                                             Role.AUDITOR)], response_model=Page[AgingItem])
def get_aging(request: Request, by: Annotated[str, Query(pattern="^(customer|collector|segment|grade)$")] = "customer",
              as_of: date | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
              cursor: Annotated[str | None, Query(max_length=80)] = None) -> Page[AgingItem]:
    """账龄（金额为分）/ aging in minor units, largest overdue first (paged)."""
    if as_of is not None and not date(2000, 1, 1) <= as_of <= date(2100, 12, 31):
        raise InvalidInput("input.date", field="as_of", value=as_of.isoformat())
    report = aging(request.app.state.hk.app, as_of, by=by)
    labels = bucket_labels(report.buckets or DEFAULT_BUCKETS, "en")
    start = decode_cursor(cursor)
    offset = start[1] if start else 0
    rows = report.rows[offset:offset + limit]
    items = [AgingItem(key=r.key, name=r.name, currency=r.currency, buckets=dict(zip(labels, r.amounts, strict=True)),
                       total_minor=r.total, overdue_minor=r.overdue, disputed_minor=r.disputed) for r in rows]
    more = offset + limit < len(report.rows)
    return Page[AgingItem](items=items, next=encode_cursor(0, offset + limit) if more else None)
