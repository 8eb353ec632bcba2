"""The enqueue's reads of many customers (the daily run's next day: ~10^5) read one id range and keep the
ids asked for; few are read in IN lists. Both give what the plain full-row read gives, for exactly the
customers asked (issue 6, next-day performance). Both backends."""

from __future__ import annotations

import pytest

from huikuan.adapters.db import outbox_repo
from huikuan.bootstrap import App
from huikuan.services.import_ import import_rows


@pytest.mark.parametrize("many", [1, 2_000])
def test_customers_and_contacts_of_many_ids_are_those_asked_for(app: App, many: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_repo, "MANY", many)
    codes = [f"K{i}" for i in range(9)]
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "type": "export" if i % 3 else "dealer",
                                    "collector": "王芳" if i % 2 else ""} for i, c in enumerate(codes)])
    import_rows(app, "contacts", [{"customer_code": c, "name": f"联系人{c}{j}", "role": "finance",
                                   "phone": f"1381234{i}{j}00", "email": f"{c}{j}@example.cn"}
                                  for i, c in enumerate(codes) for j in range(i % 3)])
    with app.uow(write=False) as uow:
        ids = uow.collect.customer_ids()
        asked = [ids[1], ids[2], ids[5], ids[8]]  # gaps: the range read must drop ids[3], ids[4] …
        full = uow.outbox.customers(asked)
        lean = uow.outbox.customers(asked, for_messages=True)
        contacts = uow.outbox.contacts(asked)
        every = uow.outbox.contacts(ids)
    assert sorted(lean) == sorted(full) == asked
    for cid, row in lean.items():
        assert tuple(row) == (full[cid].id, full[cid].code, full[cid].name, full[cid].type, full[cid].collector,
                              full[cid].guard_profile)
    assert set(contacts) == {cid for cid in asked if cid in every}
    assert {cid: [k.id for k in ks] for cid, ks in contacts.items()} == {
        cid: [k.id for k in every[cid]] for cid in contacts}
    assert sum(len(ks) for ks in contacts.values()) >= 3
