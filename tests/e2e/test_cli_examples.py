"""docs/cli.md's examples are what the program prints (issue 6 item 7): every ``<!-- example -->`` block
is run, in order, on `make demo`'s demo (built once, SQLite, clock fixed at 2026-11-23), and compared
line by line. Regenerate with ``.venv/bin/python tests/cli_examples.py --write``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cli_examples  # noqa: E402 — the generator lives beside the tests


def test_the_guide_has_examples_and_each_is_what_the_program_prints(tmp_path):
    text = cli_examples.DOC.read_text(encoding="utf-8")
    _, examples = cli_examples.parse(text)
    commands = [c for ex in examples for c, _ in ex.commands]
    assert len(examples) >= 10 and len(commands) >= 20
    with cli_examples.demo(tmp_path) as url:
        _, diffs = cli_examples.generate(url, text)
    report = "\n".join(f"--- {c}\n{d}\n+++ actual\n{g}\n" for c, d, g in diffs)
    assert diffs == [], f"docs/cli.md differs from the program (run tests/cli_examples.py --write):\n{report}"


def test_the_parser_reads_commands_outputs_and_continuations():
    text = "\n".join(["intro", "<!-- example -->", "```text", "$ huikuan runs   # the log", "line 1", "line 2",
                      "$ huikuan aging \\", "    --limit 3", "```", "```text", "$ huikuan not-an-example", "```"])
    _, examples = cli_examples.parse(text)
    assert [ex.commands for ex in examples] == [[("$ huikuan runs   # the log", "line 1\nline 2"),
                                                 ("$ huikuan aging --limit 3", "")]]
    assert cli_examples.argv_of("$ huikuan runs   # the log") == ["runs"]
