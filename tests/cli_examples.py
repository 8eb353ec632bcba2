"""The examples in docs/cli.md, generated from the demo `make demo` builds, and checked by a test.

A block of docs/cli.md is an example when the line above its opening fence is ``<!-- example -->``::

    <!-- example -->
    ```text
    $ huikuan worklist --limit 3
    (what the command printed)
    ```

Every ``$ huikuan …`` line is a command (after ``#`` a comment; a line ending in ``\\`` continues); the
lines under it, up to the next command or the fence, are what it printed (stdout, then stderr). The
commands of all example blocks run in the order they appear, on ONE demo database, so an example may
use what an earlier one did (a payment, then `customer show`).

The demo: ``demo-data --customers 300 --months 14 --seed 7`` — `make demo`'s data (its ``run`` is the
guide's first ``$ huikuan run`` example) — with
the clock fixed at ``AS_OF`` (10:00 Beijing time), ``COLUMNS=100``, no huikuan.toml or HUIKUAN_*
settings, Chinese unless the command says ``--lang en``. Files an example reads are written first
from ``FILES`` (name → content) into the folder the commands run in.

    .venv/bin/python tests/cli_examples.py            # check: print the examples that differ
    .venv/bin/python tests/cli_examples.py --write    # regenerate docs/cli.md's examples in place

To document a new command: add a ``<!-- example -->`` block with the ``$ huikuan …`` lines and nothing
under them, run ``--write``, read what it wrote. tests/e2e/test_cli_examples.py fails when the guide
and the program disagree.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
AS_OF = date(2026, 11, 23)
# `make demo`'s data; its `run` is the guide's first `$ huikuan run` example.
DEMO = [["demo-data", "--customers", "300", "--months", "14", "--seed", "7", "--as-of", AS_OF.isoformat()]]
WIDTH = 100
MARK = "<!-- example -->"
FILES: dict[str, str] = {
    "客户.csv": "客户编号,客户名称,付款条件,信用额度,收款员,分类\nC001,苏州新锐电子有限公司,月结30,200000,张伟,华东\n",
    "2028.csv": "日期,类型,名称\n2028-01-01,holiday,元旦\n2028-01-29,workday,春节调休\n",
}


@dataclass
class Example:
    start: int  # index of the first line inside the fence
    end: int  # index of the closing fence
    commands: list[tuple[str, str]]  # (command line as written, its documented output)


def parse(text: str) -> tuple[list[str], list[Example]]:
    lines = text.split("\n")
    out: list[Example] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARK and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            j = i + 2
            while not lines[j].startswith("```"):
                j += 1
            cmds: list[tuple[str, list[str]]] = []
            k = i + 2
            while k < j:
                line = lines[k]
                if line.startswith("$ huikuan"):
                    while line.endswith("\\") and k + 1 < j:
                        k += 1
                        line = line[:-1] + lines[k].lstrip()
                    cmds.append((line, []))
                elif cmds:
                    cmds[-1][1].append(line)
                k += 1
            out.append(Example(i + 2, j, [(c, "\n".join(o).rstrip("\n")) for c, o in cmds]))
            i = j
        i += 1
    return lines, out


def argv_of(command: str) -> list[str]:
    """``$ huikuan aging --limit 3   # comment`` → ``["aging", "--limit", "3"]``."""
    return shlex.split(command[len("$ huikuan"):], comments=True)


@contextlib.contextmanager
def demo(folder: Path) -> Iterator[str]:
    """The demo database in ``folder`` with the clock at AS_OF and a neutral environment; yields its URL."""
    from huikuan.adapters import clock
    from huikuan.entrypoints.cli.main import main

    saved_env = {k: v for k, v in os.environ.items() if k.startswith("HUIKUAN_") or k in ("COLUMNS", "LINES")}
    saved_now, saved_cwd = clock.SystemClock.now, os.getcwd()
    for k in saved_env:
        del os.environ[k]
    os.environ.update(COLUMNS=str(WIDTH), LINES="50", HUIKUAN_CONFIG=str(folder / "none.toml"))
    clock.SystemClock.now = lambda self: datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, 0, tzinfo=UTC)  # type: ignore[method-assign]
    try:
        os.chdir(folder)
        for name, content in FILES.items():
            (folder / name).write_text(content, encoding="utf-8")
        for leftover in folder.glob("demo.db*"):
            leftover.unlink()
        url = f"sqlite:///{folder / 'demo.db'}"
        for args in DEMO:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                if main(["--database-url", url, *args]) != 0:
                    raise RuntimeError(f"demo step failed: {args}")
        yield url
    finally:
        os.chdir(saved_cwd)
        clock.SystemClock.now = saved_now  # type: ignore[method-assign]
        for k in ("COLUMNS", "LINES", "HUIKUAN_CONFIG"):
            os.environ.pop(k, None)
        os.environ.update(saved_env)


def run_one(url: str, command: str) -> str:
    """What ``command`` prints (stdout, then stderr), as the guide shows it: no trailing spaces."""
    from huikuan.entrypoints.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(["--database-url", url, *argv_of(command)])
    text = out.getvalue() + err.getvalue()
    return "\n".join(line.rstrip() for line in text.rstrip("\n").split("\n"))


def generate(url: str, text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(docs text with every example regenerated, [(command, documented, actual)] that differ)."""
    lines, examples = parse(text)
    diffs: list[tuple[str, str, str]] = []
    actual: dict[int, list[str]] = {}
    for n, ex in enumerate(examples):
        body: list[str] = []
        for command, documented in ex.commands:
            got = run_one(url, command)
            if got != documented:
                diffs.append((command, documented, got))
            body.append(command)
            if got:
                body.extend(got.split("\n"))
        actual[n] = body
    for n in reversed(range(len(examples))):
        ex = examples[n]
        lines[ex.start:ex.end] = actual[n]
    return "\n".join(lines), diffs


def main(argv: list[str]) -> int:
    import tempfile

    write = "--write" in argv
    text = DOC.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp, demo(Path(tmp)) as url:
        new, diffs = generate(url, text)
    if write:
        DOC.write_text(new, encoding="utf-8")
        print(f"docs/cli.md: {len(parse(text)[1])} examples written, {len(diffs)} changed")
        return 0
    for command, documented, got in diffs:
        print(f"--- {command}\n{documented}\n+++ (actual)\n{got}\n")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.exit(main(sys.argv[1:]))
