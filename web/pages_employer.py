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

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from web import job_form
from web.auth import api
from web.deps import (
    EmployerOnly,
    FormDep,
    Web,
    WebDep,
    field,
    get_web,
    next_page_url,
    render,
    segment,
)
from web.gateway import ApiError
from web.letters import letter_page
from web.reference import (
    CONDITION_ITEMS,
    EMPLOYMENT_TYPE_NAMES,
    JST,
    PREFECTURE_CODES,
    PREFECTURES,
    WAGE_UNITS,
    half_width,
    parse_date,
)
from web.sessions import Session

router = APIRouter(prefix="/employer")

ID = re.compile(r"^[0-9a-f]{32}$")
REQUEST_QUOTA_POLICY = 10  # per posting (services/applications settings.request_quota)
MESSAGE_MAX = 1000

POSTING_STATUS = {
    "draft": "下書き",
    "open": "募集中",
    "closed": "募集終了",
    "expired": "紹介期限切れ",
}
APPLICATION_STATUS = {
    "referral_requested": "紹介申込み中",
    "applied": "応募受付",
    "referred": "紹介状発行済み",
    "screening": "書類選考中",
    "interview": "面接",
    "offered": "内定",
    "hired": "採用",
    "rejected": "不採用",
    "withdrawn": "辞退",
    "declined": "紹介見送り",
}
# what an employer can see (referrals appear once the letter is issued)
FILTER_STATUSES = [
    "applied",
    "referred",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdrawn",
]
ROUTES = {"referral": "ハローワーク紹介", "direct": "直接応募"}
REQUEST_STATUS = {
    "pending": "回答待ち",
    "answered": "応募あり",
    "declined": "辞退",
    "expired": "期限切れ",
}
ACTION_LABELS = {
    "screening": "書類選考へ進める",
    "interview": "面接を設定する",
    "offered": "内定とする",
    "hired": "採用とする",
    "rejected": "不採用とする",
}
# the employer's moves, as the API offers them for an application (its ``next_actions``)
PROGRESS_ACTIONS = ("screening", "interview", "offered", "hired", "rejected")


def _moves(app: dict[str, Any]) -> tuple[str, ...]:
    offered = app.get("next_actions") or []
    return tuple(a for a in offered if a in PROGRESS_ACTIONS)


CONDITIONS_TEXT_MAX = 200
STATUS_LABELS = {
    "status": "次の選考段階",
    "interview_date": "面接日",
    "interview_time": "面接開始時刻",
    "interview_place": "面接場所",
    "note": "メモ",
    "conditions_differ": "求人票との労働条件の相違",
    "conditions_note": "労働条件の相違についての補足",
    **{f"cond_{item}": f"相違の内容（{name}）" for item, name in CONDITION_ITEMS.items()},
}
REQUEST_LABELS = {"job_id": "求人", "message": "メッセージ"}
SEEKER_FILTERS = ("occupation", "prefecture", "employment_type", "wage", "wage_unit")

NOTICES = {
    "created": "求人を登録しました。",
    "drafted": "下書きを保存しました（まだ公開されていません）。",
    "published": "下書きの求人を公開しました。",
    "changed": "求人の内容を変更しました。",
    "closed": "求人の募集を終了しました。",
    "deleted": "下書きの求人を削除しました。",
    "status": "選考状況を更新しました。",
    "sent": "リクエストを送信しました。",
}

_occupations: list[tuple[str, str]] = []


# --- helpers ---------------------------------------------------------------------------------


def _employer_id(session: Session) -> str:
    return str((session.data.get("me") or {}).get("employer_id") or "")


def _notice(done: str) -> str | None:
    return NOTICES.get(done)


async def occupations(web: Web) -> list[tuple[str, str]]:
    """(code, name) of the occupation classification, majors (A–K) each followed by their
    middle groups (01–73), from the API's reference data (kept once read)."""
    if not _occupations:
        try:
            items = await web.gateway.call("GET", "/api/v1/occupations")
        except ApiError:
            return []
        _occupations.extend((str(i["code"]), str(i["name"])) for i in items)
    return list(_occupations)


def occupation_groups(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Majors with their middle groups, for <optgroup>s."""
    groups: list[dict[str, Any]] = []
    for code, name in items:
        if code.isalpha():
            groups.append({"code": code, "name": name, "middle": []})
        elif groups:
            groups[-1]["middle"].append((code, name))
    return groups


async def _own_posting(request: Request, session: Session, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = await api(request, "GET", f"/api/v1/jobs/{segment(job_id, '求人')}")
    if job.get("employer_id") != _employer_id(session):
        raise ApiError(404, "not_found", "お探しの求人は見つかりませんでした。")
    return job


async def _own_postings(request: Request) -> list[dict[str, Any]]:
    """Up to 100 own postings (newest first), for choosing one."""
    page = await api(request, "GET", "/api/v1/jobs/mine", params={"limit": 100})
    return list(page.get("items") or [])


def _int(raw: str) -> int | None:
    text = half_width(raw).replace(",", "").replace("円", "").replace("人", "").strip()
    return int(text) if text.isdigit() else None


def _api_field_errors(exc: ApiError, fallback: str = "") -> dict[str, list[str]]:
    """The API's field errors; whole-body ones (field "") go to the field they are about (else
    ``fallback``; "" is shown in the summary only)."""
    errors = exc.field_errors()
    general = errors.pop("", [])
    for message in general:
        target = fallback
        if "賃金" in message:
            target = "wage_max"
        elif "面接" in message:
            target = "interview_date"
        elif "労働条件" in message:
            target = "conditions_differ"
        errors.setdefault(target, []).append(message)
    return errors


# --- home ------------------------------------------------------------------------------------


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
