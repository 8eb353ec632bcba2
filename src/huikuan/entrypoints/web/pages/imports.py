"""Imports in the browser (finance): upload a CSV/XLSX of customers, contacts, invoices, payments or credit
notes and see the importer's row-level report. Nothing is written unless the file is valid or "import the
valid rows" is ticked; files past the upload limit (default 50 MB) are refused with a clear message."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from .... import i18n
from ....domain.errors import ImportRejected
from ....domain.ledger import Role
from ....services import uploads
from ....services.import_ import KINDS
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..templating import render, request_lang

router = APIRouter()
NAV = (NavItem("/imports", "nav.imports", (str(Role.FINANCE),), order=45),)
SUFFIXES = (".csv", ".xlsx", ".xlsm")


def _page(request: Request, status: int = 200, **ctx: object) -> Response:
    limit_mb = request.app.state.hk.upload_limit // (1024 * 1024)
    return render(request, "imports.html", {"kinds": KINDS, "limit_mb": limit_mb, "kind": "invoices", **ctx},
                  status=status)


@router.get("/imports", dependencies=[requires(Role.FINANCE)])
def form(request: Request) -> Response:
    return _page(request)


@router.post("/imports", dependencies=[requires(Role.FINANCE)])
async def upload(request: Request, user: Annotated[Principal, Depends(current_user)],
                 kind: Annotated[str, Form(max_length=20)], file: Annotated[UploadFile, File()],
                 skip_invalid: Annotated[bool, Form()] = False) -> Response:
    hk = request.app.state.hk
    lang = request_lang(request)
    name = Path(file.filename or "upload").name
    if kind not in KINDS:
        return _page(request, 422, error=i18n.t("input.enum", lang, field="kind", value=kind, allowed=", ".join(KINDS)))
    if not name.lower().endswith(SUFFIXES):
        return _page(request, 422, kind=kind, error=i18n.t("imports.bad_type", lang, name=name))
    limit = hk.upload_limit
    with tempfile.TemporaryDirectory(prefix="hk-upload-") as tmp:
        path = Path(tmp) / name
        size = 0
        with path.open("wb") as out:
            while chunk := await file.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    return _page(request, 413, kind=kind,
                                 error=i18n.t("imports.too_large", lang, name=name, limit=limit // (1024 * 1024)))
                out.write(chunk)
        try:
            report = uploads.import_upload(hk.app, kind, path, skip_invalid=skip_invalid, actor=user.name,
                                           rejects_dir=Path(tmp))
        except ImportRejected as e:
            return _page(request, 422, kind=kind, rejected=True, problems=_rows(e.problems, lang), name=name)
        shutil.rmtree(tmp, ignore_errors=True)
    return _page(request, kind=kind, report=report, problems=_rows(report.problems, lang), name=name)


def _rows(problems: Sequence[object], lang: str) -> list[dict[str, str]]:
    out = []
    for p in problems[:1000]:
        params = getattr(p, "params", {})
        out.append({"source": getattr(p, "source", ""), "where": getattr(p, "where", ""),
                    "value": str(params.get("value", "")), "reason": i18n.problem_text(p, lang)})  # type: ignore[arg-type]
    return out
