"""docs/cli.md documents every command: each command and sub-command the Typer app registers appears in
the guide as ``huikuan <name>`` or ``huikuan <group> <name>`` (as a whole word, so ``huikuan run`` does
not count for ``huikuan runs``, nor ``huikuan dispute`` for ``huikuan dispute-resolve``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from huikuan.entrypoints.cli import main as cli_main

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _command_name(info: typer.models.CommandInfo) -> str:
    # Typer keeps ``@app.command("name")`` in ``info.name``; without one it derives the name from the
    # function (``dispute_resolve`` → ``dispute-resolve``).
    if info.name:
        return info.name
    return info.callback.__name__.lower().replace("_", "-")


def _group_name(info: typer.models.TyperInfo) -> str:
    # ``app.add_typer(sub, name=...)`` stores the name on the TyperInfo; else the sub-app's own
    # ``typer.Typer(name=...)``; unset values are ``DefaultPlaceholder`` objects, not strings.
    for candidate in (info.name, info.typer_instance.info.name if info.typer_instance else None):
        if isinstance(candidate, str) and candidate:
            return candidate
    callback = info.callback or (info.typer_instance.registered_callback.callback
                                 if info.typer_instance and info.typer_instance.registered_callback else None)
    assert callback is not None, f"cannot name the command group {info!r}"
    return callback.__name__.lower().replace("_", "-")


def _walk(app: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for cmd in app.registered_commands:
        if not cmd.hidden:
            paths.append((*prefix, _command_name(cmd)))
    for group in app.registered_groups:
        name = _group_name(group)
        paths.append((*prefix, name))
        paths.extend(_walk(group.typer_instance, (*prefix, name)))
    return paths


def _click_paths(cmd, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """What ``huikuan --help`` (and each group's --help) lists, from the Click command Typer builds."""
    paths: list[tuple[str, ...]] = []
    for name, sub in getattr(cmd, "commands", {}).items():
        if getattr(sub, "hidden", False):
            continue
        paths.append((*prefix, name))
        paths.extend(_click_paths(sub, (*prefix, name)))
    return paths


def all_command_paths() -> list[tuple[str, ...]]:
    cli_main._register()
    return sorted(set(_walk(cli_main.app)))


def documented(doc: str, path: tuple[str, ...]) -> bool:
    words = r"\s+".join(re.escape(p) for p in path)
    return re.search(rf"huikuan\s+{words}(?![\w-])", doc) is not None


def missing_from(doc: str) -> list[str]:
    return [" ".join(p) for p in all_command_paths() if not documented(doc, p)]


def test_walk_matches_what_help_lists():
    """The names derived from the Typer objects are the names a user types (as --help shows them)."""
    paths = all_command_paths()
    assert sorted(set(_click_paths(get_command(cli_main.app)))) == paths
    assert ("run",) in paths and ("calendar", "set") in paths and ("import", "credit-notes") in paths


@pytest.mark.parametrize("path", [" ".join(p) for p in all_command_paths()])
def test_every_command_is_in_the_guide(path):
    doc = DOC_PATH.read_text(encoding="utf-8")
    assert documented(doc, tuple(path.split())), f"`huikuan {path}` is not documented in docs/cli.md"


def test_the_check_notices_an_undocumented_command():
    doc = DOC_PATH.read_text(encoding="utf-8")
    assert missing_from(doc) == []
    for path, stripped in (
        (("dispute-resolve",), re.sub(r"huikuan\s+dispute-resolve", "huikuan ...", doc)),
        (("runs",), re.sub(r"huikuan\s+runs(?![\w-])", "huikuan ...", doc)),
        (("calendar", "import"), re.sub(r"huikuan\s+calendar\s+import", "huikuan calendar ...", doc)),
    ):
        assert " ".join(path) in missing_from(stripped)
