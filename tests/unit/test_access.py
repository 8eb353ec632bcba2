"""Scope and masking rules of the workbench (domain.access): who sees which customers, and what of their
contacts' personal data."""

from __future__ import annotations

import pytest

from huikuan.domain.access import Scope, mask_email, mask_phone, mask_text, scope_for, sees_unmasked
from huikuan.domain.ledger import Role


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"),
    ("138-1234-5678", "138-****-5678"),
    ("021-6543210", "021-***3210"),
    ("12345", "*****"),
    ("", ""),
    (None, None),
])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_mask_email_and_text():
    assert mask_email("liu@rongxin.cn") == "l***@rongxin.cn"
    assert mask_text("110101199003077777") == "11**************77"
    assert mask_text("北京市朝阳区") == "北****区"


def test_scope_of_roles():
    assert scope_for(["collector"], "张伟") == Scope(False, "张伟", True, False)
    assert scope_for(["sales", "collector"], "王强") == Scope(False, "王强", True, True)
    assert scope_for(["collector", "supervisor"], "张伟").everything
    for r in (Role.OWNER, Role.FINANCE, Role.AUDITOR, Role.ADMIN, Role.GM):
        assert scope_for([r], None).everything
    s = scope_for(["collector"], "张伟")
    assert s.covers("张伟", None) and not s.covers("李娜", "张伟")
    assert scope_for(["sales"], "王强").covers(None, "王强")
    assert not scope_for(["collector"], None).covers(None, None)  # a collector without a name sees nothing


def test_who_sees_personal_data():
    assert sees_unmasked(["collector"], works_customer=True)
    assert not sees_unmasked(["collector"], works_customer=False)
    assert sees_unmasked(["owner"], works_customer=False)
    assert not sees_unmasked(["auditor"], works_customer=False)
    assert not sees_unmasked(["admin"], works_customer=False)
