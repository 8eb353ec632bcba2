"""The demo's order-desk story (issue 10's "done when"): a 送二结一 dealer who already has a delivery
out and unpaid, so that the clerk's credit check of the next order answers ``hold`` with the 送二结一
reason, a supervisor can approve an override, and the same check then answers ``allow`` naming it.

Kept apart from the generator (``demo_data``): a fixed, named story rather than random data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .credit import record_delivery, record_order
from .import_ import import_rows

DEALER = "DL-DEMO"
NEXT_ORDER = "SO-DEMO-002"


def add_demo_dealer(app: Any, today: date) -> dict[str, str]:
    """The dealer, its first order delivered five days ago (signed, not yet paid) and its next order."""
    import_rows(app, "customers", [{
        "客户编号": DEALER, "客户名称": "郑州豫丰建材经销部", "客户类型": "dealer", "付款条件": "账期30天",
        "信用额度": "200000", "送二结一": "是", "业务员": "王芳", "客户分类": "华中",
    }], source="demo")
    import_rows(app, "contacts", [
        {"客户编号": DEALER, "联系人": "赵老板", "角色": "owner", "电话": "13900000001"},
        {"客户编号": DEALER, "联系人": "孙会计", "角色": "finance", "电话": "13900000002"},
    ], source="demo")
    shipped = today - timedelta(days=5)
    record_order(app, "SO-DEMO-001", DEALER, shipped - timedelta(days=2), 36_000_00)
    record_delivery(app, "SH-DEMO-001", DEALER, shipped, 36_000_00, order="SO-DEMO-001", signed_by="赵老板",
                    signed_on=shipped)
    record_order(app, NEXT_ORDER, DEALER, today, 28_000_00)
    return {"dealer": DEALER, "order": NEXT_ORDER, "amount": "28000"}
