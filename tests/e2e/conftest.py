"""Fixtures shared by the CLI tests: the real ``main`` on the test's database, after importing books."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from huikuan.entrypoints.cli.main import main

CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli_with_books(db_url, tmp_path, monkeypatch, capsys) -> Callable[..., CliRun]:
    """``cli_with_books(CUSTOMERS_CSV, INVOICES_CSV)`` imports both files through the CLI and returns
    ``run(*args) -> (exit code, stdout, stderr)``, the CLI on the same database. No config file is read
    (a developer's huikuan.toml must not leak in)."""
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    def with_books(customers: str, invoices: str, *, invoices_encoding: str = "utf-8") -> CliRun:
        (tmp_path / "c.csv").write_text(customers, encoding="utf-8")
        (tmp_path / "i.csv").write_text(invoices, encoding=invoices_encoding)
        for kind, path in (("customers", "c.csv"), ("invoices", "i.csv")):
            code, out, err = run("import", kind, str(tmp_path / path))
            assert code == 0, out + err
        return run

    return with_books
