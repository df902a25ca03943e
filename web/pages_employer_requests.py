"""求人者マイページ: the search of public seeker profiles, direct requests (リクエスト) with the public view of the seeker each is for, and the requests sent. Routes are listed in pages_employer.py."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import (
    EmployerOnly,
    FormDep,
    WebDep,
    field,
    get_web,
    next_page_url,
    render,
    segment,
)
from web.gateway import ApiError
from web.pages_employer_common import (
    ID,
    MESSAGE_MAX,
    REQUEST_LABELS,
    REQUEST_QUOTA_POLICY,
    REQUEST_STATUS,
    _api_field_errors,
    _int,
    _notice,
    _own_posting,
    _own_postings,
    occupation_groups,
    occupations,
)
from web.reference import (
    EMPLOYMENT_TYPE_NAMES,
    PREFECTURE_CODES,
    PREFECTURES,
    WAGE_UNITS,
    half_width,
)

router = APIRouter()

# --- public profiles and direct requests -----------------------------------------------------


@router.get("/seekers", response_class=HTMLResponse)
async def seekers(
    request: Request,
    session: EmployerOnly,
    web: WebDep,
    occupation: Annotated[str, Query(max_length=10)] = "",
    prefecture: Annotated[str, Query(max_length=2)] = "",
    employment_type: Annotated[str, Query(max_length=20)] = "",
    wage: Annotated[str, Query(max_length=20)] = "",
    wage_unit: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    names = dict(await occupations(web))
    errors: dict[str, list[str]] = {}
    conditions: dict[str, str] = {
        "occupation": occupation if occupation in names else "",
        "prefecture": prefecture if prefecture in PREFECTURE_CODES else "",
        "employment_type": employment_type if employment_type in EMPLOYMENT_TYPE_NAMES else "",
        "wage": half_width(wage).replace(",", ""),
        "wage_unit": wage_unit if wage_unit in WAGE_UNITS else "monthly",
    }
    if conditions["wage"] and _int(conditions["wage"]) is None:
        errors["wage"] = ["数字で入力してください（例：250000）。"]
    params: dict[str, Any] = {"limit": web.settings.page_size}
    params.update({k: v for k, v in conditions.items() if v and k != "wage_unit"})
    if conditions["wage"]:
        params["wage_unit"] = conditions["wage_unit"]
    if cursor:
        params["cursor"] = cursor
    page: dict[str, Any] | None = None
    error: str | None = None
    if not errors:
        try:
            page = await api(request, "GET", "/api/v1/employer/seekers", params=params)
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            errors, error = _api_field_errors(exc), exc.detail
    next_url = next_page_url("/employer/seekers", page, **conditions)
    return await render(
        request,
        "employer_seekers.html",
        forms=False,
        status=400 if errors else 200,
        conditions=conditions,
        items=(page or {}).get("items") or [],
        searched=page is not None,
        next_url=next_url,
        paged=bool(cursor),
        errors=errors,
        error=error,
        occupation_groups=occupation_groups(await occupations(web)),
        occupation_names=names,
        prefecture_names=dict(PREFECTURES),
        wage_units=list(WAGE_UNITS.items()),
        policy=REQUEST_QUOTA_POLICY,
    )


async def _request_postings(request: Request) -> list[dict[str, Any]]:
    """Own open postings that take direct applications, each with its request quota (None when
    the API cannot say yet)."""
    out = []
    for job in await _own_postings(request):
        if job.get("status") != "open" or not job.get("accepts_direct_application"):
            continue
        quota = None
        try:
            page = await api(
                request,
                "GET",
                "/api/v1/employer/requests",
                params={"job_id": job["job_id"], "limit": 1},
            )
            quota = page.get("quota")
        except ApiError as exc:
            if exc.code == "maintenance":
                raise
        out.append({**job, "quota": quota})
    return out


async def _public_seeker(request: Request, seeker_id: str) -> dict[str, Any] | None:
    """What the seeker made public (as the search shows it); None for a private profile (or a
    lapsed, cancelled or unknown registration: the API does not tell them apart)."""
    try:
        card: dict[str, Any] = await api(request, "GET", f"/api/v1/employer/seekers/{seeker_id}")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return card


async def _request_form(
    request: Request,
    seeker_id: str,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "employer_request.html",
        status=status,
        seeker_id=seeker_id,
        seeker=await _public_seeker(request, seeker_id),
        occupation_names=dict(await occupations(get_web(request))),
        prefecture_names=dict(PREFECTURES),
        postings=await _request_postings(request),
        values=values,
        errors=errors,
        error=error,
        labels=REQUEST_LABELS,
        policy=REQUEST_QUOTA_POLICY,
        message_max=MESSAGE_MAX,
    )


@router.get("/seekers/{seeker_id}/request", response_class=HTMLResponse)
async def request_page(
    request: Request,
    session: EmployerOnly,
    seeker_id: str,
    job_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    seeker_id = segment(seeker_id, "求職者")
    return await _request_form(request, seeker_id, values={"job_id": job_id}, errors={})


@router.post("/seekers/{seeker_id}/request", response_class=HTMLResponse)
async def send_request(
    request: Request, session: EmployerOnly, form: FormDep, seeker_id: str
) -> Response:
    seeker_id = segment(seeker_id, "求職者")
    job_id = field(form, "job_id")
    message = str(form.get("message") or "").strip()
    values = {"job_id": job_id, "message": message}
    errors: dict[str, list[str]] = {}
    if not ID.match(job_id):
        errors["job_id"] = ["リクエストに使う求人を選択してください。"]
    if not message:
        errors["message"] = ["メッセージを入力してください。"]
    elif len(message) > MESSAGE_MAX:
        errors["message"] = [f"{MESSAGE_MAX}文字以内で入力してください（現在{len(message)}文字）。"]
    if errors:
        return await _request_form(request, seeker_id, values=values, errors=errors, status=400)
    try:
        await api(
            request,
            "POST",
            "/api/v1/requests",
            json={"seeker_id": seeker_id, "job_id": job_id, "message": message},
        )
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        errors = _api_field_errors(exc)
        if exc.code in (
            "already_requested",
            "request_quota_exceeded",
            "posting_closed",
            "direct_application_not_accepted",
            "not_posting_owner",
            "job_not_found",
        ):
            errors.setdefault("job_id", []).append(exc.detail)
        return await _request_form(
            request,
            seeker_id,
            values=values,
            errors=errors,
            error=exc.detail,
            status=exc.status if exc.status in (400, 403, 404, 409, 422) else 400,
        )
    return RedirectResponse(
        "/employer/requests?" + urlencode({"job_id": job_id, "done": "sent"}), status_code=303
    )


@router.get("/requests", response_class=HTMLResponse)
async def sent_requests(
    request: Request,
    session: EmployerOnly,
    web: WebDep,
    job_id: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    job = await _own_posting(request, session, job_id) if job_id else None
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if job:
        params["job_id"] = job["job_id"]
    if cursor:
        params["cursor"] = cursor
    page = await api(request, "GET", "/api/v1/employer/requests", params=params)
    next_url = next_page_url("/employer/requests", page, job_id=job["job_id"] if job else None)
    return await render(
        request,
        "employer_requests.html",
        forms=False,
        job=job,
        quota=page.get("quota"),
        items=page.get("items") or [],
        next_url=next_url,
        paged=bool(cursor),
        notice=_notice(done),
        statuses=REQUEST_STATUS,
        policy=REQUEST_QUOTA_POLICY,
    )
