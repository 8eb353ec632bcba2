"""Running the workbench with uvicorn: ``huikuan serve`` calls ``serve(...)``; with ``--workers N`` each
worker process builds its app through ``factory()`` from the same settings (environment variables)."""

from __future__ import annotations

import os
from datetime import time
from typing import Any

RUN_AT_ENV = "HUIKUAN_WEB_RUN_AT"


def parse_run_at(text: str | None) -> time | None:
    """``HH:MM`` local time, or ``off`` / empty for no schedule."""
    from ...domain.errors import InvalidInput

    if text is None or text.strip().lower() in ("", "off", "none", "no"):
        return None
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except ValueError as e:
        raise InvalidInput("input.time", field="--run-at", value=text) from e


def factory() -> Any:
    """The ASGI app of one worker process (uvicorn ``factory=True``)."""
    from ...bootstrap import bootstrap
    from ...config import load_settings
    from .app import create_app

    app = bootstrap(load_settings())
    return create_app(app, run_at=parse_run_at(os.environ.get(RUN_AT_ENV)))


def serve(app: Any, host: str, port: int, workers: int, run_at: time | None) -> None:
    import uvicorn

    from .app import create_app

    if workers <= 1:
        uvicorn.run(create_app(app, run_at=run_at), host=host, port=port, log_level="info", proxy_headers=False)
        return
    os.environ["HUIKUAN_DATABASE_URL"] = app.settings.database_url
    os.environ[RUN_AT_ENV] = run_at.strftime("%H:%M") if run_at else "off"
    uvicorn.run("huikuan.entrypoints.web.server:factory", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=False)
