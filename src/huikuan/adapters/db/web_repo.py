"""Users, roles, API tokens, sessions, settings and the audit log (the web workbench's own tables).

``AuditRepo`` has no update and no delete: the audit log is append-only (the database refuses both too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from . import tables as t


def _pk(result: Any) -> int:
    return int(result.inserted_primary_key[0])


class UserRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def by_name(self, name: str) -> Any:
        u = t.app_user.c
        return self.c.execute(select(t.app_user).where(u.company_id == self.cid, u.name == name)).first()

    def by_id(self, user_id: int) -> Any:
        u = t.app_user.c
        return self.c.execute(select(t.app_user).where(u.company_id == self.cid, u.id == user_id)).first()

    def all(self) -> list[Any]:
        u = t.app_user.c
        return list(self.c.execute(select(t.app_user).where(u.company_id == self.cid).order_by(u.name)))

    def add(self, **values: Any) -> int:
        r = self.c.execute(insert(t.app_user).values(company_id=self.cid, **values))
        return _pk(r)

    def update(self, user_id: int, **values: Any) -> None:
        u = t.app_user.c
        self.c.execute(update(t.app_user).where(u.company_id == self.cid, u.id == user_id).values(**values))

    def roles(self, user_id: int) -> list[str]:
        r = t.user_role.c
        return sorted(self.c.execute(select(r.role).where(r.company_id == self.cid, r.user_id == user_id)).scalars())

    def all_roles(self) -> dict[int, list[str]]:
        r = t.user_role.c
        out: dict[int, list[str]] = {}
        for uid, role in self.c.execute(select(r.user_id, r.role).where(r.company_id == self.cid).order_by(r.role)):
            out.setdefault(uid, []).append(role)
        return out

    def set_roles(self, user_id: int, roles: Sequence[str]) -> None:
        r = t.user_role.c
        self.c.execute(delete(t.user_role).where(r.company_id == self.cid, r.user_id == user_id))
        if roles:
            self.c.execute(insert(t.user_role), [{"company_id": self.cid, "user_id": user_id, "role": x} for x in roles])

    def people(self) -> tuple[list[str], list[str]]:
        """The collectors and the sales owners named on customers, most customers first."""
        cu = t.customer.c
        out: list[list[str]] = []
        for col in (cu.collector, cu.sales_owner):
            q = (select(col).where(cu.company_id == self.cid, col.is_not(None)).group_by(col)
                 .order_by(func.count().desc(), col))
            out.append([str(x) for x in self.c.execute(q).scalars()])
        return out[0], out[1]

    # ── API tokens
    def add_token(self, user_id: int, token_hash: str, now: datetime) -> None:
        self.c.execute(insert(t.api_token).values(company_id=self.cid, user_id=user_id, token_hash=token_hash,
                                                  created_at=now))

    def by_token(self, token_hash: str) -> Any:
        k, u = t.api_token.c, t.app_user.c
        return self.c.execute(
            select(t.app_user).join(t.api_token, (k.company_id == u.company_id) & (k.user_id == u.id))
            .where(k.company_id == self.cid, k.token_hash == token_hash, k.revoked.is_(False))).first()

    # ── sessions
    def add_session(self, id_hash: str, user_id: int, now: datetime) -> None:
        self.c.execute(insert(t.web_session).values(id_hash=id_hash, company_id=self.cid, user_id=user_id,
                                                    created_at=now, seen_at=now))

    def by_session(self, id_hash: str) -> Any:
        s, u = t.web_session.c, t.app_user.c
        return self.c.execute(
            select(t.app_user, s.created_at.label("session_created_at"))
            .join(t.web_session, (s.company_id == u.company_id) & (s.user_id == u.id))
            .where(s.company_id == self.cid, s.id_hash == id_hash)).first()

    def drop_session(self, id_hash: str) -> None:
        s = t.web_session.c
        self.c.execute(delete(t.web_session).where(s.company_id == self.cid, s.id_hash == id_hash))

    def drop_sessions_of(self, user_id: int) -> None:
        s = t.web_session.c
        self.c.execute(delete(t.web_session).where(s.company_id == self.cid, s.user_id == user_id))


class SettingRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def get(self, key: str) -> str | None:
        s = t.app_setting.c
        v = self.c.execute(select(s.value).where(s.company_id == self.cid, s.key == key)).scalar()
        return None if v is None else str(v)

    def put(self, key: str, value: str) -> None:
        s = t.app_setting.c
        self.c.execute(delete(t.app_setting).where(s.company_id == self.cid, s.key == key))
        self.c.execute(insert(t.app_setting).values(company_id=self.cid, key=key, value=value))


class AuditRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def add(self, **values: Any) -> int:
        r = self.c.execute(insert(t.audit_log).values(company_id=self.cid, **values))
        return _pk(r)

    def find(self, *, actor: str | None = None, action: str | None = None, entity_key: str | None = None,
             before_id: int | None = None, limit: int = 50) -> list[Any]:
        a = t.audit_log.c
        cond = [a.company_id == self.cid]
        if actor:
            cond.append(a.actor == actor)
        if action:
            cond.append(a.action == action)
        if entity_key:
            cond.append(a.entity_key == entity_key)
        if before_id is not None:
            cond.append(a.id < before_id)
        return list(self.c.execute(select(t.audit_log).where(*cond).order_by(a.id.desc()).limit(limit)))

    def count(self) -> int:
        a = t.audit_log.c
        return int(self.c.execute(select(func.count()).where(a.company_id == self.cid)).scalar() or 0)
