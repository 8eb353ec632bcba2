"""indexes for the workbench at 10^6 invoices: Today's order, a customer's open tasks, approvals waiting,
the dashboard's top overdue customers

Revision ID: 20261128_web_worklist_indexes
Revises: 20261128_comms_events
Create Date: 2026-11-28

- ``ix_action_worklist`` (company, status, amount, id) is Today's order (read backwards; ties on an amount
  sorted by id within it): a page of 50 is read off the
  index instead of sorting every open task (~400,000 at 10^5 customers); ``ix_action_role_worklist`` the
  same within one role (a collector's few thousand tasks among owners' and managers' hundreds of thousands).
- ``ix_action_customer_open`` finds one customer's open tasks (customer 360, logging a contact) without
  walking every open task.

SQLite plans without statistics (no ANALYZE is run): the queries are written so that these indexes win
on the planner's default estimates (see collect_repo.open_tasks and close_tasks).
- ``ix_action_open`` gains ``needs_approval`` before ``run_on``: the approvals count and the daily run's
  supersede queries, which all name it, read only their part.
- ``ix_aging_snapshot_overdue``: the dashboard's top overdue customers off the snapshot.
"""
from alembic import op

revision = "20261128_web_worklist_indexes"
down_revision = "20261128_comms_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_action_open", table_name="action")
    op.create_index("ix_action_open", "action", ["company_id", "status", "needs_approval", "run_on"])
    op.create_index("ix_action_worklist", "action", ["company_id", "status", "amount_minor", "id"])
    op.create_index("ix_action_role_worklist", "action", ["company_id", "status", "assignee_role", "amount_minor", "id"])
    op.create_index("ix_action_customer_open", "action", ["company_id", "customer_id", "status", "needs_approval"])
    op.create_index("ix_aging_snapshot_overdue", "aging_snapshot", ["company_id", "currency", "overdue"])


def downgrade() -> None:
    op.drop_index("ix_aging_snapshot_overdue", table_name="aging_snapshot")
    op.drop_index("ix_action_customer_open", table_name="action")
    op.drop_index("ix_action_role_worklist", table_name="action")
    op.drop_index("ix_action_worklist", table_name="action")
    op.drop_index("ix_action_open", table_name="action")
    op.create_index("ix_action_open", "action", ["company_id", "status", "run_on"])
