"""求職者 (staff): the office's seekers by number or name, one seeker with the office's
annotations (ハローワーク追記), adding one, recommending a posting (おすすめ求人), confirming
an online (provisional) registration, recording a consultation (相談記録: day, kind, note),
renewing (更新: a fresh validity) and cancelling (取消) the registration.

Routes:
- ``GET /staff/seekers``                                   一覧・検索 (number, name, status;
                                                           administrators: office)
- ``GET /staff/seekers/{seeker_id}``                       詳細; ``?q=`` searches postings to
                                                           recommend
- ``POST /staff/seekers/{seeker_id}/annotations``          追記
- ``POST /staff/seekers/{seeker_id}/recommendations``      おすすめ求人を送る (job id or posting URL)
- ``POST /staff/seekers/{seeker_id}/confirm``              仮登録の確認 (本登録にする)
- ``POST /staff/seekers/{seeker_id}/consultations``        相談記録 (相談日, 種類, 内容)
- ``POST /staff/seekers/{seeker_id}/renew``                求職登録の更新 (有効期限の延長)
- ``POST /staff/seekers/{seeker_id}/cancel``               求職登録の取消 (確認のチェック, 理由)
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, StaffOnly, WebDep, field, next_page_url, render, segment
from web.gateway import ApiError
from web.pages_staff_common import Errors, done_message, form_errors, is_admin
from web.reference import JST, half_width, parse_date

router = APIRouter(prefix="/staff/seekers")

STATUSES = [
    ("registered", "登録中"),
    ("provisional", "仮登録（確認待ち）"),
    ("lapsed", "有効期限切れ"),
    ("cancelled", "取消済み"),
]
STATUS_NAMES = dict(STATUSES)
ACCOUNT_STATUS = {"unopened": "マイページ未開設", "active": "マイページ開設済み"}
DONE = {
    "annotated": "ハローワーク追記を登録しました。求職者のマイページの求職情報に表示されます。",
    "recommended": "おすすめ求人を送りました。求職者のマイページの「おすすめ求人」に表示されます。",
    "confirmed": "仮登録を確認し、本登録にしました。",
    "consulted": "相談記録を登録しました。",
    "renewed": "求職登録を更新しました。新しい有効期限は「登録内容」をご覧ください。",
    "renew_unchanged": "有効期限まで十分な期間があるため、有効期限は変わりませんでした。",
    "cancelled": "求職登録を取り消しました。求職者は事業所の検索に表示されなくなりました。",
}
# the identity service's fixed list (ConsultationCreate.kind)
CONSULTATION_KINDS = [
    ("career", "職業相談"),
    ("documents", "応募書類の相談・添削"),
    ("interview_practice", "面接指導"),
    ("job_search", "求人の検索・情報提供"),
    ("seminar", "セミナー・講習"),
    ("training", "職業訓練の相談"),
    ("other", "その他"),
]
CONSULTATION_NOTE_MAX = 2000
CANCEL_REASON_MAX = 300
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
JOB_URL = re.compile(r"/jobs/([0-9A-Za-z]{32})(?:[/?#]|$)")
NOTE_MAX = 1000
ANNOTATION_MAX = 2000
Text = Annotated[str, Query(max_length=100)]


@router.get("", response_class=HTMLResponse)
async def seekers(
    request: Request,
    session: StaffOnly,
    web: WebDep,
    seeker_number: Text = "",
    name: Text = "",
    status: Annotated[str, Query(max_length=20)] = "",
    office_code: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    conditions = {
        "seeker_number": half_width(seeker_number),
        "name": name.strip(),
        "status": status if status in STATUS_NAMES else "",
        "office_code": half_width(office_code) if is_admin(session) else "",
    }
    params: dict[str, Any] = {"limit": web.settings.page_size}
    params.update({k: v for k, v in conditions.items() if v})
    if cursor:
        params["cursor"] = cursor
    result: dict[str, Any] | None = None
    error: ApiError | None = None
    try:
        result = await api(request, "GET", "/api/v1/staff/seekers", params=params)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        error = exc
    next_url = next_page_url("/staff/seekers", result, **conditions)
    return await render(
        request,
        "staff_seekers.html",
        forms=False,
        conditions=conditions,
        result=result,
        error=error,
        next_url=next_url,
        statuses=STATUSES,
        status_names=STATUS_NAMES,
        admin=is_admin(session),
        searched=any(conditions.values()) or bool(cursor),
    )


@router.get("/{seeker_id}", response_class=HTMLResponse)
async def seeker(
    request: Request,
    session: StaffOnly,
    seeker_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return await _detail(request, seeker_id, done=done_message(DONE, done), q=q.strip())


async def _detail(
    request: Request,
    seeker_id: str,
    *,
    done: str | None = None,
    q: str = "",
    forms: dict[str, Errors] | None = None,
    error: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The seeker page; ``forms``: the errors of one of its forms, ``error``: (form, heading)."""
    person = await api(request, "GET", f"/api/v1/staff/seekers/{segment(seeker_id, '求職者')}")
    postings: dict[str, Any] | None = None
    postings_error: str | None = None
    if q:
        try:
            postings = await api(request, "GET", "/api/v1/jobs", params={"q": q, "limit": 5})
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            postings_error = exc.detail
    return await render(
        request,
        "staff_seeker.html",
        status=status,
        person=person,
        status_name=STATUS_NAMES.get(str(person.get("status")), ""),
        account_status=ACCOUNT_STATUS.get(str(person.get("account_status")), ""),
        done=done,
        q=q,
        postings=postings,
        postings_error=postings_error,
        form_errors=forms or {},
        form_error=error,
        values=values or {},
        note_max=NOTE_MAX,
        annotation_max=ANNOTATION_MAX,
        consultation_kinds=CONSULTATION_KINDS,
        consultation_note_max=CONSULTATION_NOTE_MAX,
        cancel_reason_max=CANCEL_REASON_MAX,
        today=datetime.now(JST).date().isoformat(),
    )


