"""The web workbench and the REST API (FastAPI): ``create_app(app)`` builds both from a bootstrapped ``App``.

Pages are server-rendered Jinja2 with htmx partials; the API lives under ``/api/v1``. Every route declares
who may call it (``requires(...)`` / ``public()`` in ``auth.py``); routes parse, call one service, render.
"""

from .app import create_app

__all__ = ["create_app"]
