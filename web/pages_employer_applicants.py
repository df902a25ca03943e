"""求人者マイページ: applicants, one application (timeline, status changes with interview dates and whether the working conditions match the posting) and its 紹介状. Routes are listed in pages_employer.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from web.auth import api
from web.deps import (
    EmployerOnly,
    FormDep,
    Web,
    WebDep,
    field,
    next_page_url,
    render,
    segment,
)
from web.gateway import ApiError
from web.letters import letter_page
from web.pages_employer_common import (
    ACTION_LABELS,
    APPLICATION_STATUS,
    CONDITIONS_TEXT_MAX,
    FILTER_STATUSES,
    ROUTES,
    STATUS_LABELS,
    _api_field_errors,
    _moves,
    _notice,
    _own_posting,
    occupations,
)
from web.reference import (
    CONDITION_ITEMS,
    JST,
    PREFECTURES,
    half_width,
    parse_date,
)
from web.sessions import Session

router = APIRouter()

# --- applicants ------------------------------------------------------------------------------


async def _applicants(
    request: Request,
    session: Session,
    web: Web,
    *,
    job: dict[str, Any] | None,
    status: str,
    cursor: str,
) -> Response:
    state = status if status in FILTER_STATUSES else ""
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if job:
        params["job_id"] = job["job_id"]
    if state:
        params["status"] = state
    if cursor:
        params["cursor"] = cursor
    page = await api(request, "GET", "/api/v1/employer/applications", params=params)
    base = f"/employer/jobs/{job['job_id']}/applicants" if job else "/employer/applicants"
    next_url = next_page_url(base, page, status=state)
    return await render(
        request,
        "employer_applicants.html",
        forms=False,
        job=job,
        items=page.get("items") or [],
        state=state,
        action=base,
        next_url=next_url,
        paged=bool(cursor),
        filter_statuses=[(s, APPLICATION_STATUS[s]) for s in FILTER_STATUSES],
        statuses=APPLICATION_STATUS,
        routes=ROUTES,
    )


@router.get("/applicants", response_class=HTMLResponse)
async def all_applicants(
    request: Request,
    session: EmployerOnly,
    web: WebDep,
    status: Annotated[str, Query(max_length=30)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    return await _applicants(request, session, web, job=None, status=status, cursor=cursor)


@router.get("/jobs/{job_id}/applicants", response_class=HTMLResponse)
async def job_applicants(
    request: Request,
    session: EmployerOnly,
    web: WebDep,
    job_id: str,
    status: Annotated[str, Query(max_length=30)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    job = await _own_posting(request, session, job_id)
    return await _applicants(request, session, web, job=job, status=status, cursor=cursor)


async def _application_page(
    request: Request,
    web: Web,
    app: dict[str, Any],
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    moves = _moves(app)
    choices = [
        (m, "面接日時・場所を変更する" if m == app.get("status") else ACTION_LABELS[m])
        for m in moves
    ]
    return await render(
        request,
        "employer_application.html",
        status=status,
        app=app,
        choices=choices,
        values=values,
        errors=errors,
        error=error,
        notice=notice,
        labels=STATUS_LABELS,
        condition_names=CONDITION_ITEMS,
        conditions_text_max=CONDITIONS_TEXT_MAX,
        statuses=APPLICATION_STATUS,
        routes=ROUTES,
        occupation_names=dict(await occupations(web)),
        prefecture_names=dict(PREFECTURES),
    )


@router.get("/applications/{application_id}", response_class=HTMLResponse)
async def application_page(
    request: Request,
    session: EmployerOnly,
    web: WebDep,
    application_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    app = await api(request, "GET", f"/api/v1/applications/{segment(application_id, '応募')}")
    return await _application_page(request, web, app, values={}, errors={}, notice=_notice(done))


_TIME = re.compile(r"^(\d{1,2})\s*[:：時]\s*(\d{1,2})?\s*分?$")


def parse_time(value: str) -> time | None:
    """``14:00``, ``１４：００``, ``14時``, ``14時30分`` … or None."""
    match = _TIME.match(half_width(value))
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def interview_utc(day: date, at: time) -> str:
    """A date and time in Japan as the API's UTC instant (ISO 8601, Z)."""
    local = datetime.combine(day, at, tzinfo=JST)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_status(
    form: FormData, moves: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    values: dict[str, Any] = {
        name: field(form, name)
        for name in ("status", "interview_date", "interview_time", "interview_place")
    }
    values["note"] = str(form.get("note") or "").strip()
    values["conditions_note"] = str(form.get("conditions_note") or "").strip()
    values["conditions_differ"] = field(form, "conditions_differ")
    for item in CONDITION_ITEMS:
        values[f"cond_{item}"] = " ".join(str(form.get(f"cond_{item}") or "").split())
    errors: dict[str, list[str]] = {}
    body: dict[str, Any] = {}
    status = values["status"]
    if status not in moves:
        errors["status"] = ["次の選考段階を選択してください。"]
    else:
        body["status"] = status
    if status == "interview":
        day = parse_date(values["interview_date"])
        at = parse_time(values["interview_time"])
        if day is None:
            errors["interview_date"] = ["面接日を「2026-12-01」の形で入力してください。"]
        if at is None:
            errors["interview_time"] = ["面接開始時刻を「14:00」の形で入力してください。"]
        if not values["interview_place"]:
            errors["interview_place"] = ["面接場所を入力してください。"]
        elif len(values["interview_place"]) > 200:
            errors["interview_place"] = ["200文字以内で入力してください。"]
        if day is not None and at is not None:
            body["interview_at"] = interview_utc(day, at)
            body["interview_place"] = values["interview_place"]
    if status in ("offered", "hired"):
        _parse_conditions(status, values, body, errors)
    if values["note"]:
        if len(values["note"]) > 1000:
            errors["note"] = ["1000文字以内で入力してください。"]
        body["note"] = values["note"]
    return body, values, errors


def _parse_conditions(
    status: str, values: dict[str, Any], body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    """採用 asks whether the working conditions match the posting (内定 may say so); where they
    differ, what differs item by item (and/or a note)."""
    answer = values["conditions_differ"]
    items = [
        {"item": item, "text": values[f"cond_{item}"]}
        for item in CONDITION_ITEMS
        if values[f"cond_{item}"]
    ]
    for item in items:
        if len(item["text"]) > CONDITIONS_TEXT_MAX:
            errors[f"cond_{item['item']}"] = [f"{CONDITIONS_TEXT_MAX}文字以内で入力してください。"]
    if len(values["conditions_note"]) > 1000:
        errors["conditions_note"] = ["1000文字以内で入力してください。"]
    if answer not in ("yes", "no"):
        if status == "hired":
            errors["conditions_differ"] = [
                "労働条件が求人票のとおりか、異なるかを選択してください。"
            ]
        elif items or values["conditions_note"]:
            errors["conditions_differ"] = [
                "労働条件が求人票と異なる場合は「異なる」を選択してください。"
            ]
        return
    if answer == "no":
        if items or values["conditions_note"]:
            errors["conditions_differ"] = [
                "求人票のとおりの場合は、相違の内容を入力しないでください。"
            ]
        body["conditions_differ"] = False
        return
    if not items and not values["conditions_note"]:
        errors["cond_wage"] = ["求人票と異なる項目の内容を1つ以上入力してください。"]
    body["conditions_differ"] = True
    if items:
        body["conditions_items"] = items
    if values["conditions_note"]:
        body["conditions_note"] = values["conditions_note"]


@router.post("/applications/{application_id}/status", response_class=HTMLResponse)
async def change_status(
    request: Request, session: EmployerOnly, form: FormDep, web: WebDep, application_id: str
) -> Response:
    path = f"/api/v1/applications/{segment(application_id, '応募')}"
    app = await api(request, "GET", path)
    moves = _moves(app)
    body, values, errors = _parse_status(form, moves)
    if errors:
        return await _application_page(request, web, app, values=values, errors=errors, status=400)
    try:
        await api(request, "POST", path + "/status", json=body)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        fresh = await api(request, "GET", path)
        return await _application_page(
            request,
            web,
            fresh,
            values=values,
            errors=_api_field_errors(exc),
            error=exc.detail,
            status=exc.status if exc.status in (400, 403, 404, 409, 422) else 400,
        )
    return RedirectResponse(f"/employer/applications/{application_id}?done=status", status_code=303)


@router.get("/applications/{application_id}/letter", response_class=HTMLResponse)
async def letter(request: Request, session: EmployerOnly, application_id: str) -> Response:
    app_id = segment(application_id, "応募")
    return await letter_page(
        request,
        app_id,
        back=f"/employer/applications/{app_id}",
        back_label="応募の詳細に戻る",
        statuses=APPLICATION_STATUS,
    )
