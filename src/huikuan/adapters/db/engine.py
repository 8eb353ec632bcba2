"""Engine construction: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg 3."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError


def _create_private(url: str) -> None:
    """Create a new SQLite file readable by its owner only (0600) before SQLite creates it with the
    umask's mode (usually world-readable); its -wal and -shm files inherit the mode from it."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:  # exists already, or the folder does not: SQLite reports the latter itself
        return
    os.close(fd)


LOCK_NOTICE_S = 3.0  # a writer waits this long for SQLite's write lock before it says it is waiting
LOCK_WAIT_MAX_S = 900.0  # and gives up after this (a long import holds the lock between its batches only)


def _begin_immediate(conn: Connection, on_lock_wait: Callable[[], None] | None) -> None:
    """BEGIN IMMEDIATE, waiting for another writer as long as it takes (up to ``LOCK_WAIT_MAX_S``): after
    ``LOCK_NOTICE_S`` the user is told once (``on_lock_wait``) instead of the command failing."""
    deadline = time.monotonic() + LOCK_WAIT_MAX_S
    told = False
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(LOCK_NOTICE_S * 1000)}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as e:
                if "locked" not in str(e.orig) or time.monotonic() > deadline:
                    raise
                if not told and on_lock_wait is not None:
                    on_lock_wait()
                told = True
                conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout=60000")


def make_engine(url: str, on_lock_wait: Callable[[], None] | None = None) -> Engine:
    if url.startswith("sqlite"):
        _create_private(url)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            # Own the transaction boundaries: pysqlite's implicit BEGIN breaks BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA cache_size=-200000")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # A writing unit of work takes the write lock up front (BEGIN IMMEDIATE) so two writers
            # queue on busy_timeout instead of failing when a read lock cannot be upgraded; readers
            # stay deferred and never block anyone in WAL mode.
            if conn.info.get("immediate"):
                _begin_immediate(conn, on_lock_wait)
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
