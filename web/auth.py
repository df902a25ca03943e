"""Tokens on the server side: login, calls with the session's access token, transparent refresh
(once, under a per-session lock), logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import Request

from web.deps import LoginRequired, Web, get_session, get_web
from web.gateway import ApiError
from web.sessions import Session

log = structlog.get_logger()


def _tokens(pair: dict[str, Any]) -> dict[str, Any]:
    return {
        "access": pair["access_token"],
        "refresh": pair["refresh_token"],
        "expires_at": datetime.now(UTC) + timedelta(seconds=int(pair.get("expires_in", 0))),
    }


async def login(request: Request, *, email: str, password: str) -> None:
    """Log in (raises ApiError), then give the visitor a new session id holding the tokens."""
    web = get_web(request)
    pair = await web.gateway.call(
        "POST", "/api/v1/auth/login", json={"email": email, "password": password}
    )
    me = await web.gateway.call("GET", "/api/v1/me", token=pair["access_token"])
    session = await web.sessions.rotate(get_session(request))
    session.tokens = _tokens(pair)
    session.data.pop("opening_email", None)
    # who is logged in, for the menus and the role checks of the pages (the API checks again)
    session.data["me"] = {
        k: me.get(k) for k in ("account_id", "role", "seeker_id", "employer_id", "office_code")
    }
    await web.sessions.save(session)
    request.state.session = session
    log.info("web.login.succeeded", role=me.get("role"))


def home_of(role: str | None) -> str:
    """Where a role's menu starts."""
    if role == "employer":
        return "/employer"
    if role in ("staff", "admin"):
        return "/staff"
    return "/mypage"


async def logout(request: Request) -> None:
    web = get_web(request)
    session = get_session(request)
    if session.tokens:
        try:
            await web.gateway.call(
                "POST",
                "/api/v1/auth/logout",
                token=session.tokens["access"],
                json={"refresh_token": session.tokens["refresh"]},
            )
        except ApiError as exc:
            log.warning("web.logout.api_failed", code=exc.code)
    await web.sessions.delete(session)
    fresh = web.sessions.fresh()
    request.state.session = fresh
    request.state.clear_cookie = True


async def _refresh(web: Web, session: Session, stale: str) -> str:
    async with web.sessions.lock(session):
        await web.sessions.reload_tokens(session)
        if session.tokens is None:
            raise LoginRequired(expired=True)
        if session.tokens["access"] != stale:  # another request refreshed meanwhile
            return str(session.tokens["access"])
        try:
            pair = await web.gateway.call(
                "POST", "/api/v1/auth/refresh", json={"refresh_token": session.tokens["refresh"]}
            )
        except ApiError as exc:
            if exc.status in (400, 401, 422):
                await web.sessions.delete(session)
                log.info("web.session.refresh_refused", code=exc.code)
                raise LoginRequired(expired=True) from exc
            raise
        session.tokens = _tokens(pair)
        await web.sessions.save(session)
        log.info("web.session.refreshed")
        return str(session.tokens["access"])


async def api(request: Request, method: str, path: str, **kwargs: Any) -> Any:
    """Call the API as the logged-in user; refresh the access token when it is about to expire or
    was refused, once. No login (any more): LoginRequired."""
    web = get_web(request)
    session = get_session(request)
    if session.tokens is None:
        raise LoginRequired(request.url.path)
    token = str(session.tokens["access"])
    margin = timedelta(seconds=web.settings.refresh_margin_seconds)
    expires_at = session.tokens["expires_at"]
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    try:
        if expires_at - margin <= datetime.now(UTC):
            token = await _refresh(web, session, token)
        try:
            return await web.gateway.call(method, path, token=token, **kwargs)
        except ApiError as exc:
            if exc.status != 401:
                raise
        token = await _refresh(web, session, token)
        return await web.gateway.call(method, path, token=token, **kwargs)
    except LoginRequired as exc:
        request.state.clear_cookie = True
        raise LoginRequired(request.url.path, expired=True) from exc
