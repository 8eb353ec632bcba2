"""The daily run's lock: one run at a time per company, and a lock that dies with its holder.

The lock row names a run; the run row names its holder (pid, host) and carries a lease
(``heartbeat_at``) that a background thread renews while the run works. A holder is alive while its
lease is fresh and — when it ran on this host — its process still exists. A dead holder's lock is
taken over at once (with a message saying whose it was) and its run marked ``interrupted``; a
holder on another host is trusted until its lease expires. ``huikuan runs`` shows a "running" run
whose holder is dead as interrupted, so a killed run never reads as running forever.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..domain.errors import RunLocked

LEASE = timedelta(minutes=2)
RENEW_EVERY_SECONDS = 15.0  # well inside the lease: three renewals may fail before anyone takes over


def this_host() -> str:
    return socket.gethostname()[:255]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


@dataclass(frozen=True)
class Holder:
    run_id: int
    status: str | None
    pid: int | None
    host: str | None
    seen_at: datetime | None  # the lease's last renewal (UTC, naive)

    def alive(self, now: datetime, host: str, probe: Callable[[int], bool] = pid_alive) -> bool:
        if self.status != "running" or self.seen_at is None:
            return False  # the run finished (or its row vanished) but its lock stayed
        if now - self.seen_at > LEASE:
            return False
        if self.host == host and self.pid is not None:
            return probe(self.pid)
        return True


def holder_of(row: Any) -> Holder:
    return Holder(int(row.run_id), row.status, row.pid, row.host, row.heartbeat_at or row.locked_at)


def acquire(repo: Any, run_id: int, now: datetime, host: str) -> Holder | None:
    """Take the company's run lock for ``run_id`` inside the caller's transaction.

    Returns the dead holder whose lock was taken over (None when the lock was free); raises
    ``RunLocked`` while a live run holds it."""
    row = repo.lock_holder()
    taken_over = None
    if row is not None:
        holder = holder_of(row)
        if holder.alive(now, host):
            raise RunLocked("run.locked", run_id=holder.run_id, pid=holder.pid or "?", host=holder.host or "?",
                           since=(holder.seen_at or now).isoformat(timespec="seconds"))
        repo.mark_interrupted(holder.run_id, now)
        repo.drop_lock()
        taken_over = holder
    try:
        repo.take_lock(run_id, now)
    except Exception as e:  # the insert races another process's; its unique key decides who runs
        if type(e).__name__ != "IntegrityError":
            raise
        raise RunLocked("run.locked", run_id="?", pid="?", host="?", since="") from e
    return taken_over


def shown_status(row: Any, now: datetime, host: str) -> str:
    """The status ``runs`` shows: a "running" run whose holder is dead was interrupted."""
    if row.status != "running":
        return str(row.status)
    seen = row.heartbeat_at or row.started_at
    alive = Holder(int(row.id), row.status, row.pid, row.host, seen).alive(now, host)
    return "running" if alive else "interrupted"


class Lease:
    """Renews a run's lease from a daemon thread until ``stop()`` (a dead process renews nothing)."""

    def __init__(self, renew: Callable[[], None], every: float = RENEW_EVERY_SECONDS) -> None:
        self._renew, self._every = renew, every
        self._stop = threading.Event()
        self.renewals = 0
        self._thread = threading.Thread(target=self._loop, name="huikuan-run-lease", daemon=True)

    def start(self) -> Lease:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._renew()
                self.renewals += 1
            except Exception:  # noqa: BLE001 — a busy or briefly unreachable database: try at the next tick
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
