"""The second way to a My Page (leaflet, note under step 6): create an account first
(agreements + e-mail → auth key mail → key and password), log in, then apply as a seeker online
(求職申込み): a provisional registration that the chosen office confirms.

- ``/accounts/new`` → ``/accounts/sent`` → ``/accounts/complete`` → ``/accounts/done``
- ``/mypage/seeker-application`` (a logged-in seeker account without a registration)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, SeekerOnly, SessionDep, WebDep, field, render
from web.gateway import ApiError
from web.pages_opening import PASSWORD_RULES, redeem_key
from web.reference import half_width, parse_date

router = APIRouter()

# the offices a seeker can apply to online (code → name); the office confirms in person
OFFICES = [
    ("13010", "ハローワーク飯田橋（東京都）"),
    ("13020", "ハローワーク上野（東京都）"),
    ("13030", "ハローワーク品川（東京都）"),
    ("14010", "ハローワーク横浜（神奈川県）"),
    ("23010", "ハローワーク名古屋中（愛知県）"),
    ("27010", "ハローワーク大阪東（大阪府）"),
    ("40010", "ハローワーク福岡中央（福岡県）"),
    ("01010", "ハローワーク札幌（北海道）"),
]
OFFICE_CODES = {code for code, _ in OFFICES}
COMPLETE: dict[str, Any] = {
    "action": "/accounts/complete",
    "heading": "アカウント登録",
    "lead": "「アカウント登録申込受付通知」メールに記載の認証キーと、登録するパスワードを入力して"
    "「完了」を押してください。",
    "rules": PASSWORD_RULES,
}


@router.get("/accounts/new", response_class=HTMLResponse)
async def new_page(request: Request) -> Response:
    return await render(request, "account_new.html", errors={}, values={}, error=None)


@router.post("/accounts/new", response_class=HTMLResponse)
async def new(request: Request, form: FormDep, session: SessionDep, web: WebDep) -> Response:
    address = half_width(field(form, "email"))
    values: dict[str, Any] = {
        "email": address,
        **{name: form.get(name) == "yes" for name in ("agree_privacy_policy", "agree_terms")},
    }
    errors: dict[str, list[str]] = {}
    if not values["agree_privacy_policy"]:
        errors["agree_privacy_policy"] = ["プライバシーポリシーに同意してください。"]
    if not values["agree_terms"]:
        errors["agree_terms"] = ["利用規約に同意してください。"]
    if not address:
        errors["email"] = ["メールアドレスを入力してください。"]
    error = None
    if not errors:
        try:
            await web.gateway.call(
                "POST",
                "/api/v1/accounts",
                json={"email": address, "agree_privacy_policy": True, "agree_terms": True},
            )
        except ApiError as exc:
            errors, error = exc.field_errors(), exc.detail
        else:
            session.data["account_email"] = address
            await web.sessions.save(session)
            return RedirectResponse("/accounts/sent", status_code=303)
    return await render(
        request, "account_new.html", status=400, errors=errors, values=values, error=error
    )


@router.get("/accounts/sent", response_class=HTMLResponse)
async def sent(request: Request) -> Response:
    return await render(request, "account_sent.html", forms=False)


@router.get("/accounts/complete", response_class=HTMLResponse)
async def complete_page(request: Request, session: SessionDep) -> Response:
    values = {"email": session.data.get("account_email", "")}
    return await render(
        request, "opening_complete.html", values=values, errors={}, error=None, **COMPLETE
    )


@router.post("/accounts/complete", response_class=HTMLResponse)
async def complete(request: Request, form: FormDep) -> Response:
    return await redeem_key(
        request,
        form,
        endpoint="/api/v1/accounts/complete",
        done="/accounts/done",
        forget=("account_email",),
        page=COMPLETE,
    )


@router.get("/accounts/done", response_class=HTMLResponse)
async def done(request: Request) -> Response:
    return await render(request, "account_done.html", forms=False)


LABELS = {
    "name": "氏名",
    "name_kana": "氏名（フリガナ）",
    "birth_date": "生年月日",
    "office_code": "申し込むハローワーク",
    "phone": "電話番号",
    "postal_code": "郵便番号",
    "address": "住所",
}


@router.get("/mypage/seeker-application", response_class=HTMLResponse)
async def application_page(request: Request, session: SeekerOnly) -> Response:
    return await render(
        request,
        "account_seeker_application.html",
        errors={},
        values={},
        error=None,
        offices=OFFICES,
        labels=LABELS,
    )


@router.post("/mypage/seeker-application", response_class=HTMLResponse)
async def application(request: Request, session: SeekerOnly, form: FormDep) -> Response:
    values = {name: half_width(field(form, name)) for name in LABELS}
    values["name"] = field(form, "name")  # names keep their full-width spaces
    values["name_kana"] = field(form, "name_kana")
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = ["氏名を入力してください。"]
    birth = parse_date(values["birth_date"])
    if birth is None:
        errors["birth_date"] = ["生年月日を「1990-04-01」の形で入力してください。"]
    if values["office_code"] not in OFFICE_CODES:
        errors["office_code"] = ["申し込むハローワークを選んでください。"]
    error = None
    if not errors and birth is not None:
        body = {k: v for k, v in values.items() if v} | {"birth_date": birth.isoformat()}
        try:
            await api(request, "POST", "/api/v1/me/seeker-application", json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            errors, error = exc.field_errors(), exc.detail
        else:
            return RedirectResponse("/mypage?applied=1", status_code=303)
    return await render(
        request,
        "account_seeker_application.html",
        status=400,
        errors=errors,
        values=values,
        error=error or "入力内容をご確認ください。",
        offices=OFFICES,
        labels=LABELS,
    )
