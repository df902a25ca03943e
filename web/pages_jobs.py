"""求人検索 (anyone): keywords (full- or half-width: the API normalises), prefecture and
employment type, paging by cursor; and one posting (求人票)."""

from __future__ import annotations

import string
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.deps import WebDep, render
from web.gateway import ApiError
from web.reference import EMPLOYMENT_TYPE_NAMES, PREFECTURE_CODES

ID_CHARS = frozenset(string.ascii_letters + string.digits + "-_")

router = APIRouter(prefix="/jobs")


@router.get("", response_class=HTMLResponse)
async def search(
    request: Request,
    web: WebDep,
    q: Annotated[str, Query(max_length=200)] = "",
    prefecture: Annotated[str, Query(max_length=2)] = "",
    employment_type: Annotated[list[str] | None, Query()] = None,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    # what the form can send; anything else is dropped rather than refused
    types = [t for t in employment_type or [] if t in EMPLOYMENT_TYPE_NAMES]
    pref = prefecture if prefecture in PREFECTURE_CODES else ""
    conditions: dict[str, Any] = {"q": q.strip(), "prefecture": pref, "employment_type": types}
    params: dict[str, Any] = {"limit": web.settings.page_size}
    params.update({k: v for k, v in conditions.items() if v})
    if cursor:
        params["cursor"] = cursor
    result: dict[str, Any] | None = None
    error: ApiError | None = None
    try:
        result = await web.gateway.call("GET", "/api/v1/jobs", params=params)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        error = exc
    next_url = None
    if result and result.get("next_cursor"):
        query = {k: v for k, v in conditions.items() if v}
        next_url = "/jobs?" + urlencode({**query, "cursor": result["next_cursor"]}, doseq=True)
    return await render(
        request,
        "jobs_search.html",
        forms=False,
        conditions=conditions,
        result=result,
        error=error,
        next_url=next_url,
        paged=bool(cursor),
    )


@router.get("/{job_id}", response_class=HTMLResponse)
async def posting(request: Request, web: WebDep, job_id: str) -> Response:
    job = await web.gateway.call("GET", f"/api/v1/jobs/{_segment(job_id)}")
    return await render(
        request,
        "job_detail.html",
        forms=False,
        job=job,
        employment_type=EMPLOYMENT_TYPE_NAMES.get(job.get("employment_type", ""), ""),
    )


def _segment(value: str) -> str:
    """A path segment of the API: only id characters, so that no input reaches another path."""
    if not value or len(value) > 64 or not all(c in ID_CHARS for c in value):
        raise ApiError(404, "not_found", "お探しの求人は見つかりませんでした。")
    return value
