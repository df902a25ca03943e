"""Login (ログイン) and logout (ログアウト)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web import auth
from web.deps import FormDep, SessionDep, field, render
from web.gateway import ApiError
from web.reference import half_width

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only a local path (no //host, no scheme): an open redirect otherwise."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/mypage"


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    session: SessionDep,
    next: str | None = None,
    expired: bool = False,
    logged_out: bool = False,
) -> Response:
    if session.logged_in:
        return RedirectResponse(_safe_next(next), status_code=303)
    return await render(
        request,
        "login.html",
        next=_safe_next(next),
        expired=expired,
        logged_out=logged_out,
        values={},
        errors={},
        error=None,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, form: FormDep) -> Response:
    email = half_width(field(form, "email"))
    password = str(form.get("password") or "")
    target = _safe_next(field(form, "next"))
    errors: dict[str, list[str]] = {}
    if not email:
        errors["email"] = ["メールアドレスを入力してください。"]
    if not password:
        errors["password"] = ["パスワードを入力してください。"]
    error = None
    if not errors:
        try:
            await auth.login(request, email=email, password=password)
            return RedirectResponse(target, status_code=303)
        except ApiError as exc:
            if exc.code == "maintenance":
                raise  # the maintenance page, with its schedule
            if exc.status == 422:
                errors = exc.field_errors()
            error = exc.detail
    return await render(
        request,
        "login.html",
        status=400 if errors else 401,
        next=target,
        expired=False,
        logged_out=False,
        values={"email": email},
        errors=errors,
        error=error or "入力内容をご確認ください。",
    )


@router.post("/logout")
async def logout(request: Request, form: FormDep) -> Response:
    await auth.logout(request)
    return RedirectResponse("/login?logged_out=1", status_code=303)
