"""``huikuan serve`` (the web workbench and API) and ``huikuan user add|passwd|disable|list|token``."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from ...services import users as svc
from .common import console, state, tr
from .main import app


def _app() -> Any:
    return getattr(state, "app")()  # noqa: B009 — typed as Any whatever state.app's annotation is


user_app = typer.Typer(help="工作台用户 / workbench users", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / address to listen on"),
    port: int = typer.Option(8000, "--port", help="端口 / port"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="进程数 / worker processes"),
    run_at: str = typer.Option("06:30", "--run-at",
                               help="每日运行的本地时间，off 不运行 / local time of the daily run, off for none"),
) -> None:
    """启动网页工作台和 REST API / serve the web workbench and the REST API."""
    from ..web.server import parse_run_at, serve

    a = _app()
    at = parse_run_at(run_at)
    console().print(tr("serve.listening", host=host, port=port))
    if at is not None:
        console().print(tr("serve.run_at", at=at.strftime("%H:%M"), tz=a.settings.timezone))
    serve(a, host, port, workers, at)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt(tr("user.password_prompt"), hide_input=True)
    second = typer.prompt(tr("user.password_prompt"), hide_input=True)
    if first != second:
        from ...domain.errors import InvalidInput

        raise InvalidInput("user.password_mismatch")
    return str(first)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名 / user name"),
    role: list[str] = typer.Option(..., "--role", help="角色，可重复 / role, repeatable"),
    collector_name: str = typer.Option(None, "--collector-name",
                                       help="客户上的收款员/业务员姓名 / name as on customers"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读密码 / read the password from stdin"),
    email: str = typer.Option(None, "--email", help="本人邮箱：其客户的催收邮件的回复地址 / own e-mail: the Reply-To "
                                                    "of the reminders to their customers"),
) -> None:
    """添加用户 / add a user."""
    a = _app()
    svc.add_user(a, name, role, _password(password_stdin), person=collector_name, actor=state.by().actor,
                 email=email)
    console().print(tr("user.added", name=name, roles=", ".join(tr(f"role.{r}") for r in role)))


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(...),
                password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """修改密码（并退出该用户的所有登录）/ change a password (and sign that user out everywhere)."""
    svc.set_password(_app(), name, _password(password_stdin), actor=state.by().actor)
    console().print(tr("user.password_set", name=name))


@user_app.command("disable")
def user_disable(name: str = typer.Argument(...)) -> None:
    """停用用户 / disable a user."""
    svc.set_disabled(_app(), name, True, actor=state.by().actor)
    console().print(tr("user.disabled_done", name=name))


@user_app.command("list")
def user_list() -> None:
    """列出用户 / list users."""
    rows = svc.list_users(_app())
    t = Table(title=tr("user.list.title", count=len(rows)))
    for col in ("user.col.name", "user.col.roles", "user.col.person", "user.col.state"):
        t.add_column(tr(col))
    for u in rows:
        st = tr("user.state.disabled") if u.disabled else (
            tr("user.state.locked", until=u.locked_until.isoformat(timespec="minutes")) if u.locked_until
            else tr("user.state.active"))
        t.add_row(u.name, ", ".join(tr(f"role.{r}") for r in u.roles), u.person or "-", st)
    console().print(t)


@user_app.command("token")
def user_token(name: str = typer.Argument(...)) -> None:
    """生成新的 API 令牌，只显示一次 / print a new API token (shown once, stored hashed)."""
    typer.echo(svc.issue_token(_app(), name, actor=state.by().actor))


@user_app.command("demo")
def user_demo() -> None:
    """演示用户：每个角色一个，并打印登录信息 / one demo user per role; prints the sign-ins."""
    rows = svc.ensure_demo_users(_app())
    t = Table(title=tr("user.demo.title", password=svc.DEMO_PASSWORD))
    for col in ("user.col.roles", "user.col.name", "user.col.password", "user.col.person"):
        t.add_column(tr(col))
    for role, name, person in rows:
        t.add_row(tr(f"role.{role}"), name, svc.DEMO_PASSWORD, person or "-")
    console().print(t)
