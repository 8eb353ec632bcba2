"""invoice: the billing channel (electronic | paper, NULL = unknown), a fact known when the invoice is
issued (电子发票/电子账单 or 纸质); the payment model shifts a customer's past delays to it (docs/model.md)

Revision ID: 20261201_invoice_bill_channel
Revises: 20261130_run_task_marks
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "20261201_invoice_bill_channel"
down_revision = "20261130_run_task_marks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (nullable, no default): no table rebuild, so the invoice's
    # triggers and partial indexes stay as they are.
    op.add_column("invoice", sa.Column("bill_channel", sa.String(10), nullable=True))


def downgrade() -> None:
    op.drop_column("invoice", "bill_channel")  # SQLite ≥ 3.35 drops a column in place
