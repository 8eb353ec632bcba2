"""Hostile values in the database never break or hijack the terminal, never run in a spreadsheet, and the
CLI never overwrites what it must not (issue 6 items 17, 18, 22 and the input checks of item 6).

The corpora are committed under tests/fixtures/hostile/: ``terminal_names.json`` (customer names written
straight into the database, past any import check, each with the text that must be shown) and
``formula_cells.json`` (cell values each with the cell that must be written)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, update

from huikuan.adapters import files
from huikuan.adapters.db import tables as t
from huikuan.entrypoints.cli.main import main

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
NAMES = json.loads((HOSTILE / "terminal_names.json").read_text(encoding="utf-8"))["cases"]
FORMULAS = json.loads((HOSTILE / "formula_cells.json").read_text(encoding="utf-8"))["cases"]
# What must never reach a terminal: C0 controls but LF (Rich's own colour codes are off: not a TTY), DEL,
# C1, bidi overrides.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("COLUMNS", "400")  # names stay on one line, so each can be found whole
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.url = db_url  # type: ignore[attr-defined]
    return run


def _book_with_names(cli, tmp_path: Path, names: list[str]) -> None:
    """One overdue customer per name; the names are written into the database directly."""
    custs = "customer_code,name,terms\n" + "".join(f"H{i:02d},客户{i},net 30\n" for i in range(len(names)))
    invs = "invoice_no,customer_code,invoice_date,amount\n" + "".join(
        f"N{i:02d},H{i:02d},2026-09-01,{1000 + i}\n" for i in range(len(names)))
    (tmp_path / "c.csv").write_text(custs, encoding="utf-8")
    (tmp_path / "i.csv").write_text(invs, encoding="utf-8")
    assert cli("import", "customers", str(tmp_path / "c.csv"))[0] == 0
    assert cli("import", "invoices", str(tmp_path / "i.csv"))[0] == 0
    engine = create_engine(cli.url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as c:
            for i, name in enumerate(names):
                c.execute(update(t.customer).where(t.customer.c.code == f"H{i:02d}").values(name=name))
    finally:
        engine.dispose()


def test_hostile_names_print_literally_and_send_no_control_character(cli, tmp_path):
    _book_with_names(cli, tmp_path, [c["name"] for c in NAMES])
    assert cli("run", "--as-of", "2026-11-23")[0] == 0
    outputs = {"worklist": cli("worklist", "--as-of", "2026-11-23", "--limit", "200"),
               "aging": cli("aging", "--as-of", "2026-11-23", "--limit", "200")}
    for i, _case in enumerate(NAMES):
        outputs[f"customer show H{i:02d}"] = cli("customer", "show", f"H{i:02d}", "--as-of", "2026-11-23")
    for what, (code, out, err) in outputs.items():
        assert code == 0, f"{what}: exit {code}: {err}"
        assert not CONTROL.search(out + err), f"{what} sent a control character: {CONTROL.findall(out + err)!r}"
        assert "\x1b]8;" not in out
    x = tmp_path / "aging.xlsx"  # characters XML cannot hold do not make the export fail either
    code, _, err = cli("aging", "--as-of", "2026-11-23", "--format", "xlsx", "-o", str(x))
    assert code == 0, err
    cells = {c.value for row in load_workbook(x).active.iter_rows() for c in row}
    assert "\\x1b[2J\\x1b[H清屏公司" in cells
    for i, case in enumerate(NAMES):
        for what in ("worklist", "aging", f"customer show H{i:02d}"):
            assert case["shown"] in outputs[what][1], f"{what} does not show {case['shown']!r} ({case['why']})"


def test_a_hostile_code_in_an_error_message_prints_literally(cli):
    code, _, err = cli("customer", "show", "[/bold]\x1b[2J")
    assert code == 2 and "[/bold]\\x1b[2J" in err and "\x1b" not in err


@pytest.mark.parametrize("case", FORMULAS, ids=[c["value"][:12] for c in FORMULAS])
def test_safe_cell(case):
    assert files.safe_cell(case["value"]) == case["cell"]


def test_aging_csv_and_xlsx_neutralise_formulas_and_write_text_cells(cli, tmp_path):
    values = [c["value"] for c in FORMULAS]
    _book_with_names(cli, tmp_path, values)
    code, out, err = cli("aging", "--as-of", "2026-11-23", "--format", "csv")
    assert code == 0, err
    cells = {row[0]: row[1] for row in csv.reader(io.StringIO(out)) if row and row[0].startswith("H")}
    assert sorted(cells.values()) == sorted(c["cell"] for c in FORMULAS)
    x = tmp_path / "aging.xlsx"
    assert cli("aging", "--as-of", "2026-11-23", "--format", "xlsx", "-o", str(x))[0] == 0
    ws = load_workbook(x).active
    names = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(3, ws.max_row + 1)}
    assert all(cell.data_type == "s" for code_, cell in names.items() if code_ and code_.startswith("H"))
    # XML stores a CR inside text as a line feed: the cell still begins with the apostrophe.
    want = sorted(c["cell"].replace("\r", "\n") for c in FORMULAS)
    assert sorted(c.value for k, c in names.items() if k and k.startswith("H")) == want


def test_the_rejects_file_neutralises_formulas(tmp_path):
    out = tmp_path / "rejects.csv"
    files.write_rejects(out, ["名称"], [({"名称": c["value"]}, "=原因") for c in FORMULAS], "原因")
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == [c["cell"] for c in FORMULAS]
    assert {r[1] for r in rows[1:]} == {"'=原因"}


def test_import_rejects_file_through_the_cli_neutralises_formulas(cli, tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("customer_code,name,terms\n=1+1,=HYPERLINK(\"http://e\"),bogus terms\n", encoding="utf-8")
    code, _, err = cli("import", "customers", str(bad), "--skip-invalid")
    assert code == 1, err
    rows = list(csv.reader(io.StringIO((tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8-sig"), newline="")))
    assert rows[1][:2] == ["'=1+1", "'=HYPERLINK(\"http://e\")"]


# --------------------------------------------------------------------------- overwriting and private files


def test_aging_never_overwrites_the_database_and_asks_for_force(cli, tmp_path):
    _book_with_names(cli, tmp_path, ["甲"])
    if cli.url.startswith("sqlite"):
        db = Path(cli.url.split("///", 1)[1])
        before = db.read_bytes()[:100]
        for target in (db, Path(str(db) + "-wal")):
            code, _, err = cli("aging", "--format", "csv", "-o", str(target), "--force")
            assert code == 2 and "数据库文件" in err
        assert db.read_bytes()[:100] == before
    other = tmp_path / "other.db"
    other.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)  # any SQLite file, by its header
    code, _, err = cli("aging", "--format", "csv", "-o", str(other), "--force")
    assert code == 2 and "数据库文件" in err
    existing = tmp_path / "aging.csv"
    existing.write_text("keep me", encoding="utf-8")
    code, _, err = cli("aging", "--format", "csv", "-o", str(existing))
    assert code == 2 and "--force" in err and existing.read_text(encoding="utf-8") == "keep me"
    code, _, err = cli("--lang", "en", "aging", "--format", "xlsx", "-o", str(existing))
    assert code == 2 and "add --force" in err
    assert cli("aging", "--format", "csv", "-o", str(existing), "--force")[0] == 0
    assert "甲" in existing.read_text(encoding="utf-8-sig")


def test_rejects_never_overwrite_the_input(cli, tmp_path):
    f = tmp_path / "c.csv"
    text = "customer_code,name,terms\nK1,甲,bogus\nK2,乙,net 30\n"
    f.write_text(text, encoding="utf-8")
    code, _, err = cli("import", "customers", str(f), "--skip-invalid", "--rejects", str(f), "--force")
    assert code == 2 and "输入文件" in err
    assert f.read_text(encoding="utf-8") == text
    code, out, _ = cli("customer", "show", "K2")
    assert code == 2  # nothing was imported either
    (tmp_path / "c.csv.rejects.csv").write_text("old", encoding="utf-8")
    code, _, err = cli("import", "customers", str(f), "--skip-invalid")
    assert code == 2 and "--force" in err
    assert cli("import", "customers", str(f), "--skip-invalid", "--force")[0] == 1


def test_a_new_sqlite_database_is_private(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    os.umask(0o022)
    assert main(["--database-url", f"sqlite:///{tmp_path}/new.db", "runs"]) == 0
    for p in tmp_path.glob("new.db*"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


@pytest.fixture
def crashing(monkeypatch, tmp_path):
    """`huikuan runs` failing with an unexpected error, the user's data folder in tmp_path."""
    import huikuan.entrypoints.cli.collect as collect

    def boom(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(collect, "list_runs", boom)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    return tmp_path / "data" / "huikuan" / "crash"


def test_one_private_crash_log_per_crash(crashing, tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/x.db"
    assert main(["--database-url", url, "runs"]) == 4
    assert main(["--database-url", url, "runs"]) == 4
    err = capsys.readouterr().err
    logs = sorted(crashing.glob("crash-*.log"))
    assert len(logs) == 2 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in logs)
    assert "RuntimeError: boom" in logs[0].read_text(encoding="utf-8")
    assert str(logs[0]) in err and str(logs[1]) in err and "Traceback" not in err


def test_a_crash_while_writing_the_crash_log_is_still_one_line(crashing, tmp_path, capsys):
    crashing.parent.mkdir(parents=True)
    crashing.write_text("a file where the folder should be", encoding="utf-8")
    assert main(["--database-url", f"sqlite:///{tmp_path}/x.db", "runs"]) == 4
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "RuntimeError" in err and "Traceback" not in err


# --------------------------------------------------------------------------- settings from the command line


def test_unsupported_database_url_and_language_are_input_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    assert main(["--database-url", "mysql://a/b", "runs"]) == 2
    err = capsys.readouterr().err
    assert "mysql" in err and "sqlite://" in err and "postgresql://" in err and "Traceback" not in err
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", "oracle://x")
    assert main(["--lang", "en", "runs"]) == 2
    assert "scheme \"oracle\"" in capsys.readouterr().err
    monkeypatch.delenv("HUIKUAN_DATABASE_URL")
    assert main(["--database-url", f"sqlite:///{tmp_path}/x.db", "--lang", "fr", "runs"]) == 2
    err = capsys.readouterr().err
    assert "fr" in err and "zh-CN, en" in err
    monkeypatch.setenv("HUIKUAN_LOCALE", "fr")
    assert main(["--database-url", f"sqlite:///{tmp_path}/x.db", "runs"]) == 2
    assert "fr" in capsys.readouterr().err


def test_runs_json_times_carry_their_offset(cli, tmp_path):
    _book_with_names(cli, tmp_path, ["甲"])
    cli("run", "--as-of", "2026-11-23")
    code, out, _ = cli("runs", "--json")
    run = json.loads(out)[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00", run["started_at"]), run["started_at"]
    assert run["finished_at"].endswith("+08:00")
    code, out, _ = cli("runs")
    assert "Asia/Shanghai" in out
