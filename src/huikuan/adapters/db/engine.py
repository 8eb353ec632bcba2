"""Engine construction: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg 3."""

from __future__ import annotations

import os
import sqlite3

from sqlalchemy import Connection, Engine, create_engine, event, make_url


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


def make_engine(url: str) -> Engine:
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
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
