"""The app factory: ``create_app(app)`` → a FastAPI application serving the pages, the API under
``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``, docs at ``/api/docs``) and the vendored static files.

Routers are found, not listed: every module in ``pages/`` and ``api/`` that defines ``router`` (an
``APIRouter``) is included; a page module may also define ``NAV`` (``NavItem``s for the header). So a new
area is one new file, and no shared list has to be edited. Errors are mapped here, one handler per
surface: an HTML page, an htmx fragment, or JSON ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import pkgutil
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ... import i18n
from ...domain.errors import Conflict, HuikuanError, ImportRejected, InvalidInput, NotFound, PolicyInvalid
from ...services import app_settings
from ...services.users import IpBackoff, Principal
from . import api as api_pkg
from . import pages as pages_pkg
from .auth import CsrfFailed, Forbidden, Unauthenticated, public
from .templating import make_env, render, request_lang

log = logging.getLogger("huikuan.web")
STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_UPLOAD_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class NavItem:
    """A header link: shown to users holding one of ``roles`` (empty: everyone signed in)."""

    href: str
    label_key: str
    roles: tuple[str, ...] = ()
    order: int = 50


@dataclass
class WebContext:
    """What every route reaches through ``request.app.state.hk``."""

    app: Any  # the bootstrapped huikuan App
    env: Environment
    secret: bytes
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    backoff: IpBackoff = field(default_factory=IpBackoff)
    nav: list[NavItem] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)  # serve's scheduler and sender loops
    _sms_stages: dict[str, str] | None = None

    def sms_stages(self) -> dict[str, str]:
        """The shipped SMS templates' provider codes and their stages (read once: they ship with the code)."""
        if self._sms_stages is None:
            from ...services.outbox import sms_template_stages

            self._sms_stages = sms_template_stages(self.app.templates())
        return self._sms_stages

    def nav_for(self, user: Principal | None) -> list[NavItem]:
        if user is None:
            return []
        return [n for n in self.nav if not n.roles or set(n.roles) & set(user.roles)]


def _modules(pkg: Any) -> list[Any]:
    return [importlib.import_module(f"{pkg.__name__}.{m.name}") for m in sorted(pkgutil.iter_modules(pkg.__path__),
                                                                                 key=lambda m: m.name)]


# ── errors, one handler per surface ──────────────────────────────────────────────────────────────

def _surface(request: Request) -> str:
    if request.url.path.startswith("/api/"):
        return "api"
    if request.headers.get("hx-request") == "true":
        return "htmx"
    return "page"


def _error_response(request: Request, status: int, code: str, message: str, field_name: str | None = None,
                    extra: dict[str, Any] | None = None) -> Response:
    surface = _surface(request)
    if surface == "api":
        body: dict[str, Any] = {"code": code, "message": message, "field": field_name}
        body.update(extra or {})
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    ctx = {"status": status, "code": code, "message": message, "field": field_name, "extra": extra or {}}
    if surface == "htmx":
        return render(request, "fragments/error.html", ctx, status=status)
    return render(request, "error.html", ctx, status=status)


_STATUS = ((NotFound, 404), (ImportRejected, 422), (PolicyInvalid, 422), (InvalidInput, 422), (Conflict, 409))


