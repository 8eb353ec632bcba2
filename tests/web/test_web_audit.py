"""The audit trail: each change writes one row in the same transaction, and no row can be changed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from web_helpers import PASSWORD

from huikuan.services import audit, users


def test_user_changes_are_audited(ledger):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD, person="张伟", actor="admin1")
    users.set_roles(ledger, "zhang", ["collector", "sales"], actor="admin1")
    users.set_disabled(ledger, "zhang", True, actor="admin1")
    users.issue_token(ledger, "zhang", actor="admin1")
    rows = audit.find(ledger, entity_key="zhang")
    assert [r.action for r in rows] == ["user.token_issued", "user.disabled", "user.roles_changed", "user.added"]
    changed = rows[2]
    assert changed.actor == "admin1"
    assert changed.before["roles"] == ["collector"] and changed.after["roles"] == ["collector", "sales"]


def test_reassign_is_audited_with_before_and_after(client_for, ledger):
    c = client_for("supervisor", name="boss")
    r = c.post("/today/reassign", data={"collector": "李娜", "customers": ["KH1"], "csrf_token": c.csrf},
               follow_redirects=False)
    assert r.status_code == 303
    row = audit.find(ledger, action="customer.reassigned")[0]
    assert (row.actor, row.entity_key, row.before, row.after) == ("boss", "KH1", {"collector": "张伟"},
                                                                   {"collector": "李娜"})


def test_a_failed_change_leaves_no_audit_row(ledger):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    n = len(audit.find(ledger, limit=1000))
    with pytest.raises(Exception):  # noqa: B017 — a duplicate user: the service refuses it
        users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    assert len(audit.find(ledger, limit=1000)) == n


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"])
def test_audit_rows_cannot_be_changed_even_with_sql(ledger, sql):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as c:
        c.execute(text(sql))
    assert audit.find(ledger)[0].actor == "cli"


def test_the_repository_offers_no_way_to_change_a_row(ledger):
    with ledger.uow() as uow:
        repo = uow.audit
        assert not [m for m in dir(repo) if m.startswith(("update", "delete", "remove", "set", "put"))]
