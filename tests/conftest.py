"""Shared fixtures: both database backends, a fixed clock, a bootstrapped app.

Fixtures (use them by name in a test's signature):

- ``db_url``        a fresh, migrated database URL; parametrised ``[sqlite]`` / ``[postgresql]``, so a
                    test using it (or ``app``) runs once per backend.
- ``empty_db_url``  like ``db_url`` but without any schema (for migration tests).
- ``backend``       ``"sqlite"`` or ``"postgresql"``: the parameter behind the two above.
- ``clock``         ``FixedClock(date(2026, 11, 23))``; move it with ``clock.advance(days=1)``.
- ``app``           ``bootstrap(Settings(database_url=db_url), clock=clock)``; engine disposed afterwards.
- ``sqlite_app``    the same on SQLite only, for service tests that need one backend.
- ``pg_url``        a fresh, migrated PostgreSQL database alone (not parametrised).
- ``pg_cluster``    the session's throwaway PostgreSQL cluster (``.new_database()``, ``.url(name)``).

PostgreSQL: each pytest(-xdist) worker starts its own cluster from the ``initdb``/``pg_ctl`` found under
``/usr/lib/postgresql/*/bin`` (or on PATH), in a temporary directory, listening on 127.0.0.1 on a free
port, with durability off (a test database is thrown away). As root, PostgreSQL refuses to run, so the
cluster runs as the unprivileged system user ``huikuan_pg`` (created on first use). A migrated template
database is built once per worker; each test gets ``CREATE DATABASE … TEMPLATE`` (tens of ms) and the
database is dropped after the test. When the cluster cannot start the test FAILS with the reason: a
skipped PostgreSQL test would hide exactly the breakage the suite is there to catch.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from huikuan.adapters.db.engine import make_engine
from huikuan.adapters.db.migrate import upgrade
from huikuan.bootstrap import App, bootstrap
from huikuan.config import Settings
from huikuan.services.ports import FixedClock

BACKENDS = ["sqlite", "postgresql"]
PG_USER = "huikuan_pg"
TODAY = date(2026, 11, 23)


# --------------------------------------------------------------------------- PostgreSQL cluster


def _pg_bindir() -> Path:
    """The newest PostgreSQL server binaries: Debian's versioned dirs first, then PATH."""

    def version(p: Path) -> tuple[int, ...]:
        try:
            return tuple(int(x) for x in p.parent.name.split("."))
        except ValueError:
            return (0,)

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: version(p.parent))
    for initdb in reversed(found):
        if (initdb.parent / "pg_ctl").exists():
            return initdb.parent
    which = shutil.which("initdb")
    if which and shutil.which("pg_ctl"):
        return Path(which).resolve().parent
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH; "
        "run `make sysdeps` (or `make test`, which does it) to install them",
        pytrace=False,
    )


def _ensure_pg_user() -> pwd.struct_passwd:
    """The unprivileged user the cluster runs as when we are root; created once, under a lock
    (two xdist workers may get here at the same moment and useradd is not concurrency-safe)."""
    with open(os.path.join(tempfile.gettempdir(), "huikuan-pg-useradd.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return pwd.getpwnam(PG_USER)
        except KeyError:
            pass
        nologin = "/usr/sbin/nologin" if os.path.exists("/usr/sbin/nologin") else "/bin/false"
        r = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", nologin, PG_USER],
            capture_output=True, text=True,
        )
        if r.returncode != 0:
            pytest.fail(f"cannot create system user {PG_USER} for PostgreSQL: {r.stderr.strip()}", pytrace=False)
        return pwd.getpwnam(PG_USER)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _traversable_tmp() -> str:
    """A temp base the unprivileged user can reach (TMPDIR may point into root's home)."""
    base = Path(tempfile.gettempdir()).resolve()
    for p in (base, *base.parents):
        if not p.stat().st_mode & 0o001:
            return "/tmp"
    return str(base)


@dataclass
class PgCluster:
    """A running throwaway cluster; ``new_database()`` hands out fresh databases."""

    bindir: Path
    root: Path
    port: int
    runas: list[str]
    template: str | None = None
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as c:
            c.execute(sql)  # type: ignore[arg-type]

    def new_database(self, template: str | None = None) -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        tmpl = template or "template0"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}" ENCODING \'UTF8\'')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run([*self.runas, str(self.bindir / "pg_ctl"), "stop", "-D", str(self.root / "data"),
                        "-m", "immediate", "-w"], capture_output=True, text=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _run(cmd: list[str], what: str, log: Path | None = None) -> None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:  # binary missing or not executable
        pytest.fail(f"PostgreSQL {what} could not run ({' '.join(cmd)}): {e}", pytrace=False)
    if r.returncode != 0:
        detail = (r.stderr or r.stdout).strip()
        if log is not None and log.exists():
            detail += "\n--- server log ---\n" + log.read_text(errors="replace")[-3000:]
        pytest.fail(f"PostgreSQL {what} failed ({' '.join(cmd)}):\n{detail}", pytrace=False)


