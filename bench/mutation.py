"""Mutation testing of the pure domain (and the daily run's service) with mutmut — NOT part of ``make test``.

    nice -n 10 .venv/bin/python bench/mutation.py [--paths src/huikuan/domain/] [--tests tests/unit/]
                                                  [--minutes 40] [--children 2] [--keep | --workdir DIR]

What it does: copies the working tree (src, tests, docs, bench, pyproject.toml) into a work folder (a
temporary one unless ``--workdir``), adds a ``[tool.mutmut]`` section there — so the repository's own
pyproject stays clean and no ``mutants/`` folder appears in it — runs ``mutmut run`` bounded in time, and
prints the score per file and in total, with the surviving mutants' names so tests can be added for them
(``mutmut show NAME`` inside the work folder).

mutmut 3 configuration (3.8): ``source_paths`` is what mutmut copies and walks (here all of ``src``, so
every import resolves inside ``mutants/``); ``only_mutate`` (globs, ``*`` spans folders) is what it
mutates — the ``--paths`` given; ``pytest_add_cli_args_test_selection`` is the tests it runs (``--tests``;
the older ``tests_dir`` and ``paths_to_mutate`` are deprecated, and ``paths_to_mutate`` is overridden by
``source_paths``). mutmut runs each mutant through a trampoline inside forked pytest workers, and only
the tests that reach the mutated function; a mutant no selected test reaches is "no tests" and counts
as not killed.

Score = killed / (every mutant but those skipped by ``# pragma: no mutate``). With ``--workdir`` a
second run re-uses mutmut's cache: ``--retest`` re-runs the survivors (and "no tests") after tests
were added, copying the tests and sources again first.

Equivalent mutants — ones that cannot change what the code does, read by hand — are listed with the
reason in ``bench/mutation_equivalent.toml``. They are never hidden: the report prints each with its
reason, and gives the score both ways (plain, and without them in the denominator). ``--pytest-arg``
adds pytest arguments, e.g. ``-k 'not postgresql'`` to measure a service over SQLite alone.

It is CPU-heavy: run it under ``nice`` (the script lowers its own priority by ``--nice``, default 10)
with few children on a shared machine, and say in bench/RESULTS.md what else was running.
mutmut must be installed in the venv (``uv pip install mutmut`` — a dev tool, not a runtime dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = Path(__file__).with_name("mutation_equivalent.toml")
KILLED = {"killed", "caught by type check"}
NOT_JUDGED = {"skipped"}  # ``# pragma: no mutate``: display labels only, and RESULTS.md says so
COPIED = ("src", "tests", "docs", "bench")  # folders the unit tests read
FILES = ("requirements.lock", "Makefile", "README.md", "CHANGELOG.md")  # files they read


def equivalent_mutants(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """mutant name → why it is equivalent (it cannot change what the code does), read by hand.

    Names are mutmut's and stay the same as long as the mutated function's code does not change; an
    entry whose mutant no longer exists is ignored (and reported as stale)."""
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {name: str(reason) for name, reason in data.get("equivalent", {}).items()}


def mutmut_config(paths: list[str], tests: list[str], extra_args: list[str] | None = None) -> str:
    """The ``[tool.mutmut]`` section for mutating ``paths`` (files or folders under src) with ``tests``."""
    only = [p.rstrip("/") + "/*" if not p.endswith(".py") else p for p in paths]
    # The architecture test reads the sources' imports, and every mutated module imports mutmut's trampoline.
    pytest_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-x",
                   "--ignore=tests/unit/test_architecture.py", *(extra_args or [])]
    return ("\n[tool.mutmut]\n"
            'source_paths = ["src"]\n'
            f"only_mutate = {json.dumps(only)}\n"
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
            f"pytest_add_cli_args = {json.dumps(pytest_args)}\n"
            f"also_copy = {json.dumps([d for d in COPIED if d not in ('src', 'tests')] + list(FILES))}\n")


def prepare(work: Path, paths: list[str], tests: list[str], extra_args: list[str] | None = None) -> None:
    """Copy the tree into ``work`` (again: sources and tests may have changed) with the mutmut config."""
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.rmtree(work / name, ignore_errors=True)
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    for name in FILES:
        shutil.copy2(ROOT / name, work / name)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(pyproject + mutmut_config(paths, tests, extra_args), encoding="utf-8")
    mutants = work / "mutants"
    for name in ("tests", "docs", "bench"):  # mutmut copies these once; refresh them for a re-run
        if (mutants / name).exists():
            shutil.rmtree(mutants / name)
            shutil.copytree(work / name, mutants / name)


def results(mutmut: Path, work: Path) -> dict[str, str]:
    out = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=work, capture_output=True, text=True,
                         check=False).stdout
    status: dict[str, str] = {}
    for line in out.splitlines():
        name, _, st = line.strip().rpartition(": ")
        if name:
            status[name] = st
    return status


def forget_not_killed(work: Path) -> int:
    """Mark every mutant not yet killed as not checked, so that ``mutmut run`` tries it again with the
    current tests. (``mutmut run NAME…`` would do the same, but it hands pytest the ids of the tests
    reaching those mutants, and ids with non-ASCII parameters come back as "not found".)"""
    n = 0
    for meta in (work / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data.get("exit_code_by_key", {})
        for key, code in codes.items():
            if code is not None and code not in (1, 3, 37):  # killed / caught by the type check
                codes[key] = None
                n += 1
        meta.write_text(json.dumps(data), encoding="utf-8")
    return n


def module_of(mutant: str) -> str:
    return mutant.split(".x_")[0].split(".xǁ")[0]


def run_mutmut(mutmut: Path, work: Path, children: int, names: list[str], minutes: float) -> bool:
    """``mutmut run`` in its own process group, killed whole at the time bound; True when it finished."""
    log = (work / "mutmut.log").open("w", encoding="utf-8")
    proc = subprocess.Popen([str(mutmut), "run", "--max-children", str(children), *names], cwd=work,
                            stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        proc.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return False
    finally:
        log.close()
    if proc.returncode != 0:
        tail = (work / "mutmut.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        print(f"mutmut run exited {proc.returncode} (whole log: {work / 'mutmut.log'}):\n{tail}", file=sys.stderr)
    return True


def report(status: dict[str, str], equivalent: dict[str, str] | None = None) -> dict[str, object]:
    """Per file and in total: killed of judged (every mutant but ``# pragma: no mutate``), and the same
    with the mutants read as equivalent left out of both (``score_without_equivalent``). An equivalent
    mutant that a test kills anyway counts as killed, not as equivalent."""
    equivalent = equivalent or {}
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    eq_by_file: Counter[str] = Counter()
    for name, st in status.items():
        by_file[module_of(name)][st] += 1
        if name in equivalent and st not in KILLED | NOT_JUDGED:
            eq_by_file[module_of(name)] += 1
    files = {}
    for module, counts in sorted(by_file.items()):
        judged = sum(n for s, n in counts.items() if s not in NOT_JUDGED)
        files[module] = {"killed": sum(counts[s] for s in KILLED), "judged": judged,
                         "equivalent": eq_by_file[module], "statuses": dict(counts)}
    killed = sum(int(f["killed"]) for f in files.values())  # type: ignore[call-overload]
    judged = sum(int(f["judged"]) for f in files.values())  # type: ignore[call-overload]
    eq = sum(eq_by_file.values())
    survivors = sorted(n for n, s in status.items() if s not in KILLED | NOT_JUDGED and n not in equivalent)
    marked = sorted(n for n, s in status.items() if s not in KILLED | NOT_JUDGED and n in equivalent)
    return {"killed": killed, "judged": judged, "score": killed / judged if judged else 0.0,
            "equivalent": eq, "score_without_equivalent": killed / (judged - eq) if judged - eq else 0.0,
            "files": files, "survivors": survivors,
            "equivalent_survivors": {n: equivalent[n] for n in marked},
            "stale_equivalent": sorted(n for n in equivalent if n not in status
                                       and module_of(n) in by_file)}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--paths", nargs="+", default=["src/huikuan/domain/"], help="files or folders to mutate")
    ap.add_argument("--tests", nargs="+", default=["tests/unit/"], help="test files or folders mutmut runs")
    ap.add_argument("--minutes", type=float, default=40.0, help="stop after this long (partial score)")
    ap.add_argument("--children", type=int, default=2, help="parallel mutant workers")
    ap.add_argument("--nice", type=int, default=10, help="lower this process's priority (shared machine)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy (for mutmut show)")
    ap.add_argument("--workdir", type=Path, help="work here and keep it; a re-run reuses mutmut's results")
    ap.add_argument("--retest", action="store_true", help="with --workdir: re-run only mutants not yet killed")
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    ap.add_argument("--pytest-arg", action="append", default=[], dest="pytest_args",
                    help="one more pytest argument (repeat), e.g. --pytest-arg=-k --pytest-arg='not postgresql'")
    args = ap.parse_args()
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        print("mutmut is not installed in this venv: uv pip install mutmut", file=sys.stderr)
        return 2
    if args.nice:
        os.nice(args.nice)
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="huikuan-mutation-"))
    prepare(work, args.paths, args.tests, args.pytest_args)
    if args.retest:
        print(f"reset for a retest: {forget_not_killed(work)} mutants")
    started = time.monotonic()
    finished = run_mutmut(mutmut, work, args.children, [], args.minutes)
    elapsed = time.monotonic() - started
    r = report(results(mutmut, work), equivalent_mutants())
    print(f"mutation run over {' '.join(args.paths)} with {' '.join(args.tests)}: "
          f"{'finished' if finished else 'stopped at the time bound'} in {elapsed / 60:.1f} min")
    for module, f in r["files"].items():  # type: ignore[attr-defined]
        print(f"  {module:45s} {f['killed']:4d}/{f['judged']:<4d} killed, {f['equivalent']:3d} equivalent"
              f"  {f['statuses']}")
    print(f"TOTAL {r['killed']}/{r['judged']} killed = {r['score']:.1%}; "
          f"{r['equivalent']} survivors read as equivalent; without them "
          f"{r['killed']}/{int(r['judged']) - int(r['equivalent'])} = {r['score_without_equivalent']:.1%}")  # type: ignore[call-overload]
    for name in r["survivors"]:  # type: ignore[attr-defined]
        print("  not killed:", name)
    for name, why in r["equivalent_survivors"].items():  # type: ignore[attr-defined]
        print(f"  equivalent: {name}  ({why})")
    for name in r["stale_equivalent"]:  # type: ignore[attr-defined]
        print("  stale equivalent entry (no such mutant now):", name)
    if args.json:
        r.update(finished=finished, minutes=elapsed / 60, paths=args.paths, tests=args.tests)
        args.json.write_text(json.dumps(r, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.keep or args.workdir:
        print(f"kept: {work}  (cd there; {mutmut} show NAME)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
