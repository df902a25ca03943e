"""パスワード再設定 (anyone): e-mail → "mail sent" (the same whether or not it matched) → auth key
and the new password (the rules shown before typing, each failed one explained after) → done.
Every login of the account ends with the reset."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.deps import FormDep, SessionDep, WebDep, field, render
from web.gateway import ApiError
from web.pages_opening import PASSWORD_RULES, redeem_key
from web.reference import half_width

router = APIRouter(prefix="/password-reset")

COMPLETE: dict[str, Any] = {
    "action": "/password-reset/complete",
    "heading": "パスワード再設定",
    "lead": "「パスワード再設定申込受付通知」メールに記載の認証キーと、新しいパスワードを入力して"
    "「完了」を押してください。",
    "rules": PASSWORD_RULES,
}


@router.get("", response_class=HTMLResponse)
async def email_page(request: Request) -> Response:
    return await render(request, "password_reset.html", errors={}, values={}, error=None)


@router.post("", response_class=HTMLResponse)
async def email(request: Request, form: FormDep, session: SessionDep, web: WebDep) -> Response:
    address = half_width(field(form, "email"))
    errors: dict[str, list[str]] = {}
    error = None
    if not address:
        errors["email"] = ["メールアドレスを入力してください。"]
    else:
        try:
            await web.gateway.call("POST", "/api/v1/auth/password-reset", json={"email": address})
        except ApiError as exc:
            errors, error = exc.field_errors(), exc.detail
        else:
            session.data["reset_email"] = address
            await web.sessions.save(session)
            return RedirectResponse("/password-reset/sent", status_code=303)
    return await render(
        request,
        "password_reset.html",
        status=400,
        errors=errors,
        values={"email": address},
        error=error,
    )


@router.get("/sent", response_class=HTMLResponse)
async def sent(request: Request) -> Response:
    return await render(request, "password_reset_sent.html", forms=False)


@router.get("/complete", response_class=HTMLResponse)
async def complete_page(request: Request, session: SessionDep) -> Response:
    values = {"email": session.data.get("reset_email", "")}
    return await render(
        request, "opening_complete.html", values=values, errors={}, error=None, **COMPLETE
    )


@router.post("/complete", response_class=HTMLResponse)
async def complete(request: Request, form: FormDep) -> Response:
    return await redeem_key(
        request,
        form,
        endpoint="/api/v1/auth/password-reset/complete",
        done="/password-reset/done",
        forget=("reset_email",),
        page=COMPLETE,
    )


@router.get("/done", response_class=HTMLResponse)
async def done(request: Request) -> Response:
    return await render(request, "password_reset_done.html", forms=False)
