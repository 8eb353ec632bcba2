"""Both ways of opening an import file (``open_table`` for canonical files, ``open_cells`` for layout
profiles) refuse the same unreadable files with the same message, before reading anything."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from huikuan.adapters.files import open_cells, open_table
from huikuan.domain.errors import ImportRejected

CASES = [
    ("missing.csv", None, "file.not_found", {"path": "{path}"}),
    ("book.docx", b"PK\x03\x04", "file.unsupported_type", {"suffix": ".docx"}),
    ("noext", b"a,b\n1,2\n", "file.unsupported_type", {"suffix": "-"}),
    ("empty.csv", b"", "file.empty", {}),
    ("empty.XLSX", b"", "file.empty", {}),
]


@pytest.mark.parametrize("opener", [open_table, open_cells], ids=["open_table", "open_cells"])
@pytest.mark.parametrize(("name", "content", "code", "params"), CASES, ids=[c[0] for c in CASES])
def test_unreadable_files_are_refused_by_name(tmp_path: Path, opener: Callable[[Path], object], name: str,
                                              content: bytes | None, code: str, params: dict[str, str]) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportRejected) as e, opener(path):  # type: ignore[attr-defined]
        pass
    [problem] = e.value.problems
    assert (problem.source, problem.code) == (name, code)
    assert problem.params == {k: v.format(path=path) for k, v in params.items()}


@pytest.mark.parametrize("opener", [open_table, open_cells], ids=["open_table", "open_cells"])
def test_a_readable_csv_opens(tmp_path: Path, opener: Callable[[Path], object]) -> None:
    path = tmp_path / "Book.CSV"  # the suffix in any case
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with opener(path) as f:  # type: ignore[attr-defined]
        assert f.source == "Book.CSV"
