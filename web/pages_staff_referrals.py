"""紹介状の発行待ち (staff): the office's online referral requests, oldest first; issuing the
referral letter (紹介状) or declining with a reason the seeker sees (after a confirmation
step); one application with its referral number; the letter as a printable page.

Routes:
- ``GET /staff/referrals``                                  発行待ちの一覧 (administrators: office)
- ``POST /staff/referrals/{application_id}/issue``          紹介状を発行する
- ``GET /staff/referrals/{application_id}``                 応募の内容・紹介番号
- ``GET|POST /staff/referrals/{application_id}/decline``    紹介の見送り (確認・理由)
- ``GET /staff/referrals/{application_id}/letter``          紹介状 (印刷用)
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, StaffOnly, WebDep, field, next_page_url, render, segment
from web.gateway import ApiError
from web.letters import letter_page
from web.pages_staff_common import Errors, done_message, form_errors, is_admin
from web.reference import half_width

router = APIRouter(prefix="/staff/referrals")

STATUS_NAMES = {
    "referral_requested": "紹介依頼中（紹介状の発行待ち）",
    "applied": "応募済み",
    "referred": "紹介済み（紹介状発行済み）",
    "screening": "書類選考中",
    "interview": "面接",
    "offered": "内定",
    "hired": "採用",
    "rejected": "不採用",
    "withdrawn": "辞退",
    "declined": "紹介見送り",
}
DONE = {
    "issued": "紹介状を発行しました。求職者と求人者のマイページで紹介状を表示できます。",
    "declined": "紹介を見送りました。見送りの理由は求職者のマイページに表示されます。",
}
REASON_MAX = 500
WHAT = "応募"


def _app_path(application_id: str) -> str:
    return f"/api/v1/applications/{segment(application_id, WHAT)}"


@router.get("", response_class=HTMLResponse)
async def queue(
    request: Request,
    session: StaffOnly,
    web: WebDep,
    office_code: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    office = half_width(office_code) if is_admin(session) else ""
    params: dict[str, Any] = {"status": "referral_requested", "limit": web.settings.page_size}
    if office:
        params["office_code"] = office
    if cursor:
        params["cursor"] = cursor
    result: dict[str, Any] | None = None
    error: ApiError | None = None
    try:
        result = await api(request, "GET", "/api/v1/staff/applications", params=params)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        error = exc
    next_url = next_page_url("/staff/referrals", result, office_code=office)
    return await render(
        request,
        "staff_referrals.html",
        result=result,
        error=error,
        next_url=next_url,
        office_code=office,
        admin=is_admin(session),
        done=done_message(DONE, done),
        paged=bool(cursor),
    )


@router.post("/{application_id}/issue", response_class=HTMLResponse)
async def issue(
    request: Request, session: StaffOnly, form: FormDep, application_id: str
) -> Response:
    aid = segment(application_id, WHAT)
    try:
        await api(request, "POST", f"/api/v1/staff/applications/{aid}/referral")
    except ApiError as exc:
        if exc.status >= 500 or exc.code in ("maintenance", "not_found"):
            raise
        return await _application(request, aid, error=exc.detail, status=exc.status)
    return RedirectResponse(f"/staff/referrals/{aid}?done=issued", status_code=303)


@router.get("/{application_id}", response_class=HTMLResponse)
async def application(
    request: Request,
    session: StaffOnly,
    application_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return await _application(request, application_id, done=done_message(DONE, done))


async def _application(
    request: Request,
    application_id: str,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    app = await api(request, "GET", _app_path(application_id))
    return await render(
        request,
        "staff_referral.html",
        status=status,
        app=app,
        status_name=STATUS_NAMES.get(str(app.get("status")), ""),
        done=done,
        error=error,
    )


@router.get("/{application_id}/decline", response_class=HTMLResponse)
async def decline_page(request: Request, session: StaffOnly, application_id: str) -> Response:
    return await _decline(request, application_id, values={}, errors={})


async def _decline(
    request: Request,
    application_id: str,
    *,
    values: dict[str, str],
    errors: Errors,
    error: str | None = None,
    status: int = 200,
) -> Response:
    app = await api(request, "GET", _app_path(application_id))
    return await render(
        request,
        "staff_referral_decline.html",
        status=status,
        app=app,
        values=values,
        errors=errors,
        error=error,
        reason_max=REASON_MAX,
    )


@router.post("/{application_id}/decline", response_class=HTMLResponse)
async def decline(
    request: Request, session: StaffOnly, form: FormDep, application_id: str
) -> Response:
    aid = segment(application_id, WHAT)
    reason = field(form, "reason")
    errors: Errors = {}
    if not reason:
        errors["reason"] = ["見送りの理由を入力してください。"]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"{REASON_MAX}文字以内で入力してください。"]
    if errors:
        return await _decline(request, aid, values={"reason": reason}, errors=errors, status=400)
    try:
        await api(
            request, "POST", f"/api/v1/staff/applications/{aid}/decline", json={"reason": reason}
        )
    except ApiError as exc:
        if exc.status >= 500 or exc.code in ("maintenance", "not_found"):
            raise
        errors, detail = form_errors(exc, ["reason"])
        return await _decline(
            request, aid, values={"reason": reason}, errors=errors, error=detail, status=exc.status
        )
    return RedirectResponse("/staff/referrals?done=declined", status_code=303)


@router.get("/{application_id}/letter", response_class=HTMLResponse)
async def letter(request: Request, session: StaffOnly, application_id: str) -> Response:
    app_id = segment(application_id, WHAT)
    return await letter_page(
        request,
        app_id,
        back=f"/staff/referrals/{app_id}",
        back_label="応募の内容に戻る",
        statuses=STATUS_NAMES,
    )
