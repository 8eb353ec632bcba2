"""the aging snapshot's per-currency totals, and Today's walk in the ranking's order (issue 8 latency)

Revision ID: 20261129_web_latency
Revises: 20261128_cardholder
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "20261129_web_latency"
down_revision = "20261128_cardholder"
branch_labels = None
depends_on = None

BUCKETS = 7
COLUMNS = [f"a{i}" for i in range(BUCKETS)] + ["disputed", "overdue"]


def upgrade() -> None:
    op.create_table(
        "aging_snapshot_total",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in COLUMNS],
        sa.PrimaryKeyConstraint("company_id", "currency", name="pk_aging_snapshot_total"),
    )
    # A kept snapshot gets its totals now, so the dashboard stays exact before the next run rebuilds it.
    cols = ", ".join(COLUMNS)
    sums = ", ".join(f"SUM({c})" for c in COLUMNS)
    op.execute(f"INSERT INTO aging_snapshot_total (company_id, currency, {cols}) "
               f"SELECT company_id, currency, {sums} FROM aging_snapshot GROUP BY company_id, currency")
    op.create_index("ix_task_rank_position", "task_rank", ["company_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_task_rank_position", table_name="task_rank")
    op.drop_table("aging_snapshot_total")
