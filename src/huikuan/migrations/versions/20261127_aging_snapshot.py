"""per-customer aging snapshot, kept exact by triggers that mark changed customers

Revision ID: 20261127_aging_snapshot
Revises: 20261127_run_lease
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "20261127_aging_snapshot"
down_revision = "20261127_run_lease"
branch_labels = None
depends_on = None

BUCKETS = 7


def upgrade() -> None:
    op.create_table(
        "aging_snapshot",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *[sa.Column(f"a{i}", sa.BigInteger(), nullable=False) for i in range(BUCKETS)],
        sa.Column("disputed", sa.BigInteger(), nullable=False),
        sa.Column("overdue", sa.BigInteger(), nullable=False),
        sa.Column("oldest", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("company_id", "customer_id", "currency", name="pk_aging_snapshot"),
    )
    op.create_table(
        "aging_snapshot_state",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", name="pk_aging_snapshot_state"),
    )
    op.create_table(
        "aging_dirty",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("company_id", "customer_id", name="pk_aging_dirty"),
    )
    mark = ("INSERT INTO aging_dirty (company_id, customer_id) VALUES ({r}.company_id, {r}.customer_id) "
            "ON CONFLICT (company_id, customer_id) DO UPDATE SET version = aging_dirty.version + 1")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER invoice_aging_insert AFTER INSERT ON invoice BEGIN {mark.format(r='NEW')}; END")
        op.execute("CREATE TRIGGER invoice_aging_update AFTER UPDATE OF customer_id, currency, due_on, open_minor, "
                   f"disputed_minor ON invoice BEGIN {mark.format(r='OLD')}; {mark.format(r='NEW')}; END")
        op.execute(f"CREATE TRIGGER invoice_aging_delete AFTER DELETE ON invoice BEGIN {mark.format(r='OLD')}; END")
    else:
        # Statement-level with transition tables: one upsert per statement (an import writes 10⁶ rows).
        # DISTINCT/UNION: an upsert may touch each row once per statement.
        pick = "SELECT {d}company_id, customer_id FROM {t}"
        for fn, rows in (("new", pick.format(d="DISTINCT ", t="new_rows")),
                         ("old", pick.format(d="DISTINCT ", t="old_rows")),
                         ("both", pick.format(d="", t="old_rows") + " UNION " + pick.format(d="", t="new_rows"))):
            op.execute(
                f"CREATE FUNCTION invoice_aging_dirty_{fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO aging_dirty (company_id, customer_id) {rows} "
                "ON CONFLICT (company_id, customer_id) DO UPDATE SET version = aging_dirty.version + 1; "
                "RETURN NULL; END $$")
        for verb, ref, fn in (("INSERT", "NEW TABLE AS new_rows", "new"), ("DELETE", "OLD TABLE AS old_rows", "old"),
                              ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "both")):
            op.execute(f"CREATE TRIGGER invoice_aging_{verb.lower()} AFTER {verb} ON invoice REFERENCING {ref} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION invoice_aging_dirty_{fn}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS invoice_aging_{verb}")
    else:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS invoice_aging_{verb} ON invoice")
        for fn in ("new", "old", "both"):
            op.execute(f"DROP FUNCTION IF EXISTS invoice_aging_dirty_{fn}()")
    op.drop_table("aging_dirty")
    op.drop_table("aging_snapshot_state")
    op.drop_table("aging_snapshot")
