"""On SQLite a writer that finds another writer holding the lock (a long import between batches, a run's
save) waits and says so, instead of failing after a fixed time with "database is locked" (issue 6
item 16). SQLite only: PostgreSQL writers never share one database-wide write lock."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

from huikuan.adapters.db import engine as engine_mod
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.domain.money import Money
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)


def test_a_writer_waits_for_the_lock_with_a_message_then_writes(sqlite_app, monkeypatch):
    monkeypatch.setattr(engine_mod, "LOCK_NOTICE_S", 0.2)
    import_rows(sqlite_app, "customers", [{"customer_code": "C1", "name": "甲", "terms": "net 30"}])
    path = sqlite_app.engine.url.database
    told = threading.Event()
    app = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=sqlite_app.clock, on_lock_wait=told.set)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    done = threading.Event()
    failed: list[BaseException] = []

    def pay() -> None:
        try:
            with app.uow() as uow:
                ledger.record_payment(uow, "C1", Money.parse("5.00", "CNY"), sqlite_app.clock.today(), by=BY)
                uow.commit()
        except BaseException as e:  # noqa: BLE001 — asserted below
            failed.append(e)
        done.set()

    th = threading.Thread(target=pay)
    th.start()
    try:
        assert told.wait(60), "the waiting writer never said so"
        assert not done.is_set()  # still waiting, not failed
    finally:
        holder.execute("ROLLBACK")  # the other writer finishes its batch
        holder.close()
    assert done.wait(60) and failed == []
    th.join()
    app.engine.dispose()
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT count(*) FROM payment").fetchone()[0] == 1
