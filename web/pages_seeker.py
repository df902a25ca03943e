"""求職者マイページ: the seeker's lists, and (included from their own modules) the profile pages
(pages_seeker_profile) and applying with the application history (pages_seeker_apply). Every
page is the logged-in seeker's own (SeekerOnly); the API checks again.

Routes:
- ``GET /mypage/favorites``                               お気に入り求人 (paged)
- ``POST /mypage/favorites/{job_id}``                     add a favourite (``back``: where to go)
- ``POST /mypage/favorites/{job_id}/delete``              remove it
- ``GET /mypage/saved-searches``                          保存した検索条件: run (link to /jobs?…),
                                                          delete
- ``POST /mypage/saved-searches``                         save the conditions of a search
- ``POST /mypage/saved-searches/{saved_search_id}/delete`` delete one
- ``GET /mypage/recommendations``                         おすすめ求人: the office's (with their note,
                                                          paged) and automatic ones (with reasons)
- ``POST /mypage/recommendations/{id}/dismiss``           hide one (office: its id; automatic: job)
- ``GET /mypage/requests``                                リクエスト from employers (paged): apply
                                                          (→ /jobs/{job_id}/apply?request_id=…)
- ``GET|POST /mypage/requests/{request_id}/decline``      confirm, then decline
- profile, visibility, cancel: see pages_seeker_profile; the export: pages_seeker_export
- apply, applications, withdraw, 紹介状: see pages_seeker_apply
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web import pages_seeker_apply, pages_seeker_export, pages_seeker_profile
from web.auth import api
from web.deps import FormDep, SeekerOnly, field, render, segment
from web.gateway import ApiError
from web.pages_jobs import (
    describe,
    occupation_list,
    read_conditions,
    saved_conditions,
    search_url,
)
from web.seeker_kit import (
    REQUEST_STATUS,
    back_path,
    done_message,
    field_errors,
    find_request,
    page_params,
    with_done,
)

router = APIRouter()
Cursor = Annotated[str, Query(max_length=500)]
NAME_MAX = 50


# --- favourites --------------------------------------------------------------------------------


@router.get("/mypage/favorites", response_class=HTMLResponse)
async def favorites(request: Request, session: SeekerOnly, cursor: Cursor = "") -> Response:
    page = await api(request, "GET", "/api/v1/me/favorites", params=page_params(request, cursor))
    return await render(
        request,
        "seeker_favorites.html",
        page=page,
        paged=bool(cursor),
        done=done_message(request),
    )


@router.post("/mypage/favorites/{job_id}")
async def add_favorite(
    request: Request, session: SeekerOnly, form: FormDep, job_id: str
) -> Response:
    job_id = segment(job_id, "求人")
    await api(request, "PUT", f"/api/v1/me/favorites/{job_id}")
    back = back_path(field(form, "back"), "/mypage/favorites")
    return RedirectResponse(with_done(back, "favorite_added"), status_code=303)


@router.post("/mypage/favorites/{job_id}/delete")
async def remove_favorite(
    request: Request, session: SeekerOnly, form: FormDep, job_id: str
) -> Response:
    job_id = segment(job_id, "求人")
    await api(request, "DELETE", f"/api/v1/me/favorites/{job_id}")
    back = back_path(field(form, "back"), "/mypage/favorites")
    return RedirectResponse(with_done(back, "favorite_removed"), status_code=303)


# --- saved searches ----------------------------------------------------------------------------


@router.get("/mypage/saved-searches", response_class=HTMLResponse)
async def saved_searches(request: Request, session: SeekerOnly) -> Response:
    page = await api(request, "GET", "/api/v1/me/saved-searches")
    names = dict(await occupation_list(request))
    items = [
        {
            **item,
            "described": describe(item.get("conditions") or {}, names),
            "url": search_url(item.get("conditions") or {}),
        }
        for item in page.get("items") or []
    ]
    return await render(
        request,
        "seeker_saved_searches.html",
        items=items,
        limit=page.get("limit"),
        done=done_message(request),
    )


@router.post("/mypage/saved-searches", response_class=HTMLResponse)
async def save_search(request: Request, session: SeekerOnly, form: FormDep) -> Response:
    conditions, errors = await read_conditions(request, form)
    saved = saved_conditions(conditions)
    name = " ".join(field(form, "name").split())
    notify = field(form, "notify") == "1"
    error = None
    if not name:
        errors["name"] = ["検索条件の名前を入力してください。"]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"検索条件の名前は{NAME_MAX}文字以内で入力してください。"]
    status = 400
    if not errors:
        body = {"name": name, "conditions": saved, "notify": notify}
        try:
            await api(request, "POST", "/api/v1/me/saved-searches", json=body)
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            status, error = exc.status, exc.detail
            errors = field_errors(exc, {"name"})
            errors.pop("", None)
        else:
            return RedirectResponse("/mypage/saved-searches?done=search_saved", status_code=303)
    return await render(
        request,
        "seeker_saved_search_form.html",
        status=status,
        errors=errors,
        error=error,
        name=name,
        notify=notify,
        saved=saved,
        described=describe(saved, dict(await occupation_list(request))),
        url=search_url(saved),
    )


@router.post("/mypage/saved-searches/{saved_search_id}/delete")
async def delete_saved_search(
    request: Request, session: SeekerOnly, form: FormDep, saved_search_id: str
) -> Response:
    sid = segment(saved_search_id, "検索条件")
    await api(request, "DELETE", f"/api/v1/me/saved-searches/{sid}")
    return RedirectResponse("/mypage/saved-searches?done=search_deleted", status_code=303)


# --- recommendations ---------------------------------------------------------------------------


@router.get("/mypage/recommendations", response_class=HTMLResponse)
async def recommendations(request: Request, session: SeekerOnly, cursor: Cursor = "") -> Response:
    office = await api(
        request,
        "GET",
        "/api/v1/me/recommendations",
        params={"source": "office", **page_params(request, cursor)},
    )
    auto: dict[str, Any] = {"items": []}
    if not cursor:  # the automatic ones are one ranked list: shown on the first page
        auto = await api(
            request, "GET", "/api/v1/me/recommendations", params={"source": "auto", "limit": 10}
        )
    return await render(
        request,
        "seeker_recommendations.html",
        office=office,
        auto=auto,
        paged=bool(cursor),
        done=done_message(request),
    )


@router.post("/mypage/recommendations/{recommendation_id}/dismiss")
async def dismiss_recommendation(
    request: Request, session: SeekerOnly, form: FormDep, recommendation_id: str
) -> Response:
    rid = segment(recommendation_id, "おすすめ求人")
    await api(request, "POST", f"/api/v1/me/recommendations/{rid}/dismiss")
    return RedirectResponse("/mypage/recommendations?done=dismissed", status_code=303)


# --- direct requests ---------------------------------------------------------------------------


@router.get("/mypage/requests", response_class=HTMLResponse)
async def requests(request: Request, session: SeekerOnly, cursor: Cursor = "") -> Response:
    page = await api(request, "GET", "/api/v1/me/requests", params=page_params(request, cursor))
    return await render(
        request,
        "seeker_requests.html",
        page=page,
        statuses=REQUEST_STATUS,
        paged=bool(cursor),
        done=done_message(request),
    )


@router.get("/mypage/requests/{request_id}/decline", response_class=HTMLResponse)
async def decline_page(request: Request, session: SeekerOnly, request_id: str) -> Response:
    item = await find_request(request, request_id)
    return await render(request, "seeker_request_decline.html", item=item, error=None)


@router.post("/mypage/requests/{request_id}/decline", response_class=HTMLResponse)
async def decline(
    request: Request, session: SeekerOnly, form: FormDep, request_id: str
) -> Response:
    item = await find_request(request, request_id)
    try:
        await api(request, "POST", f"/api/v1/me/requests/{item['request_id']}/decline")
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        return await render(
            request, "seeker_request_decline.html", status=exc.status, item=item, error=exc.detail
        )
    return RedirectResponse("/mypage/requests?done=request_declined", status_code=303)


router.include_router(pages_seeker_profile.router)
router.include_router(pages_seeker_apply.router)
router.include_router(pages_seeker_export.router)
