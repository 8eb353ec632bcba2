"""Moved to ``services/import_/profiles.py`` with the importer's split per kind; this name stays for callers."""

from __future__ import annotations

from .import_.profiles import *  # noqa: F403
