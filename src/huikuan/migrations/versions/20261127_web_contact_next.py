"""activity: the next step and its date, from the workbench's contact form

Revision ID: 20261127_web_contact_next
Revises: 20261127_analytics
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "20261127_web_contact_next"
down_revision = "20261127_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_step", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("next_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("next_on")
        batch_op.drop_column("next_step")
