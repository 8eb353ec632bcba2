"""Typer's and Click's own texts in the user's language.

The Click that Typer vendors writes its messages with f-strings (no gettext), so they are translated
where they leave the program: a usage error is rendered here from the exception, its English message
matched against ``PATTERNS`` and re-worded from the catalog (``usage.po``); help pages get their panel
titles, ``Usage:``, ``[default: …]``, ``[required]`` and the help option's own text from the catalog.
A message no pattern knows stays as Click wrote it (``tests/e2e/test_cli_language.py`` lists the ones
a user meets). To translate one more: add a pattern here and its key to both ``usage.po`` files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from ... import i18n

# (catalog key, Click's English message). Named groups become the template's parameters; a group named
# ``msg`` is itself translated (Click nests messages: "Invalid value for '--limit': <reason>").
PATTERNS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p)) for k, p in (
    ("usage.no_such_option_possible", r"No such option: (?P<name>\S+) \(Possible options: (?P<possible>.+)\)"),
    ("usage.no_such_option", r"No such option: (?P<name>\S+)"),
    ("usage.no_such_command", r"No such command '(?P<name>.*)'\."),
    ("usage.missing_command", r"Missing command\."),
    ("usage.missing_argument", r"Missing argument '(?P<name>.+)'\.(?: .*)?"),
    ("usage.missing_option", r"Missing option '(?P<name>.+)'\.(?: .*)?"),
    ("usage.missing_parameter", r"Missing parameter: (?P<name>.+)"),
    ("usage.requires_argument", r"Option '(?P<name>.+)' requires an argument\."),
    ("usage.extra_arguments", r"Got unexpected extra arguments? ?(?:\(s\))? ?\((?P<args>.*)\)"),
    ("usage.invalid_value_for", r"Invalid value for '?(?P<name>[^':]+)'?: (?P<msg>.*)"),
    ("usage.invalid_value", r"Invalid value: (?P<msg>.*)"),
    ("usage.not_integer", r"Input should be a valid integer.*|'?(?P<value>.*?)'? is not a valid integer\.?"),
    ("usage.not_number", r"Input should be a valid number.*|'?(?P<value>.*?)'? is not a valid float\.?"),
    ("usage.not_boolean", r"Input should be a valid boolean.*|'?(?P<value>.*?)'? is not a valid boolean\.?"),
    ("usage.at_least", r"Input should be greater than or equal to (?P<n>\S+)"),
    ("usage.at_most", r"Input should be less than or equal to (?P<n>\S+)"),
    ("usage.greater", r"Input should be greater than (?P<n>\S+)"),
    ("usage.less", r"Input should be less than (?P<n>\S+)"),
    ("usage.not_valid", r"Value (?P<value>.+) is not a valid (?P<label>\w+)\."),
    ("usage.not_one_of", r"(?P<value>.+) is not one of (?P<choices>.+)\."),
    ("usage.file_missing", r"(?P<label>File|Directory|Path) (?P<path>.+) does not exist\."),
    ("usage.aborted", r"Aborted[.!]"),
)]

_USAGE = re.compile(r"^(\s*)Usage: ")
_TRY = re.compile(r"^Try '(?P<cmd>.+)' for help\.$")
_ERROR = re.compile(r"^Error: (?P<msg>.*)$", re.S)


def translate(message: str, lang: str) -> str:
    """Click's English ``message`` in ``lang`` (unchanged in English or when no pattern knows it)."""
    if lang == "en":
        return message
    for key, rx in PATTERNS:
        m = rx.fullmatch(message.strip())
        if m:
            params = {k: (translate(v, lang) if k == "msg" else v) for k, v in m.groupdict().items() if v is not None}
            return i18n.t(key, lang, **params)
    return message


def usage_error_text(err: Any, lang: str) -> str:
    """What ``err.show()`` prints (usage line, hint, ``Error: …``), in ``lang``."""
    buf = io.StringIO()
    err.show(file=buf)
    if lang == "en":
        return buf.getvalue()
    out = []
    for line in buf.getvalue().splitlines():
        if (m := _TRY.match(line)) is not None:
            out.append(i18n.t("usage.try_help", lang, cmd=m["cmd"]))
        elif (m := _ERROR.match(line)) is not None:
            out.append(i18n.t("usage.error", lang, msg=translate(m["msg"], lang)))
        else:
            out.append(_USAGE.sub(lambda m: m[1] + i18n.t("usage.usage", lang), line))
    return "\n".join(out) + "\n"


_ORIGINAL: dict[str, Any] = {}


def _raw(key: str, lang: str) -> str:
    """A catalog text as written (Typer fills these templates itself: ``[default: {}]``)."""
    return i18n.catalog(lang).get(key) or i18n.catalog("en").get(key) or key


def localise_help(lang: str) -> None:
    """Make the help pages Typer renders speak ``lang`` (idempotent; English restores Typer's texts)."""
    from typer import rich_utils
    from typer._click import core, formatting

    names = {"OPTIONS_PANEL_TITLE": "usage.options", "ARGUMENTS_PANEL_TITLE": "usage.arguments",
             "COMMANDS_PANEL_TITLE": "usage.commands", "DEFAULT_STRING": "usage.default",
             "REQUIRED_LONG_STRING": "usage.required", "ENVVAR_STRING": "usage.envvar",
             "DEPRECATED_STRING": "usage.deprecated", "ERRORS_PANEL_TITLE": "usage.error_title",
             "ABORTED_TEXT": "usage.aborted_text", "RICH_HELP": "usage.rich_help"}
    if not _ORIGINAL:
        _ORIGINAL.update({n: getattr(rich_utils, n) for n in names})
        _ORIGINAL["write_usage"] = formatting.HelpFormatter.write_usage
        _ORIGINAL["get_help_option"] = core.Command.get_help_option
        _ORIGINAL["highlights"] = list(rich_utils.OptionHighlighter.highlights)
    for n, key in names.items():
        setattr(rich_utils, n, _ORIGINAL[n] if lang == "en" else _raw(key, lang))
    prefix = _raw("usage.usage", lang)
    write_usage: Callable[..., None] = _ORIGINAL["write_usage"]
    get_help_option: Callable[..., Any] = _ORIGINAL["get_help_option"]

    def localised_write_usage(self: Any, prog: str, args: str = "", prefix_: str | None = None) -> None:
        if lang != "en":
            args = args.replace("[OPTIONS]", _raw("usage.options_piece", lang)).replace(
                "COMMAND [ARGS]...", _raw("usage.command_piece", lang))
        write_usage(self, prog, args, prefix_ if prefix_ is not None else prefix)

    def localised_help_option(self: Any, ctx: Any) -> Any:
        opt = get_help_option(self, ctx)
        if opt is not None:
            opt.help = _raw("usage.help_option", lang)
        return opt

    formatting.HelpFormatter.write_usage = localised_write_usage  # type: ignore[method-assign,assignment]
    core.Command.get_help_option = localised_help_option  # type: ignore[method-assign]
    rich_utils.OptionHighlighter.highlights = [*_ORIGINAL["highlights"], f"(?P<usage>{re.escape(prefix)})"]


def lang_from_argv(argv: list[str]) -> str | None:
    """The ``--lang`` value given on the command line, read before Click parses it (its own errors
    must already be in that language)."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--lang":
            return argv[i + 1] if i + 1 < len(argv) else None
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
        if a == "--database-url":
            i += 2
            continue
        if not a.startswith("-"):
            return None  # the command's name: what follows are its own arguments
        i += 1
    return None
