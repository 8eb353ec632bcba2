"""Money falling due during Spring Festival 2026 (02-15…02-23): the pre-due reminder of the 调休
Saturday 02-14 must not swallow the overdue call on 02-24, the first working day after it."""

from __future__ import annotations

from datetime import date, timedelta

from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows


def test_first_working_day_after_the_holiday_gets_the_call(app, clock):
    import_rows(app, "customers", [{"customer_code": "KH-F", "name": "东莞市长安镇华盛电器行", "terms": "net 30"}])
    # Due 2026-02-22, the Sunday inside the holiday.
    import_rows(app, "invoices", [{"invoice_no": "F-1", "customer_code": "KH-F", "invoice_date": "2026-01-23",
                                   "amount": "20000.00"}])
    seen = []
    day = date(2026, 2, 2)
    while day <= date(2026, 3, 3):
        clock.set(day)
        for a in run_daily(app, day).actions:
            if a.ladder == "dunning":
                seen.append((day.isoformat()[5:], a.stage, a.kind.value, a.channel.value if a.channel else None))
        day += timedelta(days=1)
    assert seen == [
        ("02-09", "pre_due_bill", "reminder", "sms"),
        ("02-14", "pre_due_week", "reminder", "email"),
        ("02-24", "overdue_1_7", "call", "phone"),  # the first working day of the overdue episode
        ("02-26", "overdue_1_7", "call", "phone"),
        ("02-28", "overdue_1_7", "call", "phone"),  # 调休 Saturday: a working day
        ("03-02", "overdue_8_14", "call", "phone"),
        ("03-03", "overdue_8_14", "call", "phone"),
    ]