def _back(seeker_id: str, done: str) -> Response:
    return RedirectResponse(f"/staff/seekers/{seeker_id}?done={done}", status_code=303)


@router.post("/{seeker_id}/annotations", response_class=HTMLResponse)
async def annotate(request: Request, session: StaffOnly, form: FormDep, seeker_id: str) -> Response:
    sid = segment(seeker_id, "求職者")
    body = field(form, "body")
    errors: Errors = {}
    if not body:
        errors["body"] = ["追記する内容を入力してください。"]
    elif len(body) > ANNOTATION_MAX:
        errors["body"] = [f"{ANNOTATION_MAX}文字以内で入力してください。"]
    heading, status = "入力内容をご確認ください。", 400
    if not errors:
        try:
            await api(
                request, "POST", f"/api/v1/staff/seekers/{sid}/annotations", json={"body": body}
            )
            return _back(sid, "annotated")
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            errors, heading = form_errors(exc, ["body"])
            status = exc.status
    return await _detail(
        request,
        sid,
        forms={"annotate": errors},
        error=("annotate", heading),
        values={"body": body},
        status=status,
    )


def job_id_of(text: str) -> str | None:
    """A posting's id as typed, or taken from a posting's address (…/jobs/<id>)."""
    value = half_width(text)
    if JOB_ID.match(value.lower()):
        return value.lower()
    found = JOB_URL.search(value)
    return found[1].lower() if found and JOB_ID.match(found[1].lower()) else None


@router.post("/{seeker_id}/recommendations", response_class=HTMLResponse)
async def recommend(
    request: Request, session: StaffOnly, form: FormDep, seeker_id: str
) -> Response:
    sid = segment(seeker_id, "求職者")
    typed, note = field(form, "job_id"), field(form, "note")
    job_id = job_id_of(typed)
    errors: Errors = {}
    if not typed:
        errors["job_id"] = ["求人IDを入力してください。"]
    elif job_id is None:
        errors["job_id"] = [
            "求人IDは英数字32文字です。求人票の画面のアドレス（…/jobs/の後ろ）をそのまま"
            "貼り付けることもできます。"
        ]
    if len(note) > NOTE_MAX:
        errors["note"] = [f"{NOTE_MAX}文字以内で入力してください。"]
    heading, status = "入力内容をご確認ください。", 400
    if not errors:
        try:
            await api(
                request,
                "POST",
                f"/api/v1/staff/seekers/{sid}/recommendations",
                json={"job_id": job_id, "note": note},
            )
            return _back(sid, "recommended")
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            errors, heading = form_errors(
                exc,
                ["job_id", "note"],
                {
                    "job_not_found": "job_id",
                    "posting_not_open": "job_id",
                    "posting_closed": "job_id",
                    "already_recommended": "job_id",
                },
            )
            status = exc.status
    return await _detail(
        request,
        sid,
        forms={"recommend": errors},
        error=("recommend", heading),
        values={"job_id": typed, "note": note},
        status=status,
    )


