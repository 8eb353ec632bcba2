"""The daily run pauses Python's cyclic garbage collector while it gathers, decides and stores (its millions
of objects hold no cycles; walking them cost seconds at 10⁶ invoices) and gives it back as it found it,
also when the run fails. Both backends."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from test_daily_run import TODAY, seed

from huikuan.services import daily_run
from huikuan.services.daily_run import run_daily


def test_the_run_stores_with_the_collector_paused_and_gives_it_back(app: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seed(app)
    seen: list[bool] = []
    real = daily_run._apply

    def spy(*args: Any, **kwargs: Any) -> tuple[int, int]:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(daily_run, "_apply", spy)
    assert gc.isenabled()
    assert run_daily(app, TODAY).created > 0
    assert seen == [False] and gc.isenabled()


def test_a_failing_run_gives_the_collector_back(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(app)

    def boom(*args: Any, **kwargs: Any) -> tuple[int, int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(daily_run, "_apply", boom)
    with pytest.raises(RuntimeError):
        run_daily(app, TODAY)
    assert gc.isenabled()


def test_a_process_that_had_it_off_keeps_it_off(app: Any) -> None:
    seed(app)
    gc.disable()
    try:
        run_daily(app, TODAY)
        assert not gc.isenabled()
    finally:
        gc.enable()
