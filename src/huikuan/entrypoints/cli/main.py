"""The ``huikuan`` command. Commands live in one module per area and register on ``app``;
errors are mapped to text and exit codes here, in one place (never a traceback to a user).

Exit codes: 0 ok, 1 a run finished with customer errors, 2 bad input / not found / rule,
3 another daily run holds the run lock (nothing else exits 3), 4 unexpected failure (logged with details),
130 interrupted by Ctrl-C, 143 by SIGTERM (work rolled back, a run marked interrupted, its lock freed).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import typer

from ... import i18n
from ...domain.errors import HuikuanError, ImportRejected, PolicyInvalid, RunLocked, caused_by_interrupt
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


_signals: list[int] = []  # the signals that interrupted this invocation


def _on_signal(signum: int, frame: object) -> None:
    """Ctrl-C and SIGTERM both unwind as KeyboardInterrupt, so the same clean-up runs (rollback, a run
    marked interrupted, its lock freed); the exit code says which one it was (128 + signal)."""
    _signals.append(signum)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    _signals.clear()
    handled = (signal.SIGINT, signal.SIGTERM)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _on_signal) for s in handled} if in_main_thread else {}
    try:
        try:
            rc = _main(argv)
        except KeyboardInterrupt:
            rc = 130
        return _interrupted() if _signals or rc == 130 else rc
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _interrupted() -> int:
    console_err().print(i18n.t("cli.interrupted", state.lang))
    return 128 + (_signals[0] if _signals else signal.SIGINT)


def _main(argv: list[str] | None) -> int:
    from .usage_i18n import lang_from_argv, localise_help, usage_error_text

    state.reset()
    given = lang_from_argv(sys.argv[1:] if argv is None else argv)
    usage_lang = i18n.lang_of(given) if given else state.lang
    localise_help(usage_lang)
    try:
        _register()
        rv = app(args=argv, standalone_mode=False, prog_name="huikuan")
        # Typer turns Ctrl-C into its Exit(130) and, outside standalone mode, returns that code.
        return rv if isinstance(rv, int) and rv != 0 else state.exit_code
    except ImportRejected as e:
        _print_problems(e.problems, state.lang)
        console_err().print(i18n.error_text(e, state.lang))
        return 2
    except PolicyInvalid as e:
        _print_problems(e.problems, state.lang)
        console_err().print(i18n.error_text(e, state.lang))
        return 2
    except RunLocked as e:  # exit 3 is the run lock's alone (cron scripts retry on it)
        console_err().print(i18n.error_text(e, state.lang))
        return 3
    except HuikuanError as e:
        console_err().print(i18n.error_text(e, state.lang))
        return 2
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:  # Click's wrapping of Ctrl-C (and of EOF at a prompt)
        return 130
    except typer.TyperException as e:  # usage mistakes: unknown command, missing option, bad value
        from typer._click.exceptions import NoArgsIsHelpError

        if isinstance(e, NoArgsIsHelpError) or not hasattr(e, "show"):
            e.show()  # type: ignore[attr-defined]
        else:
            sys.stderr.write(usage_error_text(e, usage_lang))
        return int(getattr(e, "exit_code", 2))
    except Exception as e:  # noqa: BLE001 — the one boundary where an unexpected error becomes a message
        if caused_by_interrupt(e):  # Ctrl-C or SIGTERM inside a driver call: interrupted, not a crash
            raise KeyboardInterrupt from e
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
