"""What every page shares: the app's parts, the session of the request, rendering, CSRF checks
and the login requirement."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from web import reference
from web.gateway import Gateway
from web.sessions import Session, SessionStore
from web.settings import WebSettings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Web:
    settings: WebSettings
    gateway: Gateway
    sessions: SessionStore
    templates: Environment


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_ja"] = reference.date_ja
    env.filters["wage"] = reference.wage
    env.globals["EMPLOYMENT_TYPES"] = reference.EMPLOYMENT_TYPES
    env.globals["PREFECTURES"] = reference.PREFECTURES
    env.globals["EMPLOYMENT_TYPE_NAMES"] = reference.EMPLOYMENT_TYPE_NAMES
    return env


class LoginRequired(Exception):
    """Raised on a page that needs a login: answered by a redirect to the login page."""

    def __init__(self, next_path: str = "/mypage", *, expired: bool = False) -> None:
        self.next_path = next_path
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def get_session(request: Request) -> Session:
    session: Session = request.state.session
    return session


WebDep = Annotated[Web, Depends(get_web)]
SessionDep = Annotated[Session, Depends(get_session)]


async def checked_form(request: Request, session: SessionDep) -> FormData:
    """The POSTed form, once its CSRF token matched the session's (a stored session only)."""
    form = await request.form()
    sent = form.get("csrf_token")
    if session.new or not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise CsrfRefused
    return form


def require_login(request: Request, session: SessionDep) -> Session:
    if not session.logged_in:
        raise LoginRequired(request.url.path)
    return session


FormDep = Annotated[FormData, Depends(checked_form)]
LoggedIn = Annotated[Session, Depends(require_login)]


def login_url(next_path: str, *, expired: bool = False) -> str:
    url = f"/login?next={quote(next_path, safe='/')}"
    return url + "&expired=1" if expired else url


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    forms: bool = True,
    **context: Any,
) -> HTMLResponse:
    """A page. ``forms``: it has a POST form, so the session (and its CSRF token) must exist."""
    web = get_web(request)
    session = get_session(request)
    if forms and session.new:
        await web.sessions.save(session)
    html = web.templates.get_template(template).render(
        request=request,
        session=session,
        csrf_token=session.csrf,
        logged_in=session.logged_in,
        helpdesk={
            "phone": web.settings.helpdesk_phone,
            "hours": web.settings.helpdesk_hours,
            "email": web.settings.helpdesk_email,
        },
        **context,
    )
    return HTMLResponse(html, status_code=status)