@router.post("/{seeker_id}/confirm", response_class=HTMLResponse)
async def confirm(request: Request, session: StaffOnly, form: FormDep, seeker_id: str) -> Response:
    sid = segment(seeker_id, "求職者")
    try:
        await api(request, "POST", f"/api/v1/staff/seekers/{sid}/confirm")
    except ApiError as exc:
        if exc.status >= 500 or exc.code in ("maintenance", "not_found"):
            raise
        return await _detail(
            request, sid, forms={"confirm": {}}, error=("confirm", exc.detail), status=409
        )
    return _back(sid, "confirmed")


@router.post("/{seeker_id}/consultations", response_class=HTMLResponse)
async def consult(request: Request, session: StaffOnly, form: FormDep, seeker_id: str) -> Response:
    sid = segment(seeker_id, "求職者")
    on, kind = half_width(field(form, "on")), field(form, "kind")
    note = field(form, "consult_note")
    errors: Errors = {}
    day = parse_date(on)
    if not on:
        errors["on"] = ["相談日を入力してください。"]
    elif day is None:
        errors["on"] = ["相談日は YYYY-MM-DD の形式の正しい日付で入力してください。"]
    else:
        on = day.isoformat()
    if kind not in dict(CONSULTATION_KINDS):
        errors["kind"] = ["相談の種類を選んでください。"]
    if not note:
        errors["consult_note"] = ["相談の内容を入力してください。"]
    elif len(note) > CONSULTATION_NOTE_MAX:
        errors["consult_note"] = [f"{CONSULTATION_NOTE_MAX}文字以内で入力してください。"]
    heading, status = "入力内容をご確認ください。", 400
    if not errors:
        try:
            await api(
                request,
                "POST",
                f"/api/v1/staff/seekers/{sid}/consultations",
                json={"on": on, "kind": kind, "note": note},
            )
            return _back(sid, "consulted")
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            errors, heading = form_errors(exc, ["on", "kind", "note"])
            if "note" in errors:  # the form's field has its own name (the page has two notes)
                errors["consult_note"] = errors.pop("note")
            status = exc.status
    return await _detail(
        request,
        sid,
        forms={"consult": errors},
        error=("consult", heading),
        values={"on": on, "kind": kind, "consult_note": note},
        status=status,
    )


@router.post("/{seeker_id}/renew", response_class=HTMLResponse)
async def renew(request: Request, session: StaffOnly, form: FormDep, seeker_id: str) -> Response:
    sid = segment(seeker_id, "求職者")
    try:
        before = await api(request, "GET", f"/api/v1/staff/seekers/{sid}")
        after = await api(request, "POST", f"/api/v1/staff/seekers/{sid}/renew")
    except ApiError as exc:
        if exc.status >= 500 or exc.code in ("maintenance", "not_found"):
            raise
        return await _detail(
            request, sid, forms={"renew": {}}, error=("renew", exc.detail), status=exc.status
        )
    # a registration already valid long enough is left as it is: say so, not "renewed"
    same = all(before.get(k) == after.get(k) for k in ("status", "expires_on"))
    return _back(sid, "renew_unchanged" if same else "renewed")


@router.post("/{seeker_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, session: StaffOnly, form: FormDep, seeker_id: str) -> Response:
    sid = segment(seeker_id, "求職者")
    reason, confirmed = field(form, "reason"), field(form, "confirm") == "yes"
    errors: Errors = {}
    if not confirmed:
        errors["confirm"] = ["取り消す場合は、確認のチェックを入れてください。"]
    if len(reason) > CANCEL_REASON_MAX:
        errors["reason"] = [f"理由は{CANCEL_REASON_MAX}文字以内で入力してください。"]
    heading, status = "入力内容をご確認ください。", 400
    if not errors:
        try:
            await api(
                request,
                "POST",
                f"/api/v1/staff/seekers/{sid}/cancel",
                json={"reason": reason} if reason else None,
            )
            return _back(sid, "cancelled")
        except ApiError as exc:
            if exc.status >= 500 or exc.code in ("maintenance", "not_found"):
                raise
            errors, heading = form_errors(exc, ["reason"])
            status = exc.status
    return await _detail(
        request,
        sid,
        forms={"cancel": errors},
        error=("cancel", heading),
        values={"reason": reason},
        status=status,
    )
