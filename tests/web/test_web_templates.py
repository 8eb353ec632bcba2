"""The template admin page: the list of templates with the version in use, the editor with a preview
against a real customer (errors next to their field, zh and en), saving a new version only after a
clean preview, and the version history."""

from __future__ import annotations

import re
from typing import Any

from huikuan.services import templates, users

URL = "/admin/templates/overdue_8_14/email/zh"
GOOD = ("{% block subject %}付款提醒 {{ amount }}{% endblock %}\n"
        "{% block body %}{{ contact }}，您好：贵司 {{ customer }} 的欠款 {{ amount }} 已逾期 {{ days_past_due }} 天。{% endblock %}")


def _field_error(html: str, field: str) -> str:
    m = re.search(rf'<p class="field-error" data-field="{field}">([^<]*)</p>', html)
    assert m, f"no error next to {field}"
    return m.group(1)


def test_the_list_shows_every_template_with_the_version_in_use(client_for: Any, ledger: Any) -> None:
    admin = client_for("admin")
    page = admin.get("/admin/templates")
    assert page.status_code == 200
    for stage, channel, lang in ledger.templates().shipped_keys():
        assert f'href="/admin/templates/{stage}/{channel}/{lang}"' in page.text
    assert "系统自带" in page.text
    assert client_for("supervisor").get("/admin/templates").status_code == 403
    assert client_for("supervisor").get(URL).status_code == 403


def test_preview_with_a_real_customer_then_save_a_new_version(client_for: Any, ledger: Any) -> None:
    admin = client_for("admin")
    editor = admin.get(URL)
    assert editor.status_code == 200 and "第二次逾期提醒" in editor.text  # the shipped source, in use
    shown = admin.post(URL, data={"source": GOOD, "customer": "KH1", "op": "preview", "csrf_token": admin.csrf})
    assert shown.status_code == 200
    preview = shown.text[shown.text.index('data-testid="preview"'):]
    assert "付款提醒 ¥15,000.00" in preview and "刘会计，您好：贵司 成都蓉信商贸有限公司" in preview
    saved = admin.post(URL, data={"source": GOOD, "customer": "KH1", "op": "save", "csrf_token": admin.csrf},
                       follow_redirects=False)
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"])
    assert "第 1 版" in page.text and "当前使用：v1" in page.text
    history = page.text[page.text.index('data-testid="history"'):]
    assert history.index("v1") < history.index("系统自带")  # newest first, the shipped one kept
    assert [v.version for v in templates.versions(ledger, "overdue_8_14", "email", "zh")] == [1, 0]
    assert templates.versions(ledger, "overdue_8_14", "email", "zh")[0].created_by == admin.user_name
    old = admin.get(URL + "?version=0")
    assert "第二次逾期提醒" in old.text and "编辑的是 系统自带" in old.text
    listing = admin.get("/admin/templates").text
    row = listing[listing.index('href="' + URL + '"'):]
    assert row.index("v1") < row.index("</tr>")


def test_a_missing_variable_or_an_unknown_customer_fails_the_preview_next_to_its_field(client_for: Any,
                                                                                       ledger: Any) -> None:
    admin = client_for("admin")
    bad = GOOD.replace("{{ customer }}", "{{ customer_nickname }}")
    r = admin.post(URL, data={"source": bad, "customer": "KH1", "op": "save", "csrf_token": admin.csrf})
    assert r.status_code == 422 and "customer_nickname" in _field_error(r.text, "source")
    assert "customer_nickname" in r.text  # the edit is kept in the form
    r = admin.post(URL, data={"source": GOOD, "customer": "NOPE", "op": "preview", "csrf_token": admin.csrf})
    assert r.status_code == 422 and "NOPE" in _field_error(r.text, "customer")
    r = admin.post(URL, data={"source": "{% block body %}{{ amount }", "customer": "KH1", "op": "preview",
                              "csrf_token": admin.csrf})
    assert r.status_code == 422 and _field_error(r.text, "source")
    assert templates.versions(ledger, "overdue_8_14", "email", "zh")[0].version == 0  # nothing saved
    uid = next(u.id for u in users.list_users(ledger) if u.name == admin.user_name)  # type: ignore[attr-defined]
    users.set_language(ledger, uid, "en")
    r = admin.post(URL, data={"source": GOOD, "customer": "", "op": "preview", "csrf_token": admin.csrf})
    assert r.status_code == 422 and _field_error(r.text, "customer") == "Give the code of the customer to preview with"
    assert "Preview with this customer" in r.text
