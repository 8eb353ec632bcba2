"""the run's holder (pid, host) and its lease (heartbeat), so a dead run's lock is taken over

Revision ID: 20261127_run_lease
Revises: 20261127_outbox
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "20261127_run_lease"
down_revision = "20261127_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=False), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
