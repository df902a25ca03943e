"""マイページ開設, as the leaflet's steps 3–6: agreements → e-mail and birth date (seekers) or
establishment number (employers, ``?for=employer``) → "mail sent" (the same whether or not they
matched) → auth key and password → done."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from web.deps import FormDep, SessionDep, WebDep, field, get_session, get_web, render
from web.gateway import ApiError
from web.reference import half_width, parse_date

router = APIRouter(prefix="/mypage/opening")

PASSWORD_RULES = [
    "8文字以上32文字以内",
    "半角の英字・数字・記号のみ（全角文字や空白は使えません）",
    "英字・数字・記号をそれぞれ1文字以上含める",
    "よく使われるパスワードは使えません",
]
KEY_CODES = {"invalid_auth_key", "auth_key_expired", "too_many_attempts"}
ESTABLISHMENT_NUMBER = re.compile(r"\d{4}-\d{6}-\d")


def _kind(value: object) -> str:
    return "employer" if value == "employer" else "seeker"


@router.get("", response_class=HTMLResponse)
async def agreements_page(
    request: Request, for_: Annotated[str, Query(alias="for", max_length=20)] = ""
) -> Response:
    return await render(request, "opening_agree.html", errors={}, values={}, kind=_kind(for_))


@router.post("", response_class=HTMLResponse)
async def agreements(request: Request, form: FormDep, session: SessionDep, web: WebDep) -> Response:
    kind = _kind(form.get("account_type"))
    errors: dict[str, list[str]] = {}
    values = {name: form.get(name) == "yes" for name in ("agree_privacy_policy", "agree_terms")}
    if not values["agree_privacy_policy"]:
        errors["agree_privacy_policy"] = ["プライバシーポリシーに同意してください。"]
    if not values["agree_terms"]:
        errors["agree_terms"] = ["利用規約に同意してください。"]
    if errors:
        return await render(
            request, "opening_agree.html", status=400, errors=errors, values=values, kind=kind
        )
    session.data["opening_agreed"] = True
    session.data["opening_type"] = kind
    await web.sessions.save(session)
    return RedirectResponse("/mypage/opening/email", status_code=303)


@router.get("/email", response_class=HTMLResponse)
async def email_page(request: Request, session: SessionDep) -> Response:
    if not session.data.get("opening_agreed"):
        return RedirectResponse("/mypage/opening", status_code=303)
    return await render(
        request,
        "opening_email.html",
        errors={},
        values={},
        error=None,
        kind=_kind(session.data.get("opening_type")),
    )


@router.post("/email", response_class=HTMLResponse)
async def email(request: Request, form: FormDep, session: SessionDep, web: WebDep) -> Response:
    if not session.data.get("opening_agreed"):
        return RedirectResponse("/mypage/opening", status_code=303)
    kind = _kind(session.data.get("opening_type"))
    address = half_width(field(form, "email"))
    values = {"email": address}
    errors: dict[str, list[str]] = {}
    if not address:
        errors["email"] = ["メールアドレスを入力してください。"]
    body: dict[str, object] = {"account_type": kind, "email": address}
    if kind == "employer":
        number = half_width(field(form, "establishment_number")).replace("ー", "-")
        values["establishment_number"] = number
        if not ESTABLISHMENT_NUMBER.fullmatch(number):
            errors["establishment_number"] = [
                "事業所番号を「1301-000001-8」の形で入力してください。"
            ]
        body["establishment_number"] = number
    else:
        raw_birth = field(form, "birth_date")
        birth = parse_date(raw_birth)
        values["birth_date"] = raw_birth
        if birth is None:
            errors["birth_date"] = ["生年月日を「1990-04-01」の形で入力してください。"]
        else:
            body["birth_date"] = birth.isoformat()
    error = None
    if not errors:
        try:
            await web.gateway.call(
                "POST",
                "/api/v1/mypage/opening",
                json=body | {"agree_privacy_policy": True, "agree_terms": True},
            )
        except ApiError as exc:
            errors, error = exc.field_errors(), exc.detail
        else:
            session.data["opening_email"] = address
            await web.sessions.save(session)
            return RedirectResponse("/mypage/opening/sent", status_code=303)
    return await render(
        request,
        "opening_email.html",
        status=400,
        errors=errors,
        values=values,
        error=error,
        kind=kind,
    )


@router.get("/sent", response_class=HTMLResponse)
async def sent(request: Request, session: SessionDep) -> Response:
    return await render(
        request,
        "opening_sent.html",
        forms=False,
        email=session.data.get("opening_email"),
        kind=_kind(session.data.get("opening_type")),
    )


@router.get("/complete", response_class=HTMLResponse)
async def complete_page(request: Request, session: SessionDep) -> Response:
    values = {"email": session.data.get("opening_email", "")}
    return await render(
        request, "opening_complete.html", values=values, errors={}, error=None, rules=PASSWORD_RULES
    )


@router.post("/complete", response_class=HTMLResponse)
async def complete(request: Request, form: FormDep, session: SessionDep, web: WebDep) -> Response:
    return await redeem_key(
        request,
        form,
        endpoint="/api/v1/mypage/opening/complete",
        done="/mypage/opening/done",
        forget=("opening_agreed", "opening_email", "opening_type"),
        page={"rules": PASSWORD_RULES},
    )


async def redeem_key(
    request: Request,
    form: FormData,
    *,
    endpoint: str,
    done: str,
    forget: tuple[str, ...],
    page: dict[str, Any],
) -> Response:
    """The auth key and a new password (opening, account, password reset): checked here first,
    then sent to ``endpoint``; each failed password rule and a refused key are shown at their
    fields, never the password. Success forgets the flow's ``forget`` keys, then → ``done``."""
    web = get_web(request)
    session = get_session(request)
    address = half_width(field(form, "email"))
    key = half_width(field(form, "auth_key"))
    password = str(form.get("password") or "")
    values = {"email": address, "auth_key": key}
    errors: dict[str, list[str]] = {}
    error = None
    if not address:
        errors["email"] = ["メールアドレスを入力してください。"]
    if not key:
        errors["auth_key"] = ["メールに記載の認証キーを入力してください。"]
    if not password:
        errors["password"] = ["パスワードを入力してください。"]
    elif password != str(form.get("password_confirm") or ""):
        errors["password_confirm"] = ["確認用のパスワードが一致しません。"]
    if not errors:
        try:
            await web.gateway.call(
                "POST", endpoint, json={"email": address, "auth_key": key, "password": password}
            )
        except ApiError as exc:
            errors = exc.field_errors()
            if exc.code in KEY_CODES:
                errors.setdefault("auth_key", [exc.detail])
            else:
                error = exc.detail
        else:
            for name in forget:
                session.data.pop(name, None)
            await web.sessions.save(session)
            return RedirectResponse(done, status_code=303)
    return await render(
        request,
        "opening_complete.html",
        status=400,
        values=values,
        errors=errors,
        error=error,
        **page,
    )


@router.get("/done", response_class=HTMLResponse)
async def done(request: Request) -> Response:
    return await render(request, "opening_done.html", forms=False)
