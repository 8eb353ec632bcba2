"""Migrations on SQLite and PostgreSQL: up, down, up again, and the migrated schema equals the tables
module (so the code never queries a column the database lacks). Plus the Citus-readiness rule of
ADR 0002: every row carries ``company_id`` and every unique key includes it.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, ForeignKeyConstraint, PrimaryKeyConstraint, UniqueConstraint, inspect

from huikuan.adapters.db.engine import make_engine
from huikuan.adapters.db.migrate import downgrade, upgrade
from huikuan.adapters.db.tables import metadata

EXPECTED = set(metadata.tables)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as c:
        mc = MigrationContext.configure(c, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(mc, metadata))


@pytest.fixture
def engine(empty_db_url: str):  # type: ignore[no-untyped-def]
    e = make_engine(empty_db_url)
    yield e
    e.dispose()


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    assert _tables(engine) == set()

    upgrade(engine)
    assert _tables(engine) == EXPECTED

    downgrade(engine, "base")
    assert _tables(engine) == set()

    upgrade(engine)
    assert _tables(engine) == EXPECTED


def test_migrated_schema_matches_tables_module(engine: Engine) -> None:
    upgrade(engine)
    # No filtering: on both backends the migrated schema, types and server defaults included,
    # is exactly what tables.py declares. A new column without a migration fails here.
    assert _schema_diff(engine) == []


def test_schema_diff_detects_a_missing_migration(engine: Engine) -> None:
    """The comparison above can fail: a column the migrations never created is reported."""
    upgrade(engine)
    with engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE contact DROP COLUMN best_time")
    diff = _schema_diff(engine)
    assert any(d[0] == "add_column" and d[2] == "contact" and d[3].name == "best_time"  # type: ignore[index]
               for d in diff), diff


def test_every_table_is_keyed_by_company() -> None:
    problems = []
    for table in metadata.sorted_tables:
        if table.name == "company":
            continue
        if "company_id" not in table.c:
            problems.append(f"{table.name}: no company_id column")
            continue
        for cons in table.constraints:
            if isinstance(cons, UniqueConstraint) and "company_id" not in cons.columns:
                problems.append(f"{table.name}.{cons.name}: unique key without company_id")
            if isinstance(cons, ForeignKeyConstraint) and "company_id" not in cons.column_keys:
                problems.append(f"{table.name}.{cons.name}: foreign key without company_id")
        for col in table.c:
            if col.unique:
                problems.append(f"{table.name}.{col.name}: unique column without company_id")
        for ix in table.indexes:
            if ix.unique and "company_id" not in ix.columns:
                problems.append(f"{table.name}.{ix.name}: unique index without company_id")
    assert problems == []


def test_primary_keys_are_single_surrogate_or_company() -> None:
    """A primary key is a surrogate ``id`` (made unique per tenant by a (company_id, id) key where
    something refers to it) or starts from company_id; never a natural key shared across tenants."""
    referenced = {
        fk.column.table.name for t in metadata.sorted_tables for fk in t.foreign_keys
    }
    for table in metadata.sorted_tables:
        pk: PrimaryKeyConstraint = table.primary_key
        cols = [c.name for c in pk.columns]
        if not cols:
            continue  # keyed by a unique constraint instead, checked above
        assert cols in (["id"], ["company_id"]) or cols[0] == "company_id", (table.name, cols)
        if table.name in referenced and table.name != "company":
            assert any(isinstance(c, UniqueConstraint) and {col.name for col in c.columns} == {"company_id", "id"}
                       for c in table.constraints), f"{table.name} is referenced but has no (company_id, id) key"
