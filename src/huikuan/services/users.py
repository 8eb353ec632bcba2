"""Users of the workbench and the API: add, change password, disable, roles, API tokens, sign-in with
throttling, sessions, and the language each person chose. Every change is audited.

Sign-in throttling: 5 failed passwords lock that user for 15 minutes (``app_user.locked_until``), and an
address that keeps failing waits longer each time (``IpBackoff``, per process). Passwords are hashed with
argon2 through the ``PasswordHasher`` port; tokens and session ids are stored as SHA-256 hashes only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.access import Scope, scope_for
from ..domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from ..domain.ledger import Role
from . import audit

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
LANGS = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a signed-in user (page or API), with roles and customer scope."""

    id: int
    name: str
    roles: tuple[str, ...]
    person: str | None  # collector / sales-owner name as on customers
    lang: str = "zh"

    @property
    def scope(self) -> Scope:
        return scope_for(self.roles, self.person)

    def has(self, *roles: Role | str) -> bool:
        return bool(set(self.roles) & {str(r) for r in roles})


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    name: str
    roles: tuple[str, ...]
    person: str | None
    lang: str
    disabled: bool
    locked_until: datetime | None
    email: str | None = None  # the collector's own address: Reply-To of their customers' reminders


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def _roles(roles: Iterable[str]) -> list[str]:
    out: list[str] = []
    for r in roles:
        try:
            v = Role(r.strip()).value
        except ValueError as e:
            raise InvalidInput("input.enum", field="role", value=r, allowed=", ".join(x.value for x in Role)) from e
        if v not in out:
            out.append(v)
    if not out:
        raise InvalidInput("user.no_role")
    return out


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("user.password_short", min=MIN_PASSWORD, field="password")


def _user(uow: Any, name: str) -> Any:
    row = uow.users.by_name(name)
    if row is None:
        raise NotFound("user.not_found", what="user", value=name)
    return row


def _principal(uow: Any, row: Any) -> Principal:
    return Principal(row.id, row.name, tuple(uow.users.roles(row.id)), row.collector_name, row.lang or "zh")


def _email(value: str | None) -> str | None:
    """A user's e-mail: None when blank; an address that is not one is refused, naming the field."""
    from .outbox import valid_email

    text = (value or "").strip()
    if not text:
        return None
    if not valid_email(text):
        raise InvalidInput("user.email", field="email", value=text)
    return text


def add_user(app: Any, name: str, roles: Sequence[str], password: str, *, person: str | None = None,
             actor: str | None = None, email: str | None = None) -> int:
    name = (name or "").strip()
    address = _email(email)
    if not name or len(name) > 60:
        raise InvalidInput("user.name", field="name", value=name)
    rs = _roles(roles)
    _check_password(password)
    hashed = app.hasher.hash(password)
    with app.uow() as uow:
        if uow.users.by_name(name) is not None:
            raise Conflict("user.exists", value=name)
        uid = uow.users.add(name=name, password_hash=hashed, collector_name=(person or "").strip() or None,
                            created_at=_utc(app.clock.now()), lang="zh", email=address)
        uow.users.set_roles(uid, rs)
        audit.record(uow, app.clock.now(), actor, "user.added", "user", name,
                     after={"roles": rs, "person": person, "email": address})
        uow.commit()
    return int(uid)


def set_password(app: Any, name: str, password: str, *, actor: str | None = None) -> None:
    _check_password(password)
    hashed = app.hasher.hash(password)
    with app.uow() as uow:
        row = _user(uow, name)
        uow.users.update(row.id, password_hash=hashed, failed_logins=0, locked_until=None)
        uow.users.drop_sessions_of(row.id)  # a new password signs every browser out
        audit.record(uow, app.clock.now(), actor, "user.password_changed", "user", name)
        uow.commit()


def set_disabled(app: Any, name: str, disabled: bool = True, *, actor: str | None = None) -> None:
    with app.uow() as uow:
        row = _user(uow, name)
        uow.users.update(row.id, disabled=disabled)
        if disabled:
            uow.users.drop_sessions_of(row.id)
        audit.record(uow, app.clock.now(), actor, "user.disabled" if disabled else "user.enabled", "user", name,
                     before={"disabled": bool(row.disabled)}, after={"disabled": disabled})
        uow.commit()


def set_roles(app: Any, name: str, roles: Sequence[str], *, person: str | None = None,
              actor: str | None = None, email: str | None = None) -> None:
    """Roles, and (when given) the collector name and e-mail; ``email=""`` clears the address."""
    rs = _roles(roles)
    address = _email(email) if email is not None else None
    with app.uow() as uow:
        row = _user(uow, name)
        before = uow.users.roles(row.id)
        uow.users.set_roles(row.id, rs)
        if person is not None:
            uow.users.update(row.id, collector_name=person.strip() or None)
        if email is not None:
            uow.users.update(row.id, email=address)
        audit.record(uow, app.clock.now(), actor, "user.roles_changed", "user", name,
                     before={"roles": before, "person": row.collector_name, "email": row.email},
                     after={"roles": rs, "person": person if person is not None else row.collector_name,
                            "email": address if email is not None else row.email})
        uow.commit()


def list_users(app: Any) -> list[UserInfo]:
    with app.uow(write=False) as uow:
        roles = uow.users.all_roles()
        return [UserInfo(r.id, r.name, tuple(roles.get(r.id, ())), r.collector_name, r.lang, bool(r.disabled),
                         r.locked_until, r.email) for r in uow.users.all()]


