"""Payments (finance): record a receipt against a customer (allocated oldest-first or to a named invoice)
and see the latest ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from .... import i18n
from ....domain.errors import InvalidInput
from ....domain.ledger import PaymentMethod, Role
from ....domain.money import Money
from ....domain.parsing import parse_date
from ....services import collect
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..templating import render, request_lang

router = APIRouter()
READ = (Role.FINANCE, Role.MANAGER, Role.GM, Role.OWNER, Role.CREDIT_MANAGER, Role.AUDITOR)
NAV = (NavItem("/payments", "nav.payments", tuple(str(r) for r in READ), order=40),)


def _page(request: Request, **extra: object) -> Response:
    rows = collect.recent_payments(request.app.state.hk.app)
    return render(request, "payments.html", {"rows": rows, "methods": [m.value for m in PaymentMethod],
                                             "values": {}, **extra}, status=int(str(extra.pop("status", 200))))


@router.get("/payments", dependencies=[requires(*READ)])
def payments(request: Request, user: Annotated[Principal, Depends(current_user)]) -> Response:
    return _page(request, can_book=user.has(Role.FINANCE))


@router.post("/payments", dependencies=[requires(Role.FINANCE)])
def book(request: Request, user: Annotated[Principal, Depends(current_user)],
         customer: Annotated[str, Form(min_length=1, max_length=60)], amount: Annotated[str, Form(max_length=30)],
         paid_on: Annotated[str, Form(max_length=30)], method: Annotated[str, Form(max_length=30)] = "transfer",
         invoice: Annotated[str, Form(max_length=60)] = "") -> Response:
    app = request.app.state.hk.app
    lang = request_lang(request)
    values = {"customer": customer, "amount": amount, "paid_on": paid_on, "method": method, "invoice": invoice}
    try:
        try:
            day = parse_date(paid_on)
        except (ValueError, InvalidInput) as e:
            raise InvalidInput("input.date", field="paid_on", value=paid_on) from e
        minor = Money.parse(amount.strip(), app.settings.currency).minor
        result = collect.record_payment(app, customer.strip(), minor, day, method=method, invoice_number=invoice.strip(),
                                        actor=user.name)
    except InvalidInput as e:
        return _page(request, can_book=True, values=values, error=i18n.error_text(e, lang),
                     field=e.params.get("field"), status=422)
    ok = i18n.t("payments.booked", lang, number=result.number, unapplied=Money(result.unapplied_minor,
                                                                                app.settings.currency).display())
    return _page(request, can_book=True, ok=ok)