def start_pg_cluster() -> PgCluster:
    bindir = _pg_bindir()
    root = Path(tempfile.mkdtemp(prefix="hk-pg-", dir=_traversable_tmp()))
    try:
        return _start_in(bindir, root)
    except BaseException:  # pytest.fail raises an outcome exception: clean up, then let it fail the test
        shutil.rmtree(root, ignore_errors=True)
        raise


def _start_in(bindir: Path, root: Path) -> PgCluster:
    runas: list[str] = []
    if os.geteuid() == 0:
        user = _ensure_pg_user()
        os.chown(root, user.pw_uid, user.pw_gid)
        runas = ["runuser", "-u", PG_USER, "--"]
    data, log = root / "data", root / "server.log"
    _run([*runas, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
          "--no-locale", "--no-sync", "--no-instructions"], "initdb")
    opts = (f"-c listen_addresses=127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB")
    # Another process may take the port between probing and binding; retry with a new one.
    last = ""
    for _attempt in range(5):
        port = _free_port()
        r = subprocess.run([*runas, str(bindir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
                            "-l", str(log), "-o", f"{opts} -p {port}"], capture_output=True, text=True)
        if r.returncode == 0:
            return PgCluster(bindir, root, port, runas)
        last = (r.stderr or r.stdout).strip() + "\n" + (log.read_text(errors="replace")[-2000:] if log.exists() else "")
    pytest.fail(f"PostgreSQL cluster did not start:\n{last}", pytrace=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = start_pg_cluster()
    try:
        # The migrated schema, once per worker; each test copies it (CREATE DATABASE … TEMPLATE).
        tmpl = cluster.new_database()
        engine = make_engine(cluster.url(tmpl))
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        cluster.template = tmpl
        yield cluster
    finally:
        cluster.stop()


# --------------------------------------------------------------------------- SQLite template


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating every test's file costs more)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # last connection closed: the WAL is checkpointed into the file
    return path


# --------------------------------------------------------------------------- per-test databases


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.contextmanager
def _pg_database(request: pytest.FixtureRequest, migrated: bool) -> Iterator[str]:
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database(cluster.template if migrated else None)
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database already at the newest migration, on each backend in turn."""
    if backend == "sqlite":
        path = tmp_path / "huikuan.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with _pg_database(request, migrated=True) as url:
        yield url


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no tables at all, on each backend in turn."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with _pg_database(request, migrated=False) as url:
        yield url


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database only (row locks, concurrency, SQL only PostgreSQL has)."""
    with _pg_database(request, migrated=True) as url:
        yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def app(db_url: str, clock: FixedClock) -> Iterator[App]:
    a = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        yield a
    finally:
        a.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path, request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[App]:
    path = tmp_path / "huikuan.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    a = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    try:
        yield a
    finally:
        a.engine.dispose()
