"""Plain DBAPI ``executemany`` for the daily run's bulk writes (10⁴–10⁵ rows a run).

SQLAlchemy's per-row parameter processing (building and binding a dict per row) cost more than the
database work at this size. Here each value goes through exactly the bind processor SQLAlchemy would
apply for its column type on this dialect (SQLite stores datetimes and dates as text in SQLAlchemy's
own format, so a row written here reads back, sorts and compares like one written by SQLAlchemy), and
the rows go to the driver's ``executemany`` as tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table


def processors(conn: Connection, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """The dialect's bind processor of each column (None where the driver takes the value as is)."""
    dialect = conn.dialect
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]  # noqa: SLF001


def insert_many(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                suffix: str = "") -> int:
    """INSERT ``rows`` (value tuples in ``columns`` order) in one ``executemany``; returns the driver's
    row count. ``suffix`` is appended to the statement (e.g. an ON CONFLICT clause)."""
    if not rows:
        return 0
    procs = processors(conn, table, columns)
    if any(p is not None for p in procs):
        pairs = [(i, p) for i, p in enumerate(procs) if p is not None]
        fixed = []
        for r in rows:
            v = list(r)
            for i, p in pairs:
                if v[i] is not None:
                    v[i] = p(v[i])
            fixed.append(v)
        rows = fixed
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(mark for _ in columns)})"
           + (f" {suffix}" if suffix else ""))
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, rows)
        return int(cur.rowcount)
    finally:
        cur.close()
