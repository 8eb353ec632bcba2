"""The ``huikuan`` command. Commands live in one module per area and register on ``app``;
errors are mapped to text and exit codes here, in one place (never a traceback to a user).

Exit codes: 0 ok, 1 a run finished with customer errors, 2 bad input / not found / rule,
3 conflict (another run holds the lock), 4 unexpected failure (logged with details).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from ... import i18n
from ...domain.errors import Conflict, HuikuanError, ImportRejected, PolicyInvalid
from .common import console_err, state, write_crash_log

app = typer.Typer(
    name="huikuan",
    help="回款 — 应收账款催收与信用管理 / receivables collection and credit control",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    lang: str = typer.Option(None, "--lang", help="zh-CN（默认）或 en / zh-CN (default) or en"),
    database_url: str = typer.Option(None, "--database-url", envvar=None, help="覆盖数据库连接 / override database URL"),
) -> None:
    from ...config import check_database_url, check_locale

    state.lang_override = lang
    state.database_url_override = database_url
    if lang is not None:
        check_locale(lang, "--lang")
    if database_url is not None:
        check_database_url(database_url, "--database-url")


def _register() -> None:
    # Each area module adds its commands to ``app``; order is the order in --help.
    from . import collect, disputes, imports, reports  # noqa: F401

    for optional in ("calendar_cmds", "credit_cmds", "demo", "bench_cmd", "web_cmds", "analytics", "comms"):
        try:
            __import__(f"{__package__}.{optional}")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{optional}":
                raise


def _print_problems(problems: list[Any], lang: str) -> None:
    from .common import print_problems

    print_problems(problems, lang)


def main(argv: list[str] | None = None) -> int:
    from .usage_i18n import lang_from_argv, localise_help, usage_error_text

    _register()
    state.reset()
    given = lang_from_argv(sys.argv[1:] if argv is None else argv)
    usage_lang = i18n.lang_of(given) if given else state.lang
    localise_help(usage_lang)
    try:
        app(args=argv, standalone_mode=False, prog_name="huikuan")
        return state.exit_code
    except ImportRejected as e:
        _print_problems(e.problems, state.lang)
        console_err().print(i18n.error_text(e, state.lang))
        return 2
    except PolicyInvalid as e:
        _print_problems(e.problems, state.lang)
        console_err().print(i18n.error_text(e, state.lang))
        return 2
    except Conflict as e:
        console_err().print(i18n.error_text(e, state.lang))
        return 3
    except HuikuanError as e:
        console_err().print(i18n.error_text(e, state.lang))
        return 2
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        return 130
    except typer.TyperException as e:  # usage mistakes: unknown command, missing option, bad value
        from typer._click.exceptions import NoArgsIsHelpError

        if isinstance(e, NoArgsIsHelpError) or not hasattr(e, "show"):
            e.show()  # type: ignore[attr-defined]
        else:
            sys.stderr.write(usage_error_text(e, usage_lang))
        return int(getattr(e, "exit_code", 2))
    except Exception as e:  # noqa: BLE001 — the one boundary where an unexpected error becomes a message
        import traceback

        from sqlalchemy.exc import InterfaceError, OperationalError

        if isinstance(e, OperationalError | InterfaceError) and state.app_failed_to_connect(e):
            console_err().print(i18n.t("cli.db_unreachable", state.lang, url=state.safe_url(),
                                       reason=str(e.orig).splitlines()[0] if e.orig else type(e).__name__))
            return 2
        try:
            log = write_crash_log("".join(traceback.format_exception(e)))
        except Exception as log_error:  # noqa: BLE001 — still one line, never a traceback
            console_err().print(i18n.t("cli.unexpected_no_log", state.lang, detail=type(e).__name__,
                                       reason=f"{type(log_error).__name__}: {log_error}"))
            return 4
        console_err().print(i18n.t("cli.unexpected", state.lang, log=str(log), detail=type(e).__name__))
        return 4


def run() -> None:
    sys.exit(main())
