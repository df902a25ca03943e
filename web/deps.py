"""What every page shares: the app's parts, the session of the request, rendering, CSRF checks
and the login requirement."""

from __future__ import annotations

import hmac
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from web import reference
from web.gateway import ApiError, Gateway, SystemStatus
from web.sessions import Session, SessionStore
from web.settings import WebSettings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Web:
    settings: WebSettings
    gateway: Gateway
    sessions: SessionStore
    templates: Environment
    status: SystemStatus


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_ja"] = reference.date_ja
    env.filters["datetime_ja"] = reference.datetime_ja
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


class WrongRole(Exception):
    """A logged-in user on another role's page (a seeker on an employer page, …): 403 page."""


def role_of(session: Session) -> str | None:
    """The logged-in account's role (seeker, employer, staff, admin), kept at login."""
    me = session.data.get("me") or {}
    role = me.get("role")
    return str(role) if role else None


def _require(*roles: str) -> Any:
    def dependency(request: Request, session: SessionDep) -> Session:
        if not session.logged_in:
            raise LoginRequired(request.url.path)
        if role_of(session) not in roles:
            raise WrongRole
        return session

    return Depends(dependency)


FormDep = Annotated[FormData, Depends(checked_form)]
LoggedIn = Annotated[Session, Depends(require_login)]
# pages of one role (admins are staff too)
SeekerOnly = Annotated[Session, _require("seeker")]
EmployerOnly = Annotated[Session, _require("employer")]
SeekerOrEmployer = Annotated[Session, _require("seeker", "employer")]
StaffOnly = Annotated[Session, _require("staff", "admin")]
AdminOnly = Annotated[Session, _require("admin")]


def login_url(next_path: str, *, expired: bool = False) -> str:
    url = f"/login?next={quote(next_path, safe='/')}"
    return url + "&expired=1" if expired else url


ID_CHARS = frozenset(string.ascii_letters + string.digits + "-_")


def segment(value: str, what: str = "ページ") -> str:
    """An id taken from the URL, before it goes into an API path: only id characters (so that
    no input reaches another path), or a 404 「お探しの{what}は見つかりませんでした。」."""
    if not value or len(value) > 100 or not all(c in ID_CHARS for c in value):
        raise ApiError(404, "not_found", f"お探しの{what}は見つかりませんでした。")
    return value


def next_page_url(path: str, result: dict[str, Any] | None, **query: Any) -> str | None:
    """The link to the next page of a cursor-paged API list, keeping the list's conditions
    (empty ones dropped); None on the last page."""
    cursor = (result or {}).get("next_cursor")
    if not cursor:
        return None
    kept = {k: v for k, v in query.items() if v not in (None, "", [])}
    return f"{path}?{urlencode({**kept, 'cursor': cursor}, doseq=True)}"


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
    role = role_of(session) if session.logged_in else None
    html = web.templates.get_template(template).render(
        request=request,
        session=session,
        csrf_token=session.csrf,
        logged_in=session.logged_in,
        role=role,
        status=await web.status.current(),
        unread=await unread_counts(request, role),
        helpdesk={
            "phone": web.settings.helpdesk_phone,
            "hours": web.settings.helpdesk_hours,
            "email": web.settings.helpdesk_email,
        },
        **context,
    )
    return HTMLResponse(html, status_code=status)


async def unread_counts(request: Request, role: str | None) -> dict[str, int] | None:
    """Unread counts for the header badge of seekers and employers (None when unavailable: the
    page still renders)."""
    if role not in ("seeker", "employer"):
        return None
    from web.auth import api  # auth imports this module

    try:
        counts = await api(request, "GET", "/api/v1/me/unread")
    except ApiError:
        return None
    if not isinstance(counts, dict):
        return None
    out = {k: int(counts.get(k) or 0) for k in ("messages", "notices", "notifications")}
    # every user message and notice also makes a notification: the badge counts each once
    out["total"] = max(out["notifications"], out["messages"] + out["notices"])
    return out
