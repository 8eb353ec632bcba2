"""Message templates: an admin previews a template with a real customer's data and saves a new version.

Shipped templates (one per stage × channel × language of the default policy) are version 0; each saved
version gets the next number, and every outbox message records the version it was rendered with.
A template that does not render — a syntax error, a variable that does not exist — fails the
preview and cannot be saved; the send path never meets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.errors import InvalidInput, NotFound
from .outbox import MESSAGE_CHANNELS, message_variables

LANGS = ("zh", "en")


@dataclass(frozen=True, slots=True)
class TemplateKey:
    """One message template: stage × channel × language, and the version messages use now (0: shipped)."""

    stage: str
    channel: str
    lang: str
    version: int
    saved_at: datetime | None = None
    saved_by: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    version: int  # 0: the shipped template
    source: str
    created_at: datetime | None
    created_by: str | None


class _Action:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _variables(app: Any, uow: Any, stage: str, lang: str, customer_code: str) -> dict[str, Any]:
    repo = uow.outbox
    cust = repo.customer_by_code(customer_code)
    if cust is None:
        raise NotFound("customer.not_found", what="customer", value=customer_code)
    invoices = repo.open_invoices(cust.id)
    today = app.clock.now().astimezone(ZoneInfo(app.settings.timezone)).date()
    act = _Action(id=0, stage=stage, amount_minor=sum(int(i.open_minor) for i in invoices), currency=cust.currency,
                  invoices=json.dumps([i.number for i in invoices]), params="{}")
    contacts = repo.contacts([cust.id]).get(cust.id, [])
    company = repo.company()
    return message_variables(company.name if company else app.settings.company, cust,
                             contacts[0].name if contacts else None, act, {i.number: i for i in invoices}, today, lang,
                             app.settings.public_url)


def _check_key(stage: str, channel: str, lang: str) -> None:
    if not stage or len(stage) > 60 or not all(c.isalnum() or c == "_" for c in stage):
        raise InvalidInput("input.enum", field="stage", value=stage, allowed="a policy stage")
    if channel not in MESSAGE_CHANNELS:
        raise InvalidInput("input.enum", field="--channel", value=channel, allowed=", ".join(MESSAGE_CHANNELS))
    if lang not in ("zh", "en"):
        raise InvalidInput("input.enum", field="--lang-of", value=lang, allowed="zh, en")


def preview(app: Any, stage: str, channel: str, lang: str, customer_code: str, source: str | None = None) -> dict[str, str]:
    """The template (``source``, else the version in use) rendered with the customer's data."""
    _check_key(stage, channel, lang)
    engine = app.templates()
    with app.uow(write=False) as uow:
        if source is None:
            saved = uow.outbox.latest_templates().get((stage, channel, lang))
            source = saved[1] if saved else engine.shipped(stage, channel, lang)
            if source is None:
                raise InvalidInput("outbox.no_template", stage=stage, channel=channel, lang=lang)
        blocks = engine.render(source, _variables(app, uow, stage, lang, customer_code))
    if "body" not in blocks:
        raise InvalidInput("template.invalid", reason="no {% block body %}", line="?")
    if channel == "email" and not blocks.get("subject"):
        raise InvalidInput("template.invalid", reason="no {% block subject %}", line="?")
    return {"subject": blocks.get("subject", ""), "text": blocks["body"]}


def save_version(app: Any, stage: str, channel: str, lang: str, source: str, customer_code: str,
                 by: str | None = None) -> int:
    """Save a new version after it previewed cleanly with ``customer_code``'s data; returns its number."""
    preview(app, stage, channel, lang, customer_code, source)
    with app.uow() as uow:
        versions = uow.outbox.template_versions(stage, channel, lang)
        n = (versions[-1].version if versions else 0) + 1
        uow.outbox.add_template_version(stage, channel, lang, n, source,
                                        app.clock.now().astimezone(UTC).replace(tzinfo=None), by)
        uow.commit()
    return n


def catalog(app: Any) -> list[TemplateKey]:
    """Every template (shipped, or saved by an admin) with the version in use, by stage, channel, language."""
    engine = app.templates()
    with app.uow(write=False) as uow:
        saved = {(r.stage, r.channel, r.lang): r for r in uow.outbox.latest_template_rows()}
    keys = sorted(set(engine.shipped_keys()) | set(saved))
    out = []
    for k in keys:
        row = saved.get(k)
        out.append(TemplateKey(str(k[0]), str(k[1]), str(k[2]), version=int(row.version) if row else 0,
                               saved_at=row.created_at if row else None, saved_by=row.created_by if row else None))
    return out


def versions(app: Any, stage: str, channel: str, lang: str) -> list[TemplateVersion]:
    """The template's history, newest first, ending with the shipped version 0 (when there is one)."""
    _check_key(stage, channel, lang)
    shipped = app.templates().shipped(stage, channel, lang)
    with app.uow(write=False) as uow:
        rows = uow.outbox.template_versions(stage, channel, lang)
    if shipped is None and not rows:
        raise NotFound("template.not_found", what="template", value=f"{stage}.{channel}.{lang}")
    out = [TemplateVersion(int(r.version), r.source, r.created_at, r.created_by) for r in reversed(rows)]
    if shipped is not None:
        out.append(TemplateVersion(0, shipped, None, None))
    return out
