"""the daily run checks open tasks only for customers marked in aging_dirty: mark every customer with an
open task once, so the first run after this upgrade checks them all (issue 6 performance, ADR 0008)

Revision ID: 20261130_run_task_marks
Revises: 20261129_web_latency
Create Date: 2026-11-30
"""
from alembic import op

revision = "20261130_run_task_marks"
down_revision = "20261129_web_latency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before this revision a rebuild cleared every mark it saw, also one made while the run that rebuilt was
    # deciding (after it had checked that customer's tasks): such a customer's tasks were never checked
    # again. Marking every customer with an open task makes the next run check them all, once.
    op.execute("INSERT INTO aging_dirty (company_id, customer_id) "
               "SELECT DISTINCT company_id, customer_id FROM action WHERE status = 'open' "
               "ON CONFLICT (company_id, customer_id) DO UPDATE SET version = aging_dirty.version + 1")


def downgrade() -> None:
    pass  # marks only make readers and the run recompute a customer: nothing to undo