def _install_error_handlers(fa: FastAPI) -> None:
    async def huikuan_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HuikuanError)
        status = next((s for cls, s in _STATUS if isinstance(exc, cls)), 409)
        lang = request_lang(request)
        extra: dict[str, Any] = {}
        if isinstance(exc, ImportRejected | PolicyInvalid):
            extra["problems"] = [{"source": p.source, "where": p.where, "code": p.code,
                                  "message": i18n.problem_text(p, lang)} for p in exc.problems[:500]]
        field_name = exc.params.get("field")
        return _error_response(request, status, exc.code, i18n.error_text(exc, lang),
                               str(field_name) if field_name else None, extra)

    async def unauthenticated(request: Request, exc: Exception) -> Response:
        surface = _surface(request)
        if surface == "page":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        if surface == "htmx":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return _error_response(request, 401, "auth.required", i18n.t("auth.required", request_lang(request)))

    async def forbidden(request: Request, exc: Exception) -> Response:
        return _error_response(request, 403, "auth.forbidden", i18n.t("auth.forbidden", request_lang(request)))

    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return _error_response(request, 403, "csrf.failed", i18n.t("csrf.failed", request_lang(request)))

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path", "form", "header")]
        field_name = ".".join(loc) or None
        lang = request_lang(request)
        return _error_response(request, 422, "input.invalid",
                               i18n.t("input.invalid", lang, field=field_name or "-", reason=first.get("msg", "")),
                               field_name)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "http.not_found", 405: "http.method", 413: "http.too_large"}.get(exc.status_code, "http.error")
        return _error_response(request, exc.status_code, code,
                               i18n.t(code, request_lang(request), status=exc.status_code))

    async def bad_data(request: Request, exc: Exception) -> Response:
        # The database refused a value a person sent (a NUL byte, a number past its column): bad input.
        return _error_response(request, 422, "input.unstorable", i18n.t("input.unstorable", request_lang(request)))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "server.error", i18n.t("server.error", request_lang(request)))

    fa.add_exception_handler(HuikuanError, huikuan_error)
    fa.add_exception_handler(Unauthenticated, unauthenticated)
    fa.add_exception_handler(Forbidden, forbidden)
    fa.add_exception_handler(CsrfFailed, csrf_failed)
    fa.add_exception_handler(RequestValidationError, validation)
    fa.add_exception_handler(StarletteHTTPException, http_error)
    fa.add_exception_handler(DataError, bad_data)
    fa.add_exception_handler(Exception, unexpected)


def _quote(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="/")


# ── the daily run inside serve ───────────────────────────────────────────────────────────────────

def next_run_at(now: datetime, at: time, tz: str) -> datetime:
    """The next moment (aware) the local wall clock reads ``at`` strictly after ``now``."""
    local = now.astimezone(ZoneInfo(tz))
    target = datetime.combine(local.date(), at, tzinfo=ZoneInfo(tz))
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=ZoneInfo(tz))
    return target


Sleep = Callable[[float], Awaitable[None]]


def _run_once(app: Any, day: date, run: Callable[[Any], Any]) -> Any:
    """Start the day's run unless one finished for ``day`` already (another ``serve`` process woke first);
    a run still in progress refuses a second through the run lock (``RunLocked``), and one that died is
    taken over and done again."""
    from ...services.reporting import runs

    if any(r.as_of == day and not r.dry_run and r.status == "done" for r in runs(app, 10)):
        return None
    return run(app)


async def _daily_loop(app: Any, at: time, *, sleep: Sleep = asyncio.sleep,
                      run: Callable[[Any], Any] | None = None) -> None:
    """Wake at ``at`` local time each day and start the daily run, until cancelled (server shutdown).

    A failing run is logged and the loop goes on to the next day. ``sleep`` and ``run`` are injected by
    tests (a clock that jumps instead of waiting); the server uses ``asyncio.sleep`` and ``run_daily``."""
    from starlette.concurrency import run_in_threadpool

    from ...services.daily_run import run_daily

    run = run or run_daily
    while True:
        now = app.clock.now()
        target = next_run_at(now, at, app.settings.timezone)
        await sleep(max(1.0, (target - now).total_seconds()))
        try:
            report = await run_in_threadpool(_run_once, app, target.date(), run)
            if report is None:
                log.info("daily run of %s: already done", target.date())
            else:
                log.info("daily run %s: %s actions, %s errors", report.as_of, report.created, len(report.errors))
        except Conflict:
            log.info("daily run skipped: another process holds the run lock")
        except Exception:  # noqa: BLE001 — the server keeps serving; the run log shows the failure
            log.exception("daily run failed")


async def _send_loop(app: Any, every: float = 60.0) -> None:
    """The outbox's sender inside serve (issue 9): every minute, deliver what is due, through the guard."""
    from starlette.concurrency import run_in_threadpool

    from ...services import letters, outbox

    def once() -> Any:
        mailer = app.mailer()
        try:
            return outbox.send_due(app, mailer, app.sms(), attach=lambda row: letters.attachments_for(app, row))
        finally:
            mailer.close()

    while True:
        await asyncio.sleep(every)
        try:
            r = await run_in_threadpool(once)
            if r.claimed:
                log.info("outbox: %s", r.as_dict())
        except Exception:  # noqa: BLE001 — the server keeps serving; the messages stay queued
            log.exception("sending failed")


