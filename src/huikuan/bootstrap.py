"""Composition root: the only module that knows the concrete adapters.

``bootstrap(settings, clock=...)`` builds the engine, migrates it, makes sure the company row
exists, and returns an ``App`` whose ``uow()`` gives a fresh unit of work. Tests call it with a
``FixedClock`` and an in-memory or throwaway database. Importing this module connects to nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, insert, select

from .adapters.calendar_cn import ChineseCalendar
from .adapters.clock import SystemClock
from .adapters.db import tables as t
from .adapters.db.engine import make_engine
from .adapters.db.migrate import upgrade
from .adapters.db.uow import SqlUnitOfWork
from .adapters.files import FileTables
from .adapters.passwords import Argon2Hasher
from .config import Settings, load_settings
from .services.ports import (
    Clock,
    Files,
    Mailer,
    PasswordHasher,
    PdfRenderer,
    Predictor,
    SmsGateway,
    SpreadsheetWriter,
)

if TYPE_CHECKING:
    from .adapters.templates import JinjaTemplates


@dataclass
class App:
    settings: Settings
    engine: Engine
    company_id: int
    clock: Clock
    hasher: PasswordHasher = field(default_factory=Argon2Hasher)
    files: Files = field(default_factory=FileTables)  # import files (CSV, XLSX) as row streams

    def uow(self, write: bool = True, *, late_lock: bool = False) -> SqlUnitOfWork:
        """A unit of work; ``write=False`` for read-only work (SQLite: no write lock taken); ``late_lock``: on
        SQLite the write lock is taken at the first write, not up front (adapters/db/uow.py)."""
        return SqlUnitOfWork(self.engine, self.company_id, write, late_lock)

    def for_worker(self) -> App | None:
        """This app for a forked worker process of the daily run (ADR 0006): the same settings, clock and
        company on an engine of its own — the parent's pooled connections are never touched in the
        child. None when the database cannot be shared with another process (in-memory SQLite)."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return None
        return dataclasses.replace(self, engine=make_engine(self.settings.database_url))

    def calendar(self) -> ChineseCalendar:
        """The working calendar with this company's overrides, read fresh (an admin may have edited it)."""
        with self.engine.connect() as c:
            days = c.execute(
                select(t.calendar_day.c.on, t.calendar_day.c.is_workday).where(
                    t.calendar_day.c.company_id == self.company_id
                )
            ).all()
            years = c.execute(
                select(t.calendar_year.c.year).where(t.calendar_year.c.company_id == self.company_id)
            ).scalars().all()
            c.rollback()
        return ChineseCalendar({d: bool(w) for d, w in days}, set(years))

    def holidays(self) -> ChineseCalendar:
        """The statutory calendar alone, without this company's overrides (``calendar show`` names sources)."""
        return ChineseCalendar()

    def predictor(self) -> Predictor:
        """The learner of the payment model (imported on first use: LightGBM is heavy to load)."""
        from .adapters.predict.lightgbm_model import LightGbmPredictor

        return LightGbmPredictor()

    # ── communications (issue 9): the adapters behind the services' ports ──
    def templates(self) -> JinjaTemplates:
        from .adapters.templates import JinjaTemplates

        return JinjaTemplates()

    def mailer(self) -> Mailer:
        s = self.settings
        if s.mail_dir:
            from .adapters.mail import FolderMailer

            return FolderMailer(s.mail_dir, s.mail_from, s.company)
        from .adapters.mail import SmtpMailer

        return SmtpMailer(s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.smtp_password, s.mail_from,
                          s.company)

    def sms(self) -> SmsGateway:
        s = self.settings
        if s.sms_provider == "aliyun":
            from .adapters.sms import AliyunSms

            return AliyunSms(s.aliyun_access_key_id or "", s.aliyun_access_key_secret or "",
                             s.aliyun_sms_sign_name or s.company, s.aliyun_sms_endpoint, now=self.clock.now)
        from .adapters.sms import FileSms

        return FileSms(s.sms_dir)

    def pdf(self) -> PdfRenderer:
        from .adapters.pdf import WeasyPdf

        return WeasyPdf()

    def spreadsheet(self) -> SpreadsheetWriter:
        from .adapters.statement_xlsx import StatementXlsx

        return StatementXlsx()

    def policy_dirs(self) -> list[Path]:
        return [Path(self.settings.policy_dir)] if self.settings.policy_dir else []

    def profile_dirs(self) -> list[Path]:
        """Folders of the company's own import layout profiles (docs/imports.md)."""
        return [Path(self.settings.profile_dir)] if self.settings.profile_dir else []


def _ensure_company(engine: Engine, settings: Settings) -> int:
    with engine.begin() as c:
        cid = c.execute(select(t.company.c.id).where(t.company.c.code == settings.company_code)).scalar()
        if cid is None:
            cid = c.execute(
                insert(t.company).values(code=settings.company_code, name=settings.company, currency=settings.currency)
                .returning(t.company.c.id)
            ).scalar_one()
        return int(cid)


def bootstrap(settings: Settings | None = None, clock: Clock | None = None, migrate: bool = True,
              on_lock_wait: Callable[[], None] | None = None) -> App:
    """``on_lock_wait``: told once when a write waits for another writer (SQLite) instead of failing."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url, on_lock_wait)
    if migrate:
        upgrade(engine)
    company_id = _ensure_company(engine, settings)
    return App(settings, engine, company_id, clock or SystemClock(settings.timezone))
