"""cardholder: a consumer (cardholder) book for the default-risk score (issue 11); no protected attributes

Revision ID: 20261128_cardholder
Revises: 20261128_task_rank
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "20261128_cardholder"
down_revision = "20261128_task_rank"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cardholder",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.Column("bills", sa.JSON(), nullable=False),
        sa.Column("paid", sa.JSON(), nullable=False),
        sa.Column("defaulted", sa.Integer(), nullable=True),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "code", name="pk_cardholder"),
    )


def downgrade() -> None:
    op.drop_table("cardholder")