def issue_token(app: Any, name: str, *, actor: str | None = None) -> str:
    """A new API token for ``name``: returned once, stored only as its hash."""
    token = "hk_" + secrets.token_urlsafe(32)
    with app.uow() as uow:
        row = _user(uow, name)
        uow.users.add_token(row.id, _hash(token), _utc(app.clock.now()))
        audit.record(uow, app.clock.now(), actor, "user.token_issued", "user", name)
        uow.commit()
    return token


def principal_for_token(app: Any, token: str) -> Principal | None:
    if not token:
        return None
    with app.uow(write=False) as uow:
        row = uow.users.by_token(_hash(token))
        if row is None or row.disabled:
            return None
        return _principal(uow, row)


# ── sign-in ─────────────────────────────────────────────────────────────────────────────────────

@dataclass
class IpBackoff:
    """Per-address backoff after repeated failures: from the 5th failure within 15 minutes, each attempt
    must wait 2^(n-5) seconds (capped at 15 minutes) after the previous failure. Per process, in memory."""

    failures: dict[str, list[datetime]] = field(default_factory=dict)
    free: int = MAX_FAILURES
    window: timedelta = timedelta(minutes=LOCK_MINUTES)

    def wait(self, ip: str, now: datetime) -> int:
        recent = [t for t in self.failures.get(ip, []) if now - t < self.window]
        self.failures[ip] = recent
        if len(recent) < self.free:
            return 0
        delay = min(2 ** (len(recent) - self.free), int(self.window.total_seconds()))
        left = (recent[-1] + timedelta(seconds=delay) - now).total_seconds()
        return max(0, int(left + 0.999))

    def failed(self, ip: str, now: datetime) -> None:
        self.failures.setdefault(ip, []).append(now)
        if len(self.failures) > 10_000:  # bounded memory under a spray of addresses
            self.failures.pop(next(iter(self.failures)))

    def succeeded(self, ip: str) -> None:
        self.failures.pop(ip, None)


def authenticate(app: Any, name: str, password: str, *, ip: str = "-", backoff: IpBackoff | None = None) -> Principal:
    """The user behind ``name``/``password``; raises ``RuleViolation('auth.failed')`` without saying which
    part was wrong, ``auth.locked`` while locked, ``auth.ip_wait`` while the address must wait."""
    now = app.clock.now()
    if backoff is not None:
        wait = backoff.wait(ip, now)
        if wait:
            raise RuleViolation("auth.ip_wait", seconds=wait)
    with app.uow() as uow:
        row = uow.users.by_name((name or "").strip())
        if row is None or row.disabled or not row.password_hash:
            app.hasher.hash(password or "x")  # same cost either way: no user enumeration by timing
            if backoff is not None:
                backoff.failed(ip, now)
            raise RuleViolation("auth.failed")
        if row.locked_until is not None and row.locked_until > _utc(now):
            raise RuleViolation("auth.locked", minutes=LOCK_MINUTES)
        if not app.hasher.verify(row.password_hash, password or ""):
            failures = (row.failed_logins or 0) + 1
            locked = _utc(now) + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            uow.users.update(row.id, failed_logins=0 if locked else failures, locked_until=locked)
            if locked:
                audit.record(uow, now, row.name, "user.locked", "user", row.name, after={"minutes": LOCK_MINUTES})
            uow.commit()
            if backoff is not None:
                backoff.failed(ip, now)
            raise RuleViolation("auth.locked" if locked else "auth.failed", minutes=LOCK_MINUTES)
        if row.failed_logins or row.locked_until:
            uow.users.update(row.id, failed_logins=0, locked_until=None)
            uow.commit()
        if backoff is not None:
            backoff.succeeded(ip)
        return _principal(uow, row)


def open_session(app: Any, user_id: int) -> str:
    """A fresh session id for a signed-in user (always new: the id before sign-in is never reused)."""
    sid = secrets.token_urlsafe(32)
    with app.uow() as uow:
        uow.users.add_session(_hash(sid), user_id, _utc(app.clock.now()))
        uow.commit()
    return sid


def principal_for_session(app: Any, sid: str | None) -> Principal | None:
    if not sid:
        return None
    with app.uow(write=False) as uow:
        row = uow.users.by_session(_hash(sid))
        if row is None or row.disabled:
            return None
        return _principal(uow, row)


def close_session(app: Any, sid: str | None) -> None:
    if not sid:
        return
    with app.uow() as uow:
        uow.users.drop_session(_hash(sid))
        uow.commit()


def set_language(app: Any, user_id: int, lang: str) -> None:
    if lang not in LANGS:
        raise InvalidInput("input.enum", field="lang", value=lang, allowed=", ".join(LANGS))
    with app.uow() as uow:
        uow.users.update(user_id, lang=lang)
        uow.commit()


DEMO_PASSWORD = "huikuan-demo"


def ensure_demo_users(app: Any) -> list[tuple[str, str, str | None]]:
    """One user per role for the demo, named after the role, password ``DEMO_PASSWORD``; the collector and
    the salesperson get the name of a real collector / sales owner of the demo's customers. Returns
    (role, user name, person) for each; users that exist are left as they are."""
    with app.uow(write=False) as uow:
        collectors, sales = uow.users.people()
    out: list[tuple[str, str, str | None]] = []
    for role in Role:
        person = (collectors[:1] or [None])[0] if role is Role.COLLECTOR else (
            (sales[:1] or [None])[0] if role is Role.SALES else None)
        with app.uow(write=False) as uow:
            exists = uow.users.by_name(role.value) is not None
        if not exists:
            add_user(app, role.value, [role.value], DEMO_PASSWORD, person=person, actor=audit.SYSTEM)
        out.append((role.value, role.value, person))
    return out
