"""communications: outbox events (guard refusals, dead letters) for the timeline; the collector's e-mail

Revision ID: 20261128_comms_events
Revises: 20261127_aging_snapshot
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "20261128_comms_events"
down_revision = "20261127_aging_snapshot"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["company_id", "customer_id"], ["customer.company_id", "customer.id"],
                                name="fk_outbox_event_customer"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    op.create_index("ix_outbox_event_customer", "outbox_event", ["company_id", "customer_id", "at"])
    with op.batch_alter_table("app_user") as b:
        b.add_column(sa.Column("email", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as b:
        b.drop_column("email")
    op.drop_index("ix_outbox_event_customer", table_name="outbox_event")
    op.drop_table("outbox_event")
