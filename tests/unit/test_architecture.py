"""The layers hold (ARCHITECTURE §1): imports point inward, and nothing below the entry points
reads the wall clock. A failing build keeps the core testable without a database."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "huikuan"
STDLIB_OK = {"__future__", "dataclasses", "datetime", "enum", "typing", "collections", "re", "calendar",
             "tomllib", "unicodedata", "decimal", "itertools", "functools", "math", "abc", "hashlib"}


def modules(folder: str):
    for path in sorted((SRC / folder).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree: ast.AST, path: Path) -> set[str]:
    """Absolute names of every import, relative ones resolved against the module's package."""
    pkg = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg[: len(pkg) - node.level + 1])
                out.add(f"{base}.{node.module}" if node.module else base)
            else:
                out.add(node.module or "")
    return out


@pytest.mark.parametrize(("path", "tree"), list(modules("domain")), ids=lambda x: getattr(x, "name", ""))
def test_domain_is_pure(path, tree):
    for name in imported(tree, path):
        top = name.split(".")[0]
        assert name.startswith("huikuan.domain") or top in STDLIB_OK, f"{path.name} imports {name}"


@pytest.mark.parametrize(("path", "tree"), list(modules("services")), ids=lambda x: getattr(x, "name", ""))
def test_services_do_not_reach_outward(path, tree):
    for name in imported(tree, path):
        assert not name.startswith(("huikuan.entrypoints", "huikuan.adapters", "sqlalchemy")), \
            f"{path.relative_to(SRC)} imports {name}"


_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|PRAGMA|BEGIN|CREATE|DROP|ALTER)\s")
_CONNECTION = {"c", "conn", "connection", "engine", "exec_driver_sql", "execute", "executemany"}


@pytest.mark.parametrize(("path", "tree"), list(modules("services")), ids=lambda x: getattr(x, "name", ""))
def test_services_run_no_sql(path, tree):
    """Not by the back door either: no statement text, and no hand on the unit of work's connection."""
    for node in ast.walk(tree):
        where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not _SQL.match(node.value), f"{where} holds SQL"
        if isinstance(node, ast.Attribute) and node.attr in _CONNECTION:
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            assert name != "uow" and node.attr not in ("exec_driver_sql", "executemany"), \
                f"{where} reaches the database connection ({name}.{node.attr})"


@pytest.mark.parametrize("folder", ["domain", "services", "adapters"])
def test_no_wall_clock_below_the_entry_points(folder):
    for path, tree in modules(folder):
        if path.name == "clock.py" and folder == "adapters":
            continue  # SystemClock: the wall clock's one home, injected through the Clock port
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("today", "now") and isinstance(node.value, ast.Name):
                assert node.value.id not in ("date", "datetime"), f"{path.name}:{node.lineno} reads the clock"


def test_nothing_imports_the_entry_points():
    for folder in ("domain", "services", "adapters"):
        for path, tree in modules(folder):
            assert not any(n.startswith("huikuan.entrypoints") for n in imported(tree, path)), path.name
