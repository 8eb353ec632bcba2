"""The demo's communications story (issue 9's "done when"), two named customers beside the generated
company:

- **CN-DEMO**, a consumer (a cardholder, guard profile ``consumer_cn``) with a mobile number and an
  invoice due in four working days: today's run queues the pre-due SMS and e-mail; the demo's sender,
  asked to deliver this customer's messages at 22:30 (``huikuan send --once --customer CN-DEMO --at
  …T22:30+08:00``), is refused by the guard (quiet hours 22:00–08:00), and the refusal, with its rule
  and the next allowed moment, is on the customer's timeline.
- **LT-DEMO**, a business 100 days past due, seen for the first time today: the run proposes a 催款函
  that waits for the owner's approval in the workbench; approving it issues the letter (PDF) and
  queues its cover e-mail with the PDF attached.

Added after the warm-up replay, so today's run is their first (and the replay stays as it was). When
today is not a working day (no run acts on it), the last working day's run is repeated for them: a
re-run creates only what is new, which is their actions.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .import_ import import_rows

CONSUMER = "CN-DEMO"
LETTER_CUSTOMER = "LT-DEMO"
DEMO_COLLECTOR = "刘明"  # the generated company's first collector: the demo's `collector` user sees both


def _working_days_ahead(cal: Any, start: date, n: int) -> date:
    d = start
    while n:
        d += timedelta(days=1)
        if cal.is_workday(d):
            n -= 1
    return d


def send_moments(app: Any) -> dict[str, str]:
    """When `make demo-build`'s sender acts, never after the demo's today (its pages would show a last
    contact in the future): ``send`` — 17:00 of the last working day before today, when the warm-up's
    reminders of that day and before are due (today's wait for the workbench's own sender, at their
    time) — and ``night`` — 22:30 today, when the guard refuses CN-DEMO's SMS (consumer quiet hours).
    ISO 8601 with the company's offset, for ``huikuan send --at``."""
    cal = app.calendar()
    tz = ZoneInfo(app.settings.timezone)
    today = app.clock.today()
    last = today - timedelta(days=1)
    while not cal.is_workday(last):
        last -= timedelta(days=1)
    return {"send": datetime.combine(last, time(17, 0), tz).isoformat(timespec="minutes"),
            "night": datetime.combine(today, time(22, 30), tz).isoformat(timespec="minutes")}


def add_demo_comms(app: Any, today: date) -> dict[str, str]:
    """The consumer and the letter customer with their contacts and invoices."""
    due = _working_days_ahead(app.calendar(), today, 4)
    import_rows(app, "customers", [
        {"customer_code": CONSUMER, "name": "王小红（个人）", "type": "cardholder", "terms": "net 30",
         "credit_limit": "20000", "collector": DEMO_COLLECTOR},
        {"customer_code": LETTER_CUSTOMER, "name": "南京恒通机电设备有限公司", "type": "enterprise", "terms": "net 30",
         "credit_limit": "300000", "collector": DEMO_COLLECTOR},
    ], source="demo")
    import_rows(app, "contacts", [
        {"customer_code": CONSUMER, "name": "王小红", "role": "owner", "phone": "138 0013 8000"},
        {"customer_code": LETTER_CUSTOMER, "name": "周会计", "role": "finance", "email": "zhou.kuaiji@hengtong.example",
         "phone": "13912345678"},
    ], source="demo")
    import_rows(app, "invoices", [
        {"invoice_no": "CN-DEMO-001", "customer_code": CONSUMER, "invoice_date": (due - timedelta(days=30)).isoformat(),
         "amount": "3860.00"},
        {"invoice_no": "LT-DEMO-001", "customer_code": LETTER_CUSTOMER,
         "invoice_date": (today - timedelta(days=130)).isoformat(), "amount": "86400.00"},
        {"invoice_no": "LT-DEMO-002", "customer_code": LETTER_CUSTOMER,
         "invoice_date": (today - timedelta(days=130)).isoformat(), "amount": "37056.78"},
    ], source="demo")
    with app.uow() as uow:
        cust = uow.outbox.customer_by_code(CONSUMER)
        uow.outbox.set_guard_profile(cust.id, "consumer_cn")
        uow.commit()
    cal = app.calendar()
    if not cal.is_workday(today):
        from .daily_run import run_daily
        from .ports import FixedClock

        last = today - timedelta(days=1)
        while not cal.is_workday(last):
            last -= timedelta(days=1)
        saved = app.clock
        app.clock = FixedClock(last, str(getattr(saved, "tz", "Asia/Shanghai")))
        try:
            run_daily(app, last)
        finally:
            app.clock = saved
    return {"consumer": CONSUMER, "letter_customer": LETTER_CUSTOMER, "sms_due_on": due.isoformat()}
