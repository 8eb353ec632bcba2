"""An import uploaded through the workbench: the importer's contract (services.import_), plus the audit row
of who imported what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import audit
from .import_ import ImportReport, import_file


def import_upload(app: Any, kind: str, path: Path, *, skip_invalid: bool, actor: str | None,
                  rejects_dir: Path | None = None) -> ImportReport:
    """Import ``path``; raises ``ImportRejected`` (nothing written) unless valid or ``skip_invalid``.

    The importer commits in its own transaction; the audit row follows it at once (an import that wrote
    nothing leaves none)."""
    rejects = (rejects_dir / (path.name + ".rejects.csv")) if rejects_dir else None
    report = import_file(app, kind, path, skip_invalid=skip_invalid, rejects_path=rejects)
    with app.uow() as uow:
        audit.record(uow, app.clock.now(), actor, "import.done", "import", f"{kind}:{path.name}",
                     after={"kind": kind, "file": path.name, "rows": report.rows, "inserted": report.inserted,
                            "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected})
        uow.commit()
    return report
