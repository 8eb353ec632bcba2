"""Mutation testing of the pure domain (and the daily run's service) with mutmut — NOT part of ``make test``.

    .venv/bin/python bench/mutation.py [--paths src/huikuan/domain/] [--tests tests/unit/] [--minutes 40]

What it does: copies the working tree (src, tests, pyproject.toml) into a temporary folder, adds a
``[tool.mutmut]`` section there (so the repository's own pyproject stays clean and no ``mutants/``
folder appears in it), runs ``mutmut run`` bounded in time, and prints the score: killed / (killed +
survived + timeouts…) per file and in total, with the surviving mutants' names so tests can be added
for them (``mutmut show NAME`` inside the printed folder). Mutmut 3 runs each mutant through a
trampoline inside forked pytest workers, and only the tests that reach the mutated function.

It is CPU-heavy: run it under ``flock /work/.bench.lock`` on a shared machine (or any lock of yours) and
say in bench/RESULTS.md what else was running. mutmut must be installed in the venv
(``uv pip install mutmut`` — a dev tool, not a runtime dependency).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {"killed", "caught by type check"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", nargs="+", default=["src/huikuan/domain/"], help="files or folders to mutate")
    ap.add_argument("--tests", nargs="+", default=["tests/unit/"], help="test folders mutmut runs")
    ap.add_argument("--minutes", type=float, default=40.0, help="stop after this long (partial score)")
    ap.add_argument("--children", type=int, default=2, help="parallel mutant workers")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy (for mutmut show)")
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = ap.parse_args()
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        print("mutmut is not installed in this venv: uv pip install mutmut", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="huikuan-mutation-"))
    for name in ("src", "tests", "docs", "bench"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pyproject += (
        "\n[tool.mutmut]\n"
        f"paths_to_mutate = {json.dumps(args.paths)}\n"
        'source_paths = ["src"]\n'
        f"tests_dir = {json.dumps(args.tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-x"]\n'
    )
    (work / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    started = time.monotonic()
    try:
        subprocess.run([str(mutmut), "run", "--max-children", str(args.children)], cwd=work,
                       timeout=args.minutes * 60, check=False, stdout=subprocess.DEVNULL)
        finished = True
    except subprocess.TimeoutExpired:
        finished = False
    elapsed = time.monotonic() - started
    out = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=work, capture_output=True, text=True,
                         check=False).stdout
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".x_")[0].split(".xǁ")[0]
        by_file[module][status] += 1
        if status == "survived":
            survivors.append(name)
    total: Counter[str] = Counter()
    for counts in by_file.values():
        total.update(counts)
    judged = sum(n for s, n in total.items() if s not in ("not checked", "skipped"))
    killed = sum(total[s] for s in KILLED)
    print(f"mutation run over {' '.join(args.paths)} with {' '.join(args.tests)}: "
          f"{'finished' if finished else 'stopped at the time bound'} in {elapsed / 60:.1f} min")
    for module, counts in sorted(by_file.items()):
        j = sum(n for s, n in counts.items() if s not in ("not checked", "skipped"))
        k = sum(counts[s] for s in KILLED)
        print(f"  {module:45s} {k:4d}/{j:<4d} killed  {dict(counts)}")
    score = killed / judged if judged else 0.0
    print(f"TOTAL {killed}/{judged} killed = {score:.1%}  (all statuses: {dict(total)})")
    for name in survivors[:60]:
        print("  survived:", name)
    if args.json:
        args.json.write_text(json.dumps({"killed": killed, "judged": judged, "score": score, "finished": finished,
                                         "minutes": elapsed / 60, "statuses": dict(total),
                                         "survivors": survivors}, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.keep:
        print(f"kept: {work}  (cd there; {mutmut} show NAME)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
