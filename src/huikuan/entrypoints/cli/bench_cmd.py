"""``huikuan bench``: run the benchmark script ``bench/run.py`` of a source checkout.

The benchmark lives beside the package, not in it (it generates hundreds of MB of data and needs the
dev extras), so this command finds ``bench/run.py`` in the current directory or the checkout the
package was installed from, and runs it with this interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from .common import console, console_err, state, tr
from .main import app


def _script() -> Path | None:
    for root in (Path.cwd(), Path(__file__).resolve().parents[4]):
        candidate = root / "bench" / "run.py"
        if candidate.is_file():
            return candidate
    return None


@app.command("bench")
def bench_cmd(
    customers: int = typer.Option(100_000, "--customers", min=1, help="客户数 / customers"),
    invoices: int = typer.Option(1_000_000, "--invoices", min=1, help="未结发票数 / open invoices"),
    out: Path = typer.Option(None, "--out", help="结果文件（默认 bench/RESULTS.md）/ results file"),
    workdir: Path = typer.Option(None, "--workdir", help="数据目录（默认临时目录）/ data directory (default: temp)"),
    no_profile: bool = typer.Option(False, "--no-profile", help="不做性能剖析 / skip the profiled run"),
) -> None:
    """基准测试：导入、每日催收运行、账龄，与 DuckDB 下限对比 / benchmark beside a DuckDB floor."""
    script = _script()
    if script is None:
        console_err().print(tr("bench.no_script", path=str(Path.cwd() / "bench" / "run.py")))
        state.exit_code = 2
        return
    target = out or script.parent / "RESULTS.md"
    cmd = [sys.executable, str(script), "--customers", str(customers), "--invoices", str(invoices),
           "--out", str(target)]
    if workdir is not None:
        cmd += ["--workdir", str(workdir)]
    if no_profile:
        cmd.append("--no-profile")
    code = subprocess.run(cmd).returncode
    if code != 0:
        console_err().print(tr("bench.failed", code=code))
        state.exit_code = 1
        return
    console().print(tr("bench.done", out=str(target)))
