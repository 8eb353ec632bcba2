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
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
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
    if not isinstance(value, str):
        raise InvalidInput("config.invalid", key=name, value=value, source=source)
    return value


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
