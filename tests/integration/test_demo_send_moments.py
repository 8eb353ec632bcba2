"""`make demo-build` delivers the demo's reminders at a moment not after the demo's today, and the generated
book logs no call later than that, so no page shows a last contact in the future (it sent them as if at
17:00 of the next working day: "上次联系：11月30日 17:00 邮件" on a page dated 11-28; and the generator
logged calls at 16:10 on the demo's day). Both databases; a small demo on a Saturday and on a Monday, built
at 10:00."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services import demo_data, demo_load, outbox
from huikuan.services.daily_run import run_daily
from huikuan.services.demo_comms import CONSUMER, add_demo_comms, send_moments
from huikuan.services.ports import FixedClock


@pytest.mark.parametrize("today", [date(2026, 11, 28), date(2026, 11, 30)])  # a Saturday, a Monday
def test_the_demo_sends_nothing_dated_after_its_today(db_url: str, tmp_path: Path, today: date) -> None:
    clock = FixedClock(datetime(today.year, today.month, today.day, 10, 0, tzinfo=FixedClock(today).tz))
    app = bootstrap(Settings(database_url=db_url, mail_dir=str(tmp_path / "mail"), sms_dir=str(tmp_path / "sms")),
                    clock=clock)
    try:
        company = demo_data.generate(customers=25, months=6, seed=7, as_of=today)
        demo_load.load(app, company)
        demo_load.warm_up(app, today, working_days=3, seed=7)
        add_demo_comms(app, today)
        run_daily(app, today)  # `make demo-build`'s `huikuan run`, at 10:00
        moments = send_moments(app)
        send = datetime.fromisoformat(moments["send"])
        night = datetime.fromisoformat(moments["night"])
        assert send < clock.now() and night.date() == today
        # As `make demo-build` does: CN-DEMO's SMS tried at 22:30 (refused), then everything due at `send`.
        assert outbox.send_due(app, app.mailer(), app.sms(), now=night, customer_code=CONSUMER).deferred >= 1
        sent = outbox.send_due(app, app.mailer(), app.sms(), now=send)
        assert sent.sent > 0  # the warm-up's reminders go out
        with app.engine.connect() as c:
            latest = c.execute(select(func.max(t.activity.c.at))).scalar_one()
            emailed = c.execute(select(func.count()).select_from(t.activity)
                                .where(t.activity.c.channel == "email")).scalar_one()
        assert emailed >= sent.sent
        assert (latest.replace(tzinfo=UTC) if latest.tzinfo is None else latest) <= clock.now()
    finally:
        app.engine.dispose()
