"""bench/RESULTS.md is shared by every area's benchmark: ``bench/run.py`` rewrites only the part between
its ``<!-- run:begin -->`` / ``<!-- run:end -->`` markers and keeps every other byte (the whole benchmark
does the same in tests/e2e/test_bench_smoke.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_sections", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench_run = _run_module()
BEGIN, END = "<!-- run:begin -->", "<!-- run:end -->"


def _outside(text: str) -> tuple[str, str]:
    return text[: text.index(BEGIN)], text[text.index(END) + len(END):]


def test_the_committed_results_keep_every_other_section_byte_for_byte() -> None:
    text = (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    new = bench_run.replace_section(text, "run", "## fresh figures\n\n| a | 1 s |\n")
    assert _outside(new) == _outside(text)
    assert new[new.index(BEGIN):new.index(END) + len(END)] == f"{BEGIN}\n## fresh figures\n\n| a | 1 s |\n{END}"
    for name in ("credit", "comms", "mutation"):  # the other areas' marked sections are still there, whole
        b, e = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        assert new[new.index(b):new.index(e)] == text[text.index(b):text.index(e)]


def test_write_section_touches_only_its_markers_and_is_repeatable(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    before = "# Results\n\nintro\n<!-- a:begin -->\nA 1 s\n<!-- a:end -->\n"
    after = "\n<!-- b:begin -->\nB <!-- run:x --> 2 s\n<!-- b:end -->\nend without newline"
    out.write_text(before + f"{BEGIN}\nold\n{END}" + after, encoding="utf-8")
    bench_run.write_section(out, "run", "new 3 s\n")
    assert out.read_text(encoding="utf-8") == before + f"{BEGIN}\nnew 3 s\n{END}" + after
    bench_run.write_section(out, "run", "newer 4 s")
    assert out.read_text(encoding="utf-8") == before + f"{BEGIN}\nnewer 4 s\n{END}" + after


def test_a_file_without_the_markers_gets_the_section_appended(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# Results\n\n<!-- comms:begin -->\nC\n<!-- comms:end -->\n\n\n", encoding="utf-8")
    bench_run.write_section(out, "run", "R")
    assert out.read_text(encoding="utf-8") == f"# Results\n\n<!-- comms:begin -->\nC\n<!-- comms:end -->\n\n{BEGIN}\nR\n{END}\n"
    fresh = tmp_path / "new" / "RESULTS.md"
    bench_run.write_section(fresh, "run", "R")
    assert fresh.read_text(encoding="utf-8") == f"# Benchmark results\n\n{BEGIN}\nR\n{END}\n"


@pytest.mark.parametrize("text", [f"{BEGIN}\nx\n", f"x\n{END}\n", f"{END}\nx\n{BEGIN}\n",
                                  f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n"])
def test_broken_markers_are_refused_not_guessed(tmp_path: Path, text: str) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="run:"):
        bench_run.write_section(out, "run", "R")
    assert out.read_text(encoding="utf-8") == text
