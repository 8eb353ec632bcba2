"""``make pg``: a local throwaway PostgreSQL cluster under the project folder (``.pg/``), for trying
huikuan on PostgreSQL without a system server, a role or a password.

    make pg          start it (or find it running) and print its URL
    make pg-stop     stop it and delete .pg/

It is started the way the test fixtures start theirs (tests/conftest.py): Debian's ``initdb``/``pg_ctl``
from /usr/lib/postgresql/*/bin, trust authentication on 127.0.0.1 only, a free port; as root the server
runs as the unprivileged system user ``huikuan_pg`` (PostgreSQL refuses to run as root). Unlike the
test clusters it keeps its data between starts (fsync stays on) until ``make pg-stop``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import _ensure_pg_user, _free_port, _pg_bindir  # noqa: E402 — the fixtures' own helpers

ROOT = Path(__file__).resolve().parents[1] / ".pg"
DATABASE = "huikuan"


def _runas() -> list[str]:
    if os.geteuid() != 0:
        return []
    user = _ensure_pg_user()
    for p in (ROOT, *[q for q in ROOT.rglob("*")]):
        os.chown(p, user.pw_uid, user.pw_gid)
    return ["runuser", "-u", user.pw_name, "--"]


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True)


def url(port: int) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"


def start() -> str:
    bindir = _pg_bindir()
    data, log, port_file = ROOT / "data", ROOT / "server.log", ROOT / "port"
    ROOT.mkdir(mode=0o700, exist_ok=True)
    runas = _runas()
    if not (data / "PG_VERSION").exists():
        r = _run([*runas, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-instructions"])
        if r.returncode:
            raise SystemExit(f"initdb failed: {r.stderr or r.stdout}")
    if _run([*runas, str(bindir / "pg_ctl"), "status", "-D", str(data)]).returncode != 0:
        port = _free_port()
        opts = f"-c listen_addresses=127.0.0.1 -k {ROOT} -p {port}"
        r = _run([*runas, str(bindir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60", "-l", str(log),
                  "-o", opts])
        if r.returncode:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise SystemExit(f"PostgreSQL did not start: {r.stderr or r.stdout}\n{tail}")
        port_file.write_text(str(port), encoding="utf-8")
    port = int(port_file.read_text(encoding="utf-8"))
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            c.execute(f'CREATE DATABASE "{DATABASE}"')  # type: ignore[arg-type]
    return url(port)


def stop() -> None:
    data = ROOT / "data"
    if (data / "PG_VERSION").exists():
        _run([*_runas(), str(_pg_bindir() / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"])
    shutil.rmtree(ROOT, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop()
        print("stopped; .pg/ removed")
    else:
        u = start()
        print(u)
        print(f"  e.g.  export HUIKUAN_DATABASE_URL={u}", file=sys.stderr)
        print("  stop:  make pg-stop", file=sys.stderr)
