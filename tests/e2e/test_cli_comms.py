"""The communications commands as a user meets them: send --once (server down: exit 0, messages stay
queued, the summary says so; a mail folder), outbox --json, guard check --json."""

from __future__ import annotations

import json
import socket

import pytest

from huikuan.entrypoints.cli.main import main

CUSTOMERS = ("customer_code,name,type,terms,credit_limit,collector\n"
             "KH1,成都蓉信商贸有限公司,dealer,net 30,50000,张伟\nXS1,王小明,student,net 30,0,李娜\n")
INVOICES = "发票号,客户编号,开票日期,金额\nA1,KH1,2026-10-10,12000\nS1,XS1,2026-10-01,800\n"
CONTACTS = ("customer_code,name,role,email,phone\nKH1,刘会计,finance,liu@example.com,13800001111\n"
            "XS1,王小明,owner,,13800002222\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUIKUAN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HUIKUAN_SMTP_PORT", str(_free_port()))
    monkeypatch.setenv("HUIKUAN_SMTP_PASSWORD", "s3cret-never-shown")
    monkeypatch.setenv("HUIKUAN_SMS_DIR", str(tmp_path / "sms"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    for kind, text in (("customers", CUSTOMERS), ("invoices", INVOICES), ("contacts", CONTACTS)):
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        assert run("import", kind, str(tmp_path / f"{kind}.csv"))[0] == 0
    assert run("run", "--as-of", "2026-11-23")[0] == 0
    return run


def test_send_once_with_the_server_down_exits_0_and_keeps_the_messages(cli):
    code, out, err = cli("send", "--once", "--at", "2026-12-02T15:31+08:00")
    assert code == 0, err
    assert "稍后自动重试" in out and "s3cret" not in out + err
    code, out, _ = cli("outbox", "--status", "failed", "--json")
    rows = json.loads(out)
    assert code == 0 and rows and all(r["error_code"] == "smtp.unavailable" for r in rows)
    assert {r["to"] for r in rows} == {"liu@example.com"}
    code, out, _ = cli("--lang", "en", "send", "--once", "--json", "--at", "2026-12-02T15:31+08:00")
    assert json.loads(out)["claimed"] == 0  # backing off: not due again yet


def test_send_to_a_mail_folder(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIKUAN_MAIL_DIR", str(tmp_path / "mail"))
    code, out, _ = cli("send", "--once", "--json", "--at", "2026-12-02T15:31+08:00")
    assert code == 0 and json.loads(out)["sent"] >= 1
    eml = sorted((tmp_path / "mail").glob("*.eml"))
    assert eml and b"liu@example.com" in eml[0].read_bytes()
    code, out, _ = cli("outbox", "--status", "sent")
    assert code == 0 and "已发送" in out
    code, out, _ = cli("outbox", "--status", "sent", "--json")
    assert {r["to"] for r in json.loads(out)} == {"liu@example.com"}
    code, _, err = cli("outbox", "--status", "lost")
    assert code == 2 and "lost" in err


def test_guard_check_json(cli):
    code, out, _ = cli("guard", "check", "XS1", "--channel", "sms", "--at", "2026-11-27T22:30+08:00", "--json")
    doc = json.loads(out)
    assert code == 0 and set(doc) == {"allowed", "rule", "reason", "next_allowed_at"}
    assert doc["allowed"] is False and doc["rule"] == "consumer_cn.quiet_hours"
    assert doc["next_allowed_at"] == "2026-11-28T08:00:00+08:00"
    # the reason for people: the moment short and local, as the workbench shows it (next_allowed_at is the data)
    assert doc["reason"] == "22:00–08:00 禁止催收联系（只允许 08:00–22:00）；11月28日 08:00 后可再联系"
    code, out, _ = cli("guard", "check", "KH1", "--channel", "phone", "--at", "2026-11-27T15:30+08:00", "--json")
    assert json.loads(out) == {"allowed": True, "rule": None, "reason": "允许联系", "next_allowed_at": None}
    code, out, _ = cli("guard", "check", "KH1", "--channel", "fax", "--at", "2026-11-27T15:30+08:00")
    assert code == 2
    code, _, err = cli("guard", "check", "NOPE", "--channel", "sms")
    assert code == 2 and "NOPE" in err


def test_template_preview_fails_on_a_missing_variable_and_saves_a_version_the_messages_record(cli, tmp_path, db_url):
    bad = tmp_path / "bad.j2"
    bad.write_text("{% block subject %}提醒 {{ amount }}{% endblock %}{% block body %}{{ nosuchvar }}{% endblock %}",
                   encoding="utf-8")
    code, _, err = cli("template", "preview", "overdue_8_14", "--customer", "KH1", "--file", str(bad), "--save")
    assert code == 2 and "nosuchvar" in err
    good = tmp_path / "good.j2"
    good.write_text("{% block subject %}付款提醒 {{ amount }}{% endblock %}{% block body %}请于本周付款 {{ amount }}。"
                    "{% endblock %}", encoding="utf-8")
    code, out, _ = cli("template", "preview", "supervisor", "--customer", "KH1", "--file", str(good), "--save")
    assert code == 0 and "付款提醒 ¥12,000.00" in out and "第 1 版" in out
    for day in ("2026-11-24", "2026-11-25"):  # the supervisor's daily e-mail starts on the 25th, in version 1
        assert cli("run", "--as-of", day)[0] == 0
    code, out, _ = cli("outbox", "--json")
    rows = [r for r in json.loads(out) if r["stage"] == "supervisor" and r["customer"] == "KH1"]
    assert rows and all(r["template_version"] == 1 and r["subject"] == "付款提醒 ¥12,000.00" for r in rows)
    assert {r["template_version"] for r in json.loads(out) if r["stage"] == "overdue_8_14" and r["customer"] == "KH1"} == {0}


def test_customer_show_lists_the_guards_refusals_and_dead_letters(cli, monkeypatch):
    code, out, err = cli("send", "--once", "--json", "--customer", "KH1", "--at", "2026-12-02T22:30+08:00")
    assert code == 0, err
    held = json.loads(out)["deferred"]
    assert held >= 1  # KH1's e-mails, after hours; XS1's messages were not asked
    code, out, _ = cli("customer", "show", "KH1")
    assert code == 0 and "被合规检查拦截或未投递的消息" in out and "工作时间外" in out and "2026-12-02 22:30" in out
    assert "b2b_cn.hours" not in out  # the rule by its name, not its code (the --json keeps the code)
    code, out, _ = cli("--lang", "en", "customer", "show", "KH1")
    assert "Messages refused by the guard or undelivered" in out and "held, sent later" in out
    code, out, _ = cli("customer", "show", "KH1", "--json")
    refusals = json.loads(out)["refusals"]
    assert [(r["kind"], r["channel"], r["rule"], r["status"]) for r in refusals] == [
        ("refused", "email", "b2b_cn.hours", "queued")] * held
    assert refusals[0]["at"].startswith("2026-12-02T14:30") and refusals[0]["reason"]
    # stored as the sender wrote it (the moment as ISO text); the terminal words it for its reader
    assert refusals[0]["reason"].endswith("下次允许联系时间：2026-12-03T09:00+08:00")
    monkeypatch.setenv("COLUMNS", "300")  # table cells on one line
    for args, said in ((("--lang", "en", "customer", "show", "KH1"),
                        "outside working hours 09:00–18:00; allowed again from 3 Dec 09:00"),
                       (("outbox",), "不在工作时间 09:00–18:00 内；12月3日 09:00 后可再联系"),
                       (("--lang", "en", "outbox"), "outside working hours 09:00–18:00; allowed again from 3 Dec 09:00"),
                       (("customer", "show", "KH1"), "不在工作时间 09:00–18:00 内；12月3日 09:00 后可再联系")):
        code, out, _ = cli(*args)
        assert code == 0 and said in out and "T09:00" not in out, (args, out)
    code, out, err = cli("send", "--once", "--customer", "NOPE")
    assert code == 2 and "NOPE" in out + err
