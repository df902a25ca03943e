"""応募 and 応募履歴: apply to a posting through the office (オンライン紹介: staff issue a 紹介状)
or straight to the employer (オンライン自主応募, only where the posting accepts it), answering a
direct request or not; the history with each application's timeline; withdrawing (辞退); the
printable 紹介状.

The 紹介状 page is rendered here from the letter's JSON (``GET
/api/v1/applications/{id}/referral-letter``) rather than the API's own HTML: it keeps the site's
header, language and accessibility checks, adds the seeker's own name (the letter identifies the
seeker by number; the name is the seeker's to print), and a print stylesheet (seeker.css) leaves
only the letter on paper.

Routes (included by pages_seeker):
- ``GET|POST /jobs/{job_id}/apply``                        the apply form (``?request_id=`` answers a
                                                            direct request: direct route only)
- ``GET /mypage/applications``                             history (paged)
- ``GET /mypage/applications/{application_id}``            one application, its timeline, the
                                                            employer's answer whether the working
                                                            conditions differ from the posting, and
                                                            the posting as it was when applied to
- ``GET|POST /mypage/applications/{application_id}/withdraw`` confirm, then 辞退
- ``GET /mypage/applications/{application_id}/letter``     the printable 紹介状
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, SeekerOnly, field, get_web, render, segment
from web.gateway import ApiError
from web.letters import PRINT_HINT, letter_page
from web.reference import CONDITION_ITEMS, EMPLOYMENT_TYPE_NAMES
from web.seeker_kit import (
    APPLICATION_STATUS,
    BY_ROLE,
    FINAL_STATUSES,
    ROUTES,
    done_message,
    field_errors,
    find_request,
    page_params,
)
from web.sessions import Session

router = APIRouter()

MOTIVATION_MAX = 2000
WITHDRAW_REASON_MAX = 500
NOT_FOUND = "お探しの応募は見つかりませんでした。"


def _routes(job: dict[str, Any], answering: bool) -> list[str]:
    """The routes this posting takes: a direct request is answered by a direct application."""
    out = []
    if job.get("accepts_online_referral") and not answering:
        out.append("referral")
    if job.get("accepts_direct_application"):
        out.append("direct")
    return out


async def _apply_form(
    request: Request,
    *,
    job: dict[str, Any],
    item: dict[str, Any] | None,
    values: dict[str, str],
    errors: dict[str, list[str]],
    error: str | None = None,
    code: str | None = None,
    status: int = 200,
) -> Response:
    routes = _routes(job, item is not None)
    return await render(
        request,
        "seeker_apply.html",
        status=status,
        job=job,
        employment_type=EMPLOYMENT_TYPE_NAMES.get(job.get("employment_type", ""), ""),
        item=item,
        routes=routes,
        route_names=ROUTES,
        values={"route": routes[0] if len(routes) == 1 else "", **values},
        errors=errors,
        error=error,
        code=code,
        motivation_max=MOTIVATION_MAX,
    )


async def _request_of(request: Request, request_id: str, job_id: str) -> dict[str, Any] | None:
    if not request_id:
        return None
    item = await find_request(request, request_id)
    if item.get("job_id") != job_id:
        raise ApiError(404, "not_found", "お探しのリクエストは見つかりませんでした。")
    return item


@router.get("/jobs/{job_id}/apply", response_class=HTMLResponse)
async def apply_page(
    request: Request,
    session: SeekerOnly,
    job_id: str,
    request_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    job = await get_web(request).gateway.call("GET", f"/api/v1/jobs/{segment(job_id, '求人')}")
    item = await _request_of(request, request_id, job["job_id"])
    return await _apply_form(request, job=job, item=item, values={}, errors={})


@router.post("/jobs/{job_id}/apply", response_class=HTMLResponse)
async def apply(request: Request, session: SeekerOnly, form: FormDep, job_id: str) -> Response:
    job = await get_web(request).gateway.call("GET", f"/api/v1/jobs/{segment(job_id, '求人')}")
    item = await _request_of(request, field(form, "request_id"), job["job_id"])
    route = field(form, "route")
    motivation = str(form.get("motivation") or "").replace("\r\n", "\n").strip()
    values = {"route": route, "motivation": motivation}
    errors: dict[str, list[str]] = {}
    if route not in _routes(job, item is not None):
        errors["route"] = ["応募方法を選んでください。"]
    if not motivation:
        errors["motivation"] = ["志望動機を入力してください。"]
    elif len(motivation) > MOTIVATION_MAX:
        errors["motivation"] = [
            f"志望動機は{MOTIVATION_MAX}文字以内で入力してください（現在{len(motivation)}文字）。"
        ]
    if errors:
        return await _apply_form(
            request, job=job, item=item, values=values, errors=errors, status=400
        )
    body: dict[str, Any] = {"job_id": job["job_id"], "route": route, "motivation": motivation}
    if item is not None:
        body["request_id"] = item["request_id"]
    try:
        created = await api(request, "POST", "/api/v1/applications", json=body)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        found = field_errors(exc, {"route", "motivation"})
        general = found.pop("", [])
        return await _apply_form(
            request,
            job=job,
            item=item,
            values=values,
            errors=found,
            error=exc.detail + ("".join(f" {g}" for g in general) if general else ""),
            code=exc.code,
            status=exc.status if exc.status in (400, 404, 409, 422) else 400,
        )
    app_id = segment(str(created["application_id"]), "応募")
    return RedirectResponse(f"/mypage/applications/{app_id}?done=applied", status_code=303)


# --- history -----------------------------------------------------------------------------------


@router.get("/mypage/applications", response_class=HTMLResponse)
async def applications(
    request: Request, session: SeekerOnly, cursor: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    page = await api(request, "GET", "/api/v1/me/applications", params=page_params(request, cursor))
    return await render(
        request,
        "seeker_applications.html",
        forms=False,
        page=page,
        statuses=APPLICATION_STATUS,
        route_names=ROUTES,
        paged=bool(cursor),
    )


async def _own_application(request: Request, session: Session, application_id: str) -> Any:
    """The seeker's own application (the API answers 404 for anyone else's; checked here too)."""
    app_id = segment(application_id, "応募")
    application = await api(request, "GET", f"/api/v1/applications/{app_id}")
    own = (session.data.get("me") or {}).get("seeker_id")
    if own and application.get("seeker_id") != own:
        raise ApiError(404, "not_found", NOT_FOUND)
    return application


@router.get("/mypage/applications/{application_id}", response_class=HTMLResponse)
async def application(request: Request, session: SeekerOnly, application_id: str) -> Response:
    item = await _own_application(request, session, application_id)
    return await render(
        request,
        "seeker_application.html",
        forms=False,
        app=item,
        statuses=APPLICATION_STATUS,
        route_names=ROUTES,
        by_role=BY_ROLE,
        condition_names=CONDITION_ITEMS,
        can_withdraw=item.get("status") not in FINAL_STATUSES,
        done=done_message(request),
    )


@router.get("/mypage/applications/{application_id}/withdraw", response_class=HTMLResponse)
async def withdraw_page(request: Request, session: SeekerOnly, application_id: str) -> Response:
    item = await _own_application(request, session, application_id)
    return await render(
        request,
        "seeker_withdraw.html",
        app=item,
        statuses=APPLICATION_STATUS,
        values={},
        errors={},
        error=None,
        closed=item.get("status") in FINAL_STATUSES,
    )


@router.post("/mypage/applications/{application_id}/withdraw", response_class=HTMLResponse)
async def withdraw(
    request: Request, session: SeekerOnly, form: FormDep, application_id: str
) -> Response:
    item = await _own_application(request, session, application_id)
    reason = " ".join(field(form, "reason").split())
    errors: dict[str, list[str]] = {}
    error = None
    status = 400
    if len(reason) > WITHDRAW_REASON_MAX:
        errors["reason"] = [f"辞退の理由は{WITHDRAW_REASON_MAX}文字以内で入力してください。"]
    else:
        path = f"/api/v1/applications/{item['application_id']}/withdraw"
        try:
            await api(request, "POST", path, json={"reason": reason} if reason else None)
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            status, error = exc.status, exc.detail
            errors = field_errors(exc, {"reason"})
            errors.pop("", None)
        else:
            target = f"/mypage/applications/{item['application_id']}?done=withdrawn"
            return RedirectResponse(target, status_code=303)
    return await render(
        request,
        "seeker_withdraw.html",
        status=status,
        app=item,
        statuses=APPLICATION_STATUS,
        values={"reason": reason},
        errors=errors,
        error=error,
        closed=item.get("status") in FINAL_STATUSES,
    )


@router.get("/mypage/applications/{application_id}/letter", response_class=HTMLResponse)
async def letter(request: Request, session: SeekerOnly, application_id: str) -> Response:
    app_id = segment(application_id, "応募")
    me = await api(request, "GET", "/api/v1/me")
    return await letter_page(
        request,
        app_id,
        back=f"/mypage/applications/{app_id}",
        back_label="応募の状況に戻る",
        statuses=APPLICATION_STATUS,
        name=me.get("name"),
        hint=PRINT_HINT + "面接のときにお持ちください。",
    )
