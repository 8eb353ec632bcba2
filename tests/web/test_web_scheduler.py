"""The daily run inside ``huikuan serve``: the loop itself, with an injected clock that jumps instead of
waiting. It starts the run at the configured local time once a day — also with two server processes on one
database (the run log and the run lock) — goes on after a failing run, and stops when the server shuts down."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from web_helpers import CUSTOMERS, INVOICES

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App, bootstrap
from huikuan.config import Settings
from huikuan.entrypoints.web import create_app
from huikuan.entrypoints.web.app import _daily_loop
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.ports import FixedClock

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 5, 0, tzinfo=SH)  # a Tuesday, before the run's 06:30
END = datetime(2026, 11, 27, 5, 0, tzinfo=SH)  # three working days later


class Jumps:
    """An injected ``sleep``: moves the app's clock forward by what the loop asked, at once; past ``END`` it
    parks (sleeps for good) until the loop is cancelled, as a server shutdown does."""

    def __init__(self, clock: FixedClock, before: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.clock, self.before, self.asked = clock, before, []
        self.parked = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.before is not None:
            await self.before(len(self.asked))
        if self.clock.now() + timedelta(seconds=seconds) > END:
            self.parked.set()
            await asyncio.Event().wait()
        self.clock.set(self.clock.now() + timedelta(seconds=seconds))
        await asyncio.sleep(0)


async def _until_parked_then_shut_down(*loops: tuple[asyncio.Task[None], Jumps]) -> None:
    for _, jumps in loops:
        await asyncio.wait_for(jumps.parked.wait(), 60)
    for task, _ in loops:
        task.cancel()
    for task, _ in loops:
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()


def test_the_loop_starts_the_run_at_the_local_time_each_day_and_survives_a_failing_run(app: App, caplog) -> None:
    clock = FixedClock(START)
    app = bootstrap(app.settings, clock=clock)
    started: list[datetime] = []

    def run(a: Any) -> Any:
        started.append(a.clock.now().astimezone(SH))
        if len(started) == 2:
            raise RuntimeError("the database went away")
        return SimpleNamespace(as_of=a.clock.today(), created=1, errors=[])

    async def main() -> Jumps:
        jumps = Jumps(clock)
        task = asyncio.create_task(_daily_loop(app, time(6, 30), sleep=jumps, run=run))
        await _until_parked_then_shut_down((task, jumps))
        return jumps

    with caplog.at_level(logging.INFO, logger="huikuan.web"):
        jumps = asyncio.run(main())
    app.engine.dispose()
    assert started == [datetime(2026, 11, d, 6, 30, tzinfo=SH) for d in (24, 25, 26)]
    assert jumps.asked[:3] == [90 * 60, 24 * 3600, 24 * 3600]  # no busy loop: one sleep per day
    assert "daily run failed" in caplog.text and "the database went away" in caplog.text


def test_two_server_processes_start_each_days_run_once(db_url: str) -> None:
    """Two apps on one database (two engines, like two ``serve`` processes) wake at the same 06:30. Day 1:
    the first is inside its run (gated) when the second wakes: the run lock refuses the second. Day 2: the
    second wakes after the first's run finished: the run log shows the day done. Day 3: either order."""
    apps = [bootstrap(Settings(database_url=db_url), clock=FixedClock(START)) for _ in range(2)]
    import_rows(apps[0], "customers", CUSTOMERS)
    import_rows(apps[0], "invoices", INVOICES)
    inside, release, second_day_done = threading.Event(), threading.Event(), threading.Event()

    def first_runs(x: App) -> Any:
        report = run_daily(x, progress=Gate())
        if report.as_of == START.date() + timedelta(days=1):
            second_day_done.set()
        return report

    class Gate:  # the first process's run waits here on the first day, after it took the run lock
        def start(self, label: str, total: int | None) -> None:
            if not release.is_set():
                inside.set()
                assert release.wait(60), "the second process never woke"

        def advance(self, n: int = 1) -> None:
            pass

        def finish(self) -> None:
            pass

    async def second_waits_for_the_first(n: int) -> None:
        if n == 1:  # wake only once the first is inside its run
            await asyncio.get_running_loop().run_in_executor(None, inside.wait, 60)
        elif n == 2:  # the second process has tried day 1 and gone back to sleep: let the first finish,
            release.set()  # and wake for day 2 only once the first has done day 2
            await asyncio.get_running_loop().run_in_executor(None, second_day_done.wait, 60)

    async def main() -> None:
        a, b = Jumps(apps[0].clock), Jumps(apps[1].clock, second_waits_for_the_first)
        loops = [(asyncio.create_task(_daily_loop(apps[0], time(6, 30), sleep=a,
                                                  run=first_runs)), a),
                 (asyncio.create_task(_daily_loop(apps[1], time(6, 30), sleep=b)), b)]
        await _until_parked_then_shut_down(*loops)

    try:
        asyncio.run(main())
        r = t.run.c
        with apps[0].engine.connect() as c:
            rows = c.execute(select(r.as_of, r.status).order_by(r.id)).all()
    finally:
        for x in apps:
            x.engine.dispose()
    assert inside.is_set() and release.is_set()
    assert [(str(d), s) for d, s in rows] == [(f"2026-11-{d}", "done") for d in (24, 25, 26)]


def test_serve_stops_its_loops_on_shutdown(app: App) -> None:
    web = create_app(app, run_at=time(6, 30))

    async def main() -> list[asyncio.Task[None]]:
        async with web.router.lifespan_context(web):  # what uvicorn runs around serving
            await asyncio.sleep(0)
            tasks = list(web.state.hk.tasks)
            assert len(tasks) == 2 and not any(x.done() for x in tasks)  # the scheduler and the sender, waiting
        # Checked while this event loop still runs: the shutdown itself stopped them, not the loop's end.
        assert all(x.cancelled() for x in tasks)
        return tasks

    asyncio.run(main())
    with app.engine.connect() as c:
        assert c.execute(select(t.run.c.id)).first() is None  # shut down before 06:30: nothing ran
