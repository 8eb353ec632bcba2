"""Unit of work over one SQLAlchemy connection and transaction.

``with uow:`` opens a transaction; nothing is saved without ``uow.commit()``; leaving the block
without commit rolls back. Repositories receive the connection and never commit.

On SQLite a writing unit of work takes the database's one write lock when it begins (BEGIN
IMMEDIATE). ``late_lock=True`` takes it at its first write instead, so a long import reads and checks
its file while others write (ADR 0007); if another writer committed meanwhile, the snapshot it read is
stale, SQLite refuses the write, and leaving the block raises ``WriteConflict``: do the work again.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from ...services.ports import WriteConflict
from .aging_repo import AgingRepo
from .analytics_repo import AnalyticsRepo
from .calendar_repo import SqlCalendarRepo
from .collect_repo import CollectRepo, CustomerRepo
from .credit_repo import CreditRepo
from .import_repo import ImportRepo
from .ledger_repo import LedgerRepo
from .web_repo import AuditRepo, SettingRepo, UserRepo

SQLITE_BUSY = 5  # another writer holds the lock; a reading transaction cannot wait for it to upgrade
SQLITE_BUSY_SNAPSHOT = 517  # another writer committed after this transaction's snapshot


def _stale_snapshot(e: OperationalError) -> bool:
    code = getattr(e.orig, "sqlite_errorcode", None)
    return code in (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT) or (code is None and "database is locked" in str(e.orig))


class SqlUnitOfWork:
    def __init__(self, engine: Engine, company_id: int, write: bool = True, late_lock: bool = False) -> None:
        self.engine = engine
        self.company_id = company_id
        self.write = write
        self.late_lock = late_lock
        self.conn: Connection | None = None
        self.committed = False

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()
        self.conn.info["immediate"] = self.write and not self.late_lock
        self.conn.begin()
        self.committed = False
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        assert self.conn is not None
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.info.pop("immediate", None)  # info lives on the pooled connection: do not leak it
            self.conn.close()
            self.conn = None
        if self.late_lock and isinstance(e, OperationalError) and _stale_snapshot(e):
            raise WriteConflict() from e

    def lock_now(self) -> None:
        """Take SQLite's write lock now, in a late-locking unit of work that has only read so far (ADR 0007):
        from here on no other writer can overtake it. Raises (``WriteConflict`` when the block is left) if
        another writer committed since its snapshot. Nothing to do on PostgreSQL or once locked."""
        if self.dialect == "sqlite" and self.late_lock:
            # A write statement that changes no row still takes the lock (and checks the snapshot).
            self.c.exec_driver_sql("UPDATE company SET id = id WHERE 1 = 0")

    @property
    def c(self) -> Connection:
        if self.conn is None:
            raise RuntimeError("unit of work used outside 'with'")
        return self.conn

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def aging(self) -> AgingRepo:
        return AgingRepo(self.c, self.company_id)

    @property
    def collect(self) -> CollectRepo:
        return CollectRepo(self.c, self.company_id)

    @property
    def calendar(self) -> SqlCalendarRepo:

        return SqlCalendarRepo(self.c, self.company_id)

    @property
    def analytics(self) -> AnalyticsRepo:
        return AnalyticsRepo(self.c, self.company_id)

    @property
    def ledger(self) -> LedgerRepo:
        return LedgerRepo(self.c, self.company_id)

    @property
    def imports(self) -> ImportRepo:
        return ImportRepo(self.c, self.company_id)

    @property
    def customers(self) -> CustomerRepo:
        return CustomerRepo(self.c, self.company_id)

    @property
    def credit(self) -> CreditRepo:
        return CreditRepo(self.c, self.company_id)

    @property
    def users(self) -> UserRepo:
        return UserRepo(self.c, self.company_id)

    @property
    def audit(self) -> AuditRepo:
        return AuditRepo(self.c, self.company_id)

    @property
    def app_settings(self) -> SettingRepo:
        return SettingRepo(self.c, self.company_id)

    @property
    def outbox(self):  # type: ignore[no-untyped-def]
        from .outbox_repo import OutboxRepo  # communications (services/outbox.py, letters.py)

        return OutboxRepo(self.c, self.company_id)

    def serialize(self, key: str) -> None:
        """Make writers that pass the same ``key`` take turns until this transaction ends.

        PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do — a writing unit of work
        already holds the database's one write lock (BEGIN IMMEDIATE)."""
        if self.dialect == "postgresql":
            self.c.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{self.company_id}:{key}"})

    def commit(self) -> None:
        self.c.commit()
        self.committed = True
        self.c.begin()

    def rollback(self) -> None:
        self.c.rollback()
        self.c.begin()
