"""task_rank: the open tasks ranked by expected value on a day (issue 11), for the Today page and the API

Revision ID: 20261128_task_rank
Revises: 20261128_web_worklist_indexes
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "20261128_task_rank"
down_revision = "20261128_web_worklist_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_rank",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("ranked_on", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "action_id", name="pk_task_rank"),
    )


def downgrade() -> None:
    op.drop_table("task_rank")