# ── the factory ──────────────────────────────────────────────────────────────────────────────────

def create_app(app: Any, *, upload_limit: int = DEFAULT_UPLOAD_LIMIT, run_at: time | None = None) -> FastAPI:
    """The workbench and API over a bootstrapped ``App``. ``run_at``: schedule the daily run inside the
    server at that local time (``huikuan serve`` passes it; tests leave it off)."""

    @contextlib.asynccontextmanager
    async def lifespan(fa: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_daily_loop(app, run_at)) if run_at is not None else None
        sender = asyncio.create_task(_send_loop(app)) if run_at is not None else None
        fa.state.hk.tasks = [x for x in (task, sender) if x is not None]
        try:
            yield
        finally:
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    fa = FastAPI(title="huikuan 回款 API", version="1", openapi_url="/api/v1/openapi.json", docs_url=None,
                 redoc_url=None, lifespan=lifespan,
                 description="回款 REST API。Bearer 令牌：`huikuan user token NAME`。/ Bearer tokens from "
                             "`huikuan user token NAME`. Errors: `{\"error\": {\"code\", \"message\", \"field\"}}`.")
    secret = app_settings.web_secret(app)
    ctx = WebContext(app=app, env=make_env(), secret=secret, upload_limit=upload_limit)
    fa.state.hk = ctx
    _install_error_handlers(fa)

    for module in _modules(pages_pkg):
        if hasattr(module, "router"):
            fa.include_router(module.router, include_in_schema=False)
        ctx.nav.extend(getattr(module, "NAV", ()))
    ctx.nav.sort(key=lambda n: (n.order, n.href))
    for module in _modules(api_pkg):
        if hasattr(module, "router"):
            fa.include_router(module.router, prefix="/api/v1")

    @fa.get("/api/docs", include_in_schema=False, dependencies=[public()])
    def api_docs() -> Response:
        return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="huikuan API",
                                   swagger_js_url="/static/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui.css", swagger_favicon_url="/static/favicon.svg")

    fa.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _add_security_scheme(fa)

    fa.add_middleware(_SecurityHeaders)
    return fa


_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"))


class _SecurityHeaders:
    """Refuses a NUL byte in the path or query (422, before any route), and adds the security headers a
    response does not set itself. Plain ASGI: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``) ran
    every request through an extra task and a streamed copy of the body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if b"%00" in raw or b"\x00" in raw:
            request = Request(scope, receive)
            response = _error_response(request, 422, "input.unstorable",
                                       i18n.t("input.unstorable", request_lang(request)))
            await response(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in _HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def _add_security_scheme(fa: FastAPI) -> None:
    base = fa.openapi

    def openapi() -> dict[str, Any]:
        if fa.openapi_schema is None:
            schema = base()
            schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            fa.openapi_schema = schema
        return fa.openapi_schema

    fa.openapi = openapi  # type: ignore[method-assign]


@dataclass(frozen=True)
class DeclaredRoute:
    path: str
    methods: frozenset[str]
    rule: Any  # the route's ``auth.Rule``, or None when it declares none (or more than one)


def route_rules(fa: FastAPI) -> list[DeclaredRoute]:
    """Every route of the app's table with the ``Rule`` it declares: the authorization matrix's input.

    Walks included routers as FastAPI resolves them (prefixes and router-level dependencies applied)."""
    from fastapi.routing import iter_route_contexts

    from .auth import Rule

    out = []
    for rc in iter_route_contexts(fa.routes):
        if not isinstance(rc.original_route, APIRoute):
            continue  # the static files mount
        deps = getattr(rc, "dependencies", None)
        if deps is None:
            deps = rc.original_route.dependencies
        rules = [d.dependency for d in deps if isinstance(d.dependency, Rule)]
        out.append(DeclaredRoute(str(rc.path), frozenset(rc.methods or ()), rules[0] if len(rules) == 1 else None))
    return out


def new_secret() -> str:
    return secrets.token_hex(32)
