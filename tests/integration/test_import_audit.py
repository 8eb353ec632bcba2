"""Every import is audited in its own transaction (issue 8, ARCHITECTURE §9): the command line as
``cli:<OS user>``, the workbench and the API as the signed-in user, anything else as ``system``. The row
commits with the import or not at all. Both backends."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.adapters.db.web_repo import AuditRepo
from huikuan.domain.errors import ImportRejected
from huikuan.entrypoints.cli.main import main
from huikuan.services import audit
from huikuan.services.import_ import import_rows

CUSTOMERS = "customer_code,name,terms\nC1,甲公司,net 30\nC2,乙公司,net 30\n"


def _count(app, table) -> int:  # type: ignore[no-untyped-def]
    with app.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_cli_import_is_audited_as_the_os_user(app, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    assert main(["--database-url", app.settings.database_url, "import", "customers", str(path)]) == 0
    rows = audit.find(app, action=audit.IMPORT_DONE)
    assert len(rows) == 1
    assert rows[0].actor == audit.cli_actor(getpass.getuser())
    assert rows[0].entity_key == "customers:customers.csv"
    assert rows[0].after["inserted"] == 2 and rows[0].after["rows"] == 2


def test_an_import_and_its_audit_row_commit_together(app, monkeypatch):
    def fails(self, **values):  # type: ignore[no-untyped-def]
        raise RuntimeError("the audit log is unwritable")

    monkeypatch.setattr(AuditRepo, "add", fails)
    with pytest.raises(RuntimeError):
        import_rows(app, "customers", [{"customer_code": "C1", "name": "甲", "terms": "net 30"}],
                    by=audit.By("finance", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    assert _count(app, t.customer) == 0  # no audit row, no import
    monkeypatch.undo()
    import_rows(app, "customers", [{"customer_code": "C1", "name": "甲", "terms": "net 30"}], source="api",
                by=audit.By("finance", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    (row,) = audit.find(app, action=audit.IMPORT_DONE)
    assert (row.actor, row.entity_key, row.after["inserted"]) == ("finance", "customers:api", 1)


def test_a_refused_import_leaves_no_audit_row(app):
    with pytest.raises(ImportRejected):
        import_rows(app, "customers", [{"customer_code": "", "name": "甲"}])
    assert audit.find(app, action=audit.IMPORT_DONE) == []
