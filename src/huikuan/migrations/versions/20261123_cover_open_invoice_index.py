"""covering index for open invoices (daily run and aging read only the index)

Revision ID: 20261123_cover
Revises: 20261123_initial
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "20261123_cover"
down_revision = "20261123_initial"
branch_labels = None
depends_on = None

WHERE = sa.text("open_minor <> 0")


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_open", postgresql_where=WHERE, sqlite_where=WHERE)
        batch_op.create_index(
            "ix_invoice_open_cover",
            ["company_id", "customer_id", "currency", "due_on", "open_minor", "disputed_minor", "number"],
            unique=False, postgresql_where=WHERE, sqlite_where=WHERE,
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_open_cover", postgresql_where=WHERE, sqlite_where=WHERE)
        batch_op.create_index("ix_invoice_open", ["company_id", "customer_id", "due_on"], unique=False,
                              postgresql_where=WHERE, sqlite_where=WHERE)
