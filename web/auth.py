"""Tokens on the server side: login, calls with the session's access token, transparent refresh
(once, under a per-session lock), logout."""

from __future__ import annotations

import base64
import json
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
    try:
        me = await web.gateway.call("GET", "/api/v1/me", token=pair["access_token"])
    except ApiError as exc:
        # during maintenance only login, refresh, status and the maintenance switch answer: an
        # administrator must still get in to end it. The token came from the gateway's login
        # answer just now, so its claims are read, not verified, for the menus only.
        claims = _claims(str(pair["access_token"]))
        if exc.code != "maintenance" or claims.get("role") != "admin":
            raise
        me = {"account_id": claims.get("sub"), "role": "admin"}
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


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


async def access_token(request: Request) -> str:
    """The session's access token, refreshed first when it is about to expire. No login (any
    more): LoginRequired."""
    web = get_web(request)
    session = get_session(request)
    if session.tokens is None:
        raise LoginRequired(request.url.path)
    token = str(session.tokens["access"])
    expires_at = session.tokens["expires_at"]
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    margin = timedelta(seconds=web.settings.refresh_margin_seconds)
    if expires_at - margin > datetime.now(UTC):
        return token
    return await refreshed(request, token)


async def refreshed(request: Request, stale: str) -> str:
    """A new access token after ``stale`` was refused (once per stale token and session)."""
    try:
        return await _refresh(get_web(request), get_session(request), stale)
    except LoginRequired as exc:
        request.state.clear_cookie = True
        raise LoginRequired(request.url.path, expired=True) from exc


async def api(request: Request, method: str, path: str, **kwargs: Any) -> Any:
    """Call the API as the logged-in user (``Gateway.call``'s arguments); refresh the access
    token when it is about to expire or was refused, once. No login (any more): LoginRequired."""
    web = get_web(request)
    token = await access_token(request)
    try:
        return await web.gateway.call(method, path, token=token, **kwargs)
    except ApiError as exc:
        if exc.status != 401:
            raise
    token = await refreshed(request, token)
    return await web.gateway.call(method, path, token=token, **kwargs)
