"""登録情報のダウンロード: the seeker's data export (included by pages_seeker).

- ``GET /mypage/export``                       what the exports hold, the seeker's exports still
                                               kept (``GET /api/v1/me/exports``), the button
                                               that starts one
- ``POST /mypage/export``                      start the whole export (``POST /api/v1/me/export``)
                                               → its page; one running at a time (409 shown)
- ``GET /mypage/export/download``              identity's part at once (``GET /api/v1/me/export``)
                                               as a JSON attachment
- ``GET /mypage/export/{export_id}``           the whole export: while the services' parts are
                                               collected a page that reloads itself, then the
                                               printable document (every service's part)
- ``GET /mypage/export/{export_id}/download``  the whole document as a JSON attachment
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, SeekerOnly, render, segment
from web.gateway import ApiError
from web.seeker_kit import APPLICATION_STATUS

router = APIRouter()

# the parts of the whole export, by the name the API gives them
PART_NAMES = {
    "jobs": "お気に入り・保存した検索条件・おすすめ求人",
    "applications": "応募履歴・紹介状・リクエスト",
    "messaging": "メッセージ・お知らせ",
    "notifier": "通知",
}
EXPORT_STATUS = {"pending": "作成中", "ready": "作成済み", "partial": "一部のみ作成"}
LIST_NAMES = {
    "favorites": "お気に入り",
    "saved_searches": "保存した検索条件",
    "recommendations": "おすすめ求人",
    "applications": "応募履歴",
    "requests": "リクエスト",
    "conversations": "メッセージのやり取り",
    "messages": "メッセージ",
    "notices": "お知らせ",
    "notifications": "通知",
}
RELOAD_SECONDS = 2


def attachment(data: Any, name: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.json"'},
    )


async def export_list_page(
    request: Request, *, status: int = 200, error: str | None = None
) -> Response:
    found = await api(request, "GET", "/api/v1/me/exports")
    return await render(
        request,
        "seeker_export.html",
        status=status,
        exports=found.get("items") or [],
        export_status=EXPORT_STATUS,
        error=error,
    )


@router.get("/mypage/export", response_class=HTMLResponse)
async def export_page(request: Request, session: SeekerOnly) -> Response:
    return await export_list_page(request)


@router.post("/mypage/export", response_class=HTMLResponse)
async def start_export(request: Request, session: SeekerOnly, form: FormDep) -> Response:
    try:
        job = await api(request, "POST", "/api/v1/me/export")
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        return await export_list_page(request, status=exc.status, error=exc.detail)
    export_id = segment(str(job["export_id"]), "データ出力")
    return RedirectResponse(f"/mypage/export/{export_id}", status_code=303)


@router.get("/mypage/export/download")
async def export_download(request: Request, session: SeekerOnly) -> Response:
    return attachment(await api(request, "GET", "/api/v1/me/export"), "hataraku-mydata")


@router.get("/mypage/export/{export_id}", response_class=HTMLResponse)
async def export_document(request: Request, export_id: str, session: SeekerOnly) -> Response:
    job = await api(request, "GET", f"/api/v1/me/export/{segment(export_id, 'データ出力')}")
    return await render(
        request,
        "seeker_export_document.html",
        forms=False,
        job=job,
        doc=job.get("document") or {},
        reload_seconds=RELOAD_SECONDS if job.get("status") == "pending" else None,
        cut=sorted({name for names in (job.get("truncated") or {}).values() for name in names}),
        export_status=EXPORT_STATUS,
        part_names=PART_NAMES,
        list_names=LIST_NAMES,
        application_status=APPLICATION_STATUS,
    )


@router.get("/mypage/export/{export_id}/download")
async def export_document_download(
    request: Request, export_id: str, session: SeekerOnly
) -> Response:
    export_id = segment(export_id, "データ出力")
    job = await api(request, "GET", f"/api/v1/me/export/{export_id}")
    if job.get("status") == "pending":
        return RedirectResponse(f"/mypage/export/{export_id}", status_code=303)
    return attachment(job.get("document"), "hataraku-mydata-all")
