"""``huikuan user ...`` as an administrator types it, and ``serve``'s time option."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.entrypoints.cli.main import main
from huikuan.entrypoints.web.app import next_run_at
from huikuan.entrypoints.web.server import parse_run_at
from huikuan.services import audit, users


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_user_add_list_token_disable(cli, app):
    code, out, err = cli("user", "add", "张伟", "--role", "collector", "--role", "sales", "--collector-name", "张伟",
                         "--password-stdin", stdin="a-long-password\n")
    assert code == 0, err
    assert "已添加用户 张伟" in out
    code, out, _ = cli("user", "list")
    assert "张伟" in out and "收款员" in out and "启用" in out
    code, token, _ = cli("user", "token", "张伟")
    token = token.strip()
    assert code == 0 and token.startswith("hk_") and "\n" not in token
    p = users.principal_for_token(app, token)
    assert p is not None and p.roles == ("collector", "sales") and p.person == "张伟"
    assert users.authenticate(app, "张伟", "a-long-password").name == "张伟"
    assert cli("user", "disable", "张伟")[0] == 0
    assert users.principal_for_token(app, token) is None
    assert [r.action for r in audit.find(app, entity_key="张伟")][-1] == "user.added"


def test_bad_input_is_one_clear_line(cli):
    code, _, err = cli("user", "add", "x", "--role", "boss", "--password-stdin", stdin="a-long-password\n")
    assert code == 2 and "boss" in err and "Traceback" not in err
    code, _, err = cli("user", "add", "x", "--role", "owner", "--password-stdin", stdin="short\n")
    assert code == 2 and "至少 8 个字符" in err
    code, _, err = cli("user", "passwd", "nobody", "--password-stdin", stdin="a-long-password\n")
    assert code == 2 and "找不到用户" in err


def test_demo_users_one_per_role(cli, app):
    code, out, _ = cli("user", "demo")
    assert code == 0 and users.DEMO_PASSWORD in out
    names = {u.name for u in users.list_users(app)}
    assert {"collector", "owner", "finance", "admin", "auditor"} <= names
    assert cli("user", "demo")[0] == 0  # again: nothing changes


def test_run_at_parsing_and_next_time():
    assert parse_run_at("06:30") == time(6, 30) and parse_run_at("off") is None
    with pytest.raises(InvalidInput):
        parse_run_at("6h30")
    # 2026-11-23 01:00 UTC is 09:00 in Shanghai: the next 06:30 is tomorrow, 22:30 UTC today.
    nxt = next_run_at(datetime(2026, 11, 23, 1, 0, tzinfo=UTC), time(6, 30), "Asia/Shanghai")
    assert nxt.astimezone(UTC) == datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
    nxt = next_run_at(datetime(2026, 11, 22, 22, 0, tzinfo=UTC), time(6, 30), "Asia/Shanghai")
    assert nxt.astimezone(UTC) == datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
