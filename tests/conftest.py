"""Shared fixtures: both database backends, a fixed clock, a bootstrapped app.

Fixtures (use them by name in a test's signature):

- ``db_url``        an empty, migrated database URL; parametrised ``[sqlite]`` / ``[postgresql]``, so a
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
database is built once per worker. ``db_url`` reuses one database per worker, emptied before each test
(rows deleted, sequences restarted: milliseconds, where ``CREATE DATABASE … TEMPLATE`` + ``DROP`` cost
0.1–0.5 s); if a test changed its schema, it is replaced from the template. ``pg_url`` and
``empty_db_url`` create (and drop) a database of their own. When the cluster cannot start the test FAILS
with the reason: a skipped PostgreSQL test would hide exactly the breakage the suite is there to catch.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
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

import hypothesis
import pytest

from huikuan.adapters.db.engine import make_engine
from huikuan.adapters.db.migrate import upgrade
from huikuan.bootstrap import App, bootstrap
from huikuan.config import Settings
from huikuan.services.ports import FixedClock

# Hypothesis runs derandomised (a fixed seed) unless HYPOTHESIS_PROFILE=explore: a property that
# kills a mutant must kill it on every run, in CI and here, not by chance.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis.settings.register_profile("explore", derandomize=False, max_examples=500)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
        try:
            r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", nologin, PG_USER],
                               capture_output=True, text=True)
            reason = r.stderr.strip() if r.returncode else ""
        except OSError as e:  # no useradd on this image
            reason = str(e)
        if not reason:
            return pwd.getpwnam(PG_USER)
        try:
            return pwd.getpwnam("nobody")  # any unprivileged user will do; the data dir is chowned to it
        except KeyError:
            pytest.fail(f"cannot create system user {PG_USER} for PostgreSQL: {reason}", pytrace=False)


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


# What must be unchanged for the reusable database to be reused: tables, columns, indexes,
# constraints, sequences, and the migration it is at.
_FINGERPRINT_SQL = """
SELECT
  (SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':'
                     || coalesce(column_default, ''), ',' ORDER BY table_name, column_name)
     FROM information_schema.columns WHERE table_schema = 'public'),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname)
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
     WHERE relkind IN ('S', 'v', 'm') AND relnamespace = 'public'::regnamespace),
  (SELECT string_agg(version_num, ',') FROM alembic_version)
"""


@dataclass
class PgCluster:
    """A running throwaway cluster; ``new_database()`` hands out fresh databases."""

    bindir: Path
    root: Path
    port: int
    runas: list[str]
    template: str | None = None
    _reusable: str | None = None
    _fingerprint: tuple[object, ...] | None = None
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
        # FILE_COPY (PostgreSQL 15+) copies the files instead of WAL-logging every page: twice as
        # fast for a small template, and its checkpoint costs nothing with fsync off.
        strategy = " STRATEGY FILE_COPY" if self.version >= 150000 else ""
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}" ENCODING \'UTF8\'{strategy}')
        return name

    # -- the worker's reusable database: emptied before each test instead of created and dropped
    # (a few ms instead of a few hundred under load). A test that changed the schema is detected by
    # its fingerprint and the database is replaced from the template.

    def clean_database(self) -> str:
        if self._reusable is not None:
            try:
                if self._empty(self._reusable):
                    return self._reusable
            except Exception:  # noqa: BLE001 — any doubt about the old database: replace it
                pass
            self.drop_database(self._reusable)
        self._reusable = self.new_database(self.template)
        if self._fingerprint is None:
            self._fingerprint = self._schema_fingerprint(self._reusable)
        return self._reusable

    def _connect(self, dbname: str):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True)

    def _schema_fingerprint(self, dbname: str) -> tuple[object, ...]:
        with self._connect(dbname) as c:
            return tuple(c.execute(_FINGERPRINT_SQL).fetchone() or ())

    def _empty(self, dbname: str) -> bool:
        """Delete every row (but the migration version) and restart sequences; False if the schema changed."""
        with self._connect(dbname) as c:
            # Connections a previous test leaked would hold locks; they belong to a finished test.
            c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            if tuple(c.execute(_FINGERPRINT_SQL).fetchone() or ()) != self._fingerprint:
                return False
            tables = [r[0] for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
            with c.transaction():
                c.execute("SET LOCAL session_replication_role = replica")  # no FK order needed
                for name in tables:
                    c.execute(f'DELETE FROM "{name}"')  # type: ignore[arg-type]
                c.execute("SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_namespace n "
                          "ON n.oid = s.relnamespace WHERE s.relkind = 'S' AND n.nspname = 'public'")
        return True

    @functools.cached_property
    def version(self) -> int:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as c:
            row = c.execute("SHOW server_version_num").fetchone()
        return int(row[0]) if row else 0

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
        runas = ["runuser", "-u", user.pw_name, "--"]
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
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at the newest migration, on each backend in turn.

    SQLite: a copy of the migrated template file in ``tmp_path``. PostgreSQL: the worker's reusable
    database, emptied (rows deleted, sequences restarted; replaced from the template when a test
    changed its schema). A test that needs a second database, or keeps one across tests, asks
    ``pg_cluster.new_database(pg_cluster.template)``.
    """
    if backend == "sqlite":
        path = tmp_path / "huikuan.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.url(cluster.clean_database())


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


def _reset_cli_state() -> None:
    from dataclasses import fields

    from huikuan.entrypoints.cli.common import state

    cached = getattr(state, "_app", None)
    if cached is not None:
        cached.engine.dispose()
    fresh = type(state)()
    for f in fields(state):
        setattr(state, f.name, getattr(fresh, f.name))


@pytest.fixture(autouse=True)
def _fresh_cli_state() -> Iterator[None]:
    """The CLI keeps its bootstrapped app and options in a module-level ``state``: each test starts
    from a fresh one, and the app a test's CLI calls bootstrapped is disposed after it (an engine left
    behind would close its connections at garbage collection, failing some later, unrelated test)."""
    _reset_cli_state()
    yield
    _reset_cli_state()


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
