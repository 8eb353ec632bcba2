"""Typed settings, read once: ``huikuan.toml`` (current directory or ``HUIKUAN_CONFIG``), then
``HUIKUAN_*`` environment variables, which win.

| key            | env                      | default                          |
|----------------|--------------------------|----------------------------------|
| database_url   | HUIKUAN_DATABASE_URL     | sqlite:///huikuan.db             |
| company        | HUIKUAN_COMPANY          | 演示贸易有限公司                   |
| company_code   | HUIKUAN_COMPANY_CODE     | default                          |
| currency       | HUIKUAN_CURRENCY         | CNY                              |
| locale         | HUIKUAN_LOCALE           | zh-CN (or en)                    |
| timezone       | HUIKUAN_TIMEZONE         | Asia/Shanghai                    |
| policy_dir     | HUIKUAN_POLICY_DIR       | (shipped policies only)          |
| roll_due_to_workday | HUIKUAN_ROLL_DUE_TO_WORKDAY | false (ADR 0005)            |
| import_date_window_years | HUIKUAN_IMPORT_DATE_WINDOW_YEARS | 30 (imported dates within ± that many years of today) |
| profile_dir    | HUIKUAN_PROFILE_DIR      | (shipped import profiles only)   |
| run_workers    | HUIKUAN_RUN_WORKERS      | 2 (processes deciding the daily run, at most the cores; 2+: split over customer ranges; ADR 0006) |
| run_parallel_min_customers | HUIKUAN_RUN_PARALLEL_MIN_CUSTOMERS | 20000 (a smaller book is decided in one process) |
| smtp_host      | HUIKUAN_SMTP_HOST        | localhost                        |
| smtp_port      | HUIKUAN_SMTP_PORT        | 25                               |
| smtp_security  | HUIKUAN_SMTP_SECURITY    | none (none, starttls or ssl)     |
| smtp_user      | HUIKUAN_SMTP_USER        | (no authentication)              |
| smtp_password  | HUIKUAN_SMTP_PASSWORD    | (never printed)                  |
| mail_from      | HUIKUAN_MAIL_FROM        | huikuan@localhost                |
| sms_provider   | HUIKUAN_SMS_PROVIDER     | file (file or aliyun)            |
| sms_dir        | HUIKUAN_SMS_DIR          | sms-outbox (the file provider's folder) |
| outbox_max_attempts | HUIKUAN_OUTBOX_MAX_ATTEMPTS | 10 (then the message is dead-lettered) |
| mail_dir       | HUIKUAN_MAIL_DIR         | (unset: SMTP) a folder: one .eml file per e-mail |
| public_url     | HUIKUAN_PUBLIC_URL       | http://localhost:8000 (links in messages) |
| secret_key     | HUIKUAN_SECRET_KEY       | (signs confirmation links; set it in production) |
| company_address / bank_name / bank_account / seal_image | HUIKUAN_… | letterhead and payment instructions on letters (seal: a PNG) |
| aliyun_access_key_id / aliyun_access_key_secret / aliyun_sms_sign_name / aliyun_sms_endpoint | HUIKUAN_ALIYUN_… | Alibaba Cloud SMS |
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///huikuan.db"
    company: str = "演示贸易有限公司"
    company_code: str = "default"
    currency: str = "CNY"
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    policy_dir: str | None = None
    roll_due_to_workday: bool = False  # ADR 0005: contractual dates stay as written
    import_date_window_years: int = 30  # an imported date further than this from today is refused
    profile_dir: str | None = None  # the company's own import layout profiles (docs/imports.md)
    run_workers: int = 2  # processes that gather and decide the daily run (ADR 0006), capped at the machine's cores
    run_parallel_min_customers: int = 20_000  # below this many customers one process decides (no fork cost)
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    mail_from: str = "huikuan@localhost"
    sms_provider: str = "file"
    sms_dir: str = "sms-outbox"
    outbox_max_attempts: int = 10
    mail_dir: str | None = None
    public_url: str = "http://localhost:8000"
    secret_key: str = field(default="huikuan-development-key", repr=False)
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: str | None = field(default=None, repr=False)
    aliyun_sms_sign_name: str | None = None
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    company_address: str = ""
    bank_name: str = ""
    bank_account: str = ""
    seal_image: str | None = None

    @property
    def lang(self) -> str:
        return "en" if self.locale.lower().startswith("en") else "zh"


def _coerce(name: str, value: Any, source: str) -> Any:
    if name == "roll_due_to_workday":
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v in ("1", "true", "yes", "是", "on"):
            return True
        if v in ("0", "false", "no", "否", "off"):
            return False
        raise InvalidInput("config.invalid", key=name, value=value, source=source)
    if name == "import_date_window_years":
        try:
            years = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip())
        except ValueError:
            years = 0
        if not 1 <= years <= 200:
            raise InvalidInput("config.invalid", key=name, value=value, source=source)
        return years
    if name in ("smtp_port", "outbox_max_attempts", "run_workers", "run_parallel_min_customers"):
        try:
            n = int(str(value).strip()) if not isinstance(value, bool) else -1
        except ValueError:
            n = -1
        if n < (0 if name == "run_parallel_min_customers" else 1) or (name == "smtp_port" and n > 65535) or (
                name == "run_workers" and n > 16):
            raise InvalidInput("config.invalid", key=name, value=value, source=source)
        return n
    if not isinstance(value, str):
        raise InvalidInput("config.invalid", key=name, value=value, source=source)
    if name in _CHOICES and value not in _CHOICES[name]:
        raise InvalidInput("config.invalid", key=name, value=value, source=source)
    return value


_CHOICES = {"smtp_security": ("none", "starttls", "ssl"), "sms_provider": ("file", "aliyun")}


def load_settings(env: dict[str, str] | None = None, path: str | Path | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    s = Settings()
    names = {f.name for f in fields(Settings)}
    cfg_path = Path(path or env.get("HUIKUAN_CONFIG") or "huikuan.toml")
    if cfg_path.is_file():
        try:
            data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise InvalidInput("config.toml_invalid", source=str(cfg_path), reason=str(e)) from e
        for key, value in data.items():
            if key not in names:
                raise InvalidInput("config.unknown_key", key=key, source=str(cfg_path))
            s = replace(s, **{key: _coerce(key, value, str(cfg_path))})
    for key in names:
        v = env.get("HUIKUAN_" + key.upper())
        if v is not None and v != "":
            s = replace(s, **{key: _coerce(key, v, "HUIKUAN_" + key.upper())})
    check_locale(s.locale, "settings")
    check_database_url(s.database_url, "settings")
    return s


LOCALES = ("zh-CN", "zh", "en", "en-US", "en-GB")
# What make_engine can open; anything else would fail deep inside SQLAlchemy (a missing driver module).
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


def check_locale(value: str, source: str) -> str:
    """``value`` if it names a language the interface speaks (zh-CN or en), else InvalidInput naming ``source``."""
    if value.lower().replace("_", "-") not in {x.lower() for x in LOCALES}:
        raise InvalidInput("config.locale_unsupported", value=value, source=source, allowed="zh-CN, en")
    return value


def check_database_url(url: str, source: str) -> str:
    """``url`` if its scheme is one huikuan can open, else InvalidInput naming the supported schemes."""
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise InvalidInput("config.database_url_unsupported", scheme=scheme or url[:40], source=source,
                           allowed=", ".join(f"{x}://" for x in DATABASE_SCHEMES))
    return url
