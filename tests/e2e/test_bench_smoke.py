"""The benchmark at toy size: every phase runs and the results file carries every figure.

No timing is asserted (machines differ); the point is that ``bench/run.py`` and ``huikuan bench``
keep working as the services they measure change.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURE = r"\d[\d,.]* (?:s|ms)"


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from huikuan.entrypoints.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "bench", *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


# Other areas' sections of bench/RESULTS.md, around an old section of this benchmark: kept byte for byte.
BEFORE = "# Benchmark results\n\nIntro, kept.\n\n<!-- credit:begin -->\n## Credit\n| a | 1 ms |\n<!-- credit:end -->\n\n"
AFTER = "\n\n<!-- comms:begin -->\n## Comms\n\n36 e-mails/s\n<!-- comms:end -->\n\ntrailing words\n"


def test_bench_writes_every_figure_beside_its_floor(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text(BEFORE + "<!-- run:begin -->\n## old figures\n<!-- run:end -->" + AFTER, encoding="utf-8")
    r = _bench("--customers", "300", "--invoices", "3000", "--out", str(out), "--workdir", str(tmp_path / "work"))
    assert r.returncode == 0, r.stdout + r.stderr
    whole = out.read_text(encoding="utf-8")
    assert whole.startswith(BEFORE + "<!-- run:begin -->\n") and whole.endswith("<!-- run:end -->" + AFTER)
    text = whole[len(BEFORE):-len(AFTER)]
    assert "old figures" not in text

    assert "300 customers and 3,000 open invoices" in text
    assert "In the database after import: 300 customers, 3,000 invoices (3,000 open)." in text
    assert re.search(r"CPU: .+, \d+ cores; RAM [\d.]+ GiB", text)
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| (import customers|import 3,000 invoices|daily run"
                                                          r"|aging by customer) \|.*$", text, re.M)}
    assert set(rows) == {"import customers", "import 3,000 invoices", "daily run", "aging by customer"}
    for name, row in rows.items():
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.fullmatch(FIGURE, cells[1]), (name, cells)  # our figure
        assert re.fullmatch(FIGURE, cells[4]), (name, cells)  # the DuckDB floor
        assert re.fullmatch(r"[\d,.]+×", cells[5]), (name, cells)
    assert re.search(r"\| daily run \|.*\| \d[\d,]* MiB \|", text)
    assert re.search(r"time (PASS|MISS), × floor (PASS|MISS), RSS (PASS|MISS)", text)
    assert "not measured" not in text
    assert "Top functions by own time" in text and "daily_run.py" in text
    # the next working day, the steady state of a daily cron job, profiled too (issue 6)
    nxt = text.split("## Where the next working day's time goes", 1)[1]
    assert "Not profiled" not in text and "Top functions by cumulative time" in nxt and "run_daily" in nxt
    # Generated data stays in the work directory, never in the repository.
    assert (tmp_path / "work" / "invoices.csv").stat().st_size > 0
    assert not (ROOT / "bench" / "data").exists() or not any((ROOT / "bench" / "data").iterdir())


def test_bench_without_a_checkout_says_so(tmp_path: Path) -> None:
    code = ("import sys, pathlib; import huikuan.entrypoints.cli.bench_cmd as b; b._script = lambda: None; "
            "from huikuan.entrypoints.cli.main import main; sys.exit(main(['--lang', 'en', 'bench']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2
    assert "bench/run.py not found" in r.stderr
