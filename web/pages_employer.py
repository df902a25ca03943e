"""求人者マイページ (employers only: EmployerOnly on every route). The API checks ownership
again; these pages also refuse (404) a posting of another employer.

Routes:
- ``GET /employer``                                   home: establishment, unread counts, menu
- ``GET /employer/jobs``                              own postings in every status, paged
- ``GET|POST /employer/jobs/new``                     create a posting (求人票)
- ``GET /employer/jobs/{job_id}``                     one own posting with its actions
- ``GET|POST /employer/jobs/{job_id}/edit``           change it (the API keeps revisions)
- ``GET|POST /employer/jobs/{job_id}/close``          close it (募集終了) after a confirmation
- ``GET /employer/jobs/{job_id}/applicants``          applicants to one posting (status filter)
- ``GET /employer/applicants``                        applicants to every posting (status filter)
- ``GET /employer/applications/{application_id}``     one application: timeline, status form
- ``POST /employer/applications/{application_id}/status``  screening / interview (date and time
  in Japan time, place) / offered / hired / rejected — only the moves the state machine allows
- ``GET /employer/applications/{application_id}/letter``   紹介状 (printable, from the JSON)
- ``GET /employer/seekers``                           search of public seeker profiles, paged
- ``GET|POST /employer/seekers/{seeker_id}/request``  send a direct request (posting quota shown),
  with the public view of the seeker it is for (nothing for a private profile)
- ``GET /employer/requests``                          direct requests sent; with job_id its quota
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from web import job_form, pages_employer_applicants, pages_employer_requests
from web.auth import api
from web.deps import (
    EmployerOnly,
    FormDep,
    Web,
    WebDep,
    field,
    next_page_url,
    render,
)
from web.gateway import ApiError
from web.pages_employer_common import (
    POSTING_STATUS,
    _api_field_errors,
    _notice,
    _own_posting,
    occupation_groups,
    occupations,
)
from web.reference import (
    WAGE_UNITS,
)

router = APIRouter(prefix="/employer")


@router.get("", response_class=HTMLResponse)
async def home(request: Request, session: EmployerOnly) -> Response:
    me = await api(request, "GET", "/api/v1/me")
    return await render(request, "employer_home.html", forms=False, me=me)


# --- postings --------------------------------------------------------------------------------


@router.get("/jobs", response_class=HTMLResponse)
async def jobs(
    request: Request,
    session: EmployerOnly,
    web: WebDep,
    cursor: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if cursor:
        params["cursor"] = cursor
    page = await api(request, "GET", "/api/v1/jobs/mine", params=params)
    next_url = next_page_url("/employer/jobs", page)
    return await render(
        request,
        "employer_jobs.html",
        forms=False,
        items=page.get("items") or [],
        next_url=next_url,
        paged=bool(cursor),
        notice=_notice(done),
        statuses=POSTING_STATUS,
    )


def _posting_values(job: dict[str, Any]) -> dict[str, Any]:
    return job_form.values_of(job)


async def _posting_form(
    request: Request,
    web: Web,
    *,
    job: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "employer_job_form.html",
        status=status,
        job=job,
        values=values,
        errors=errors,
        error=error,
        labels=job_form.LABELS,
        occupation_groups=occupation_groups(await occupations(web)),
        wage_units=list(WAGE_UNITS.items()),
        choices=job_form.CHOICES,
        insurance=job_form.INSURANCE,
        shifts=range(job_form.SHIFTS),
        places=range(job_form.OTHER_PLACES),
        weekdays=job_form.WEEKDAYS,
    )


async def _save_posting(
    request: Request, web: Web, form: FormData, job: dict[str, Any] | None
) -> Response:
    body, values, errors = job_form.parse(form, job=job)
    if errors:
        return await _posting_form(request, web, job=job, values=values, errors=errors, status=400)
    # "draft": saved, not published; a draft's other button saves and publishes it
    draft = field(form, "action") == "draft"
    try:
        if job is None:
            created = await api(
                request, "POST", "/api/v1/jobs", json={**body, "draft": True} if draft else body
            )
            target = f"/employer/jobs/{created['job_id']}?done={'drafted' if draft else 'created'}"
        else:
            await api(request, "PATCH", f"/api/v1/jobs/{job['job_id']}", json=body)
            done = "changed"
            if job.get("status") == "draft":
                done = "drafted"
                if not draft:
                    await api(request, "POST", f"/api/v1/jobs/{job['job_id']}/publish")
                    done = "published"
            target = f"/employer/jobs/{job['job_id']}?done={done}"
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        errors = job_form.place_errors(exc.errors)
        if exc.code == "direct_application_requires_mypage":
            errors["accepts_direct_application"] = [exc.detail]
        return await _posting_form(
            request,
            web,
            job=job,
            values=values,
            errors=errors,
            error=exc.detail,
            status=exc.status if exc.status in (400, 403, 404, 409, 422) else 400,
        )
    return RedirectResponse(target, status_code=303)


@router.get("/jobs/new", response_class=HTMLResponse)
async def new_job_page(request: Request, session: EmployerOnly, web: WebDep) -> Response:
    values: dict[str, Any] = {
        "employment_type": "full_time",
        "wage_unit": "monthly",
        "openings": "1",
        "accepts_online_referral": True,
        "accepts_direct_application": True,
    }
    return await _posting_form(request, web, job=None, values=values, errors={})


@router.post("/jobs/new", response_class=HTMLResponse)
async def new_job(request: Request, session: EmployerOnly, form: FormDep, web: WebDep) -> Response:
    return await _save_posting(request, web, form, None)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job_page(
    request: Request,
    session: EmployerOnly,
    job_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    job = await _own_posting(request, session, job_id)
    return await render(
        request,
        "employer_job.html",
        forms=False,
        job=job,
        notice=_notice(done),
        statuses=POSTING_STATUS,
    )


@router.get("/jobs/{job_id}/edit", response_class=HTMLResponse)
async def edit_job_page(
    request: Request, session: EmployerOnly, web: WebDep, job_id: str
) -> Response:
    job = await _own_posting(request, session, job_id)
    return await _posting_form(request, web, job=job, values=_posting_values(job), errors={})


@router.post("/jobs/{job_id}/edit", response_class=HTMLResponse)
async def edit_job(
    request: Request, session: EmployerOnly, form: FormDep, web: WebDep, job_id: str
) -> Response:
    job = await _own_posting(request, session, job_id)
    return await _save_posting(request, web, form, job)


@router.get("/jobs/{job_id}/delete", response_class=HTMLResponse)
async def delete_draft_page(request: Request, session: EmployerOnly, job_id: str) -> Response:
    """Deleting a draft, confirmed first (a published posting is closed, not deleted)."""
    job = await _own_posting(request, session, job_id)
    return await render(request, "employer_job_delete.html", job=job, error=None)


@router.post("/jobs/{job_id}/delete", response_class=HTMLResponse)
async def delete_draft(
    request: Request, session: EmployerOnly, form: FormDep, job_id: str
) -> Response:
    job = await _own_posting(request, session, job_id)
    try:
        await api(request, "DELETE", f"/api/v1/jobs/{job['job_id']}")
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        return await render(
            request, "employer_job_delete.html", status=409, job=job, error=exc.detail
        )
    return RedirectResponse("/employer/jobs?done=deleted", status_code=303)


@router.get("/jobs/{job_id}/close", response_class=HTMLResponse)
async def close_job_page(request: Request, session: EmployerOnly, job_id: str) -> Response:
    job = await _own_posting(request, session, job_id)
    return await render(
        request, "employer_job_close.html", job=job, values={}, errors={}, error=None
    )


@router.post("/jobs/{job_id}/close", response_class=HTMLResponse)
async def close_job(
    request: Request, session: EmployerOnly, form: FormDep, job_id: str
) -> Response:
    job = await _own_posting(request, session, job_id)
    reason = field(form, "reason")
    errors: dict[str, list[str]] = {}
    if len(reason) > 200:
        errors["reason"] = ["200文字以内で入力してください。"]
    error = None
    if not errors:
        try:
            await api(
                request,
                "POST",
                f"/api/v1/jobs/{job['job_id']}/close",
                json={"reason": reason} if reason else None,
            )
            return RedirectResponse(f"/employer/jobs/{job['job_id']}?done=closed", status_code=303)
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            errors, error = _api_field_errors(exc, "reason"), exc.detail
    return await render(
        request,
        "employer_job_close.html",
        status=400 if errors else 409,
        job=job,
        values={"reason": reason},
        errors=errors,
        error=error,
    )


for _sub in (pages_employer_applicants.router, pages_employer_requests.router):
    router.include_router(_sub)
