"""An import uploaded through the workbench: the importer's contract (services.import_), audited in the
import's own transaction with the signed-in user as actor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import audit
from .import_ import ImportReport, import_file


def import_upload(app: Any, kind: str, path: Path, *, skip_invalid: bool, actor: str | None,
                  rejects_dir: Path | None = None) -> ImportReport:
    """Import ``path``; raises ``ImportRejected`` (nothing written, no audit row) unless valid or
    ``skip_invalid``. The audit row is written by the importer, in the import's transaction."""
    rejects = (rejects_dir / (path.name + ".rejects.csv")) if rejects_dir else None
    return import_file(app, kind, path, skip_invalid=skip_invalid, rejects_path=rejects,
                       by=audit.By(actor or audit.SYSTEM, app.clock.now()))
