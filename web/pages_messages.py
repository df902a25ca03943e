"""メッセージ・お知らせ・通知 (seekers and employers) and the live unread badge.

Routes:
- ``GET /mypage/messages``                         メッセージ一覧 (conversations, paging) with links
                                                   to notices and notifications and their counts
- ``GET /mypage/messages/{conversation_id}``        one conversation: messages oldest → newest
                                                   (older ones by cursor), marks them read
- ``POST /mypage/messages/{conversation_id}``       send (本文; the form's Idempotency-Key: a
                                                   double submit sends once)
- ``GET /mypage/notices``                           ハローワークからのお知らせ (seekers), paging
- ``GET /mypage/notices/{notice_id}``               one notice (marks it read)
- ``GET /mypage/notifications``                     通知 (in-app notifications), paging
- ``POST /mypage/notifications/read-all``           すべて既読にする
- ``POST /mypage/notifications/{notification_id}/read``  one notification read
- ``GET /mypage/unread.json``                       unread counts for the header badge (live.js)
- ``GET /mypage/events``                            Server-Sent Events: the API's live stream
                                                   (``/api/v1/me/events``) relayed with the
                                                   session's access token (browsers' EventSource
                                                   cannot send the Authorization header)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import httpx
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from servicekit import context
from web.auth import access_token, api, refreshed
from web.deps import (
    FormDep,
    LoginRequired,
    SeekerOnly,
    SeekerOrEmployer,
    WebDep,
    field,
    get_session,
    next_page_url,
    render,
    role_of,
    segment,
    unread_counts,
)
from web.gateway import ApiError

log = structlog.get_logger()
router = APIRouter(prefix="/mypage")

# the messaging service's limit (services/messaging settings message_max_chars; the API's schema
# says "≤ 2000 characters")
MESSAGE_MAX_CHARS = 2000
MESSAGES_PER_PAGE = 50
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,100}$")
LAST_EVENT_ID = re.compile(r"^[\x21-\x7e]{1,120}$")
# an event stream that cannot be opened now: the browser tries again after this long
RETRY_LATER = "retry: 30000\n: unavailable\n\n"
# where a notification may link to (paths of this site only)
LINK_PREFIXES = ("/mypage/", "/employer/", "/jobs")

NOT_VISIBLE_TITLE = "このメッセージは表示できません"
NOT_VISIBLE = (
    "このメッセージのやりとりは表示できません。お手数ですが、メッセージ一覧からお進みください。"
)
LABELS = {"body": "本文"}


# --- helpers ------------------------------------------------------------------------------------


def _headers(token: str, **extra: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", **extra}
    rid = context.correlation_id.get()
    if rid:
        headers["X-Request-ID"] = rid
    return headers


async def _send_message(request: Request, conversation_id: str, body: str, key: str) -> Any:
    """POST …/messages with an Idempotency-Key: a retry or a double submit with the same key
    stores one message."""
    path = f"/api/v1/conversations/{conversation_id}/messages"
    return await api(request, "POST", path, json={"body": body}, headers={"Idempotency-Key": key})


def _not_visible(exc: ApiError) -> bool:
    return exc.status in (403, 404)


async def _not_visible_page(request: Request, status: int) -> Response:
    return await render(
        request,
        "error.html",
        status=status,
        forms=False,
        title=NOT_VISIBLE_TITLE,
        detail=NOT_VISIBLE,
    )


def _link(item: dict[str, Any], role: str | None) -> str | None:
    """Where a notification points on this site, or None. Employers' message links of the API
    (``/employer/messages/…``) are these pages."""
    web = str((item.get("link") or {}).get("web") or "")
    if not web.startswith("/") or web.startswith("//") or "\\" in web:
        return None
    if web.startswith("/employer/messages/"):
        web = "/mypage/messages/" + web.removeprefix("/employer/messages/")
    if role == "seeker" and web.startswith("/employer/"):
        return None
    if role == "employer" and web.startswith("/mypage/") and not web.startswith("/mypage/messages"):
        return None
    return web if web.startswith(LINK_PREFIXES) else None


def _sender(message: dict[str, Any], role: str | None) -> str:
    sender = message.get("sender") or {}
    if message.get("kind") == "system":
        return "システムからのお知らせ"
    if message.get("mine"):
        return "あなた"
    if sender.get("role") == "employer":
        return str(sender.get("name") or "求人者")
    number = sender.get("name")
    return f"求職者（求職番号 {number}）" if number else "求職者"


def _counterpart(conversation: dict[str, Any]) -> str:
    other = conversation.get("counterpart") or {}
    if other.get("role") == "seeker":
        number = other.get("seeker_number")
        return f"求職者（求職番号 {number}）" if number else "求職者"
    return str(other.get("name") or "求人者")


async def _read_notifications_of(request: Request, conversation_id: str) -> None:
    """The unread 'new message' notifications of this conversation are read once it is shown."""
    try:
        params = {"unread": "true", "limit": 100}
        page = await api(request, "GET", "/api/v1/me/notifications", params=params)
        for item in page.get("items") or []:
            web_link = str((item.get("link") or {}).get("web") or "")
            if item.get("type") == "message" and web_link.endswith("/" + conversation_id):
                nid = segment(str(item.get("notification_id") or ""))
                await api(request, "POST", f"/api/v1/me/notifications/{nid}/read")
    except ApiError as exc:
        if exc.code == "maintenance":
            raise
        log.info("web.messages.notifications_not_marked", code=exc.code)


# --- conversations ------------------------------------------------------------------------------


@router.get("/messages", response_class=HTMLResponse)
async def conversations(
    request: Request,
    web: WebDep,
    session: SeekerOrEmployer,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if cursor:
        params["cursor"] = cursor
    result = await api(request, "GET", "/api/v1/conversations", params=params)
    items = [
        {**c, "counterpart_label": _counterpart(c), "id": c["conversation_id"]}
        for c in result.get("items") or []
    ]
    return await render(
        request,
        "msg_list.html",
        forms=False,
        items=items,
        next_url=next_page_url("/mypage/messages", result),
        paged=bool(cursor),
    )


async def _conversation_page(
    request: Request,
    conversation_id: str,
    *,
    cursor: str = "",
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    body: str = "",
    status: int = 200,
    sent: bool = False,
) -> Response:
    cid = segment(conversation_id, "メッセージ")
    try:
        conversation = await api(request, "GET", f"/api/v1/conversations/{cid}")
        params: dict[str, Any] = {"limit": MESSAGES_PER_PAGE}
        if cursor:
            params["cursor"] = cursor
        page = await api(request, "GET", f"/api/v1/conversations/{cid}/messages", params=params)
        if int(conversation.get("unread") or 0) > 0 and not cursor:
            await api(request, "POST", f"/api/v1/conversations/{cid}/read")
    except ApiError as exc:
        if not _not_visible(exc):
            raise
        log.info("web.messages.not_visible", code=exc.code)
        return await _not_visible_page(request, exc.status)
    if not cursor:
        await _read_notifications_of(request, cid)
    role = role_of(get_session(request))
    messages = [{**m, "sender_label": _sender(m, role)} for m in reversed(page.get("items") or [])]
    older = page.get("next_cursor")
    return await render(
        request,
        "msg_conversation.html",
        status=status,
        conversation=conversation,
        counterpart=_counterpart(conversation),
        messages=messages,
        older_url=f"/mypage/messages/{cid}?cursor={older}" if older else None,
        paged=bool(cursor),
        errors=errors or {},
        error=error,
        body=body,
        labels=LABELS,
        max_chars=MESSAGE_MAX_CHARS,
        idempotency_key=secrets.token_urlsafe(24),
        sent=sent and not errors and not error,
    )


@router.get("/messages/{conversation_id}", response_class=HTMLResponse)
async def conversation(
    request: Request,
    conversation_id: str,
    session: SeekerOrEmployer,
    cursor: Annotated[str, Query(max_length=500)] = "",
    sent: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    return await _conversation_page(request, conversation_id, cursor=cursor, sent=sent == "1")


@router.post("/messages/{conversation_id}", response_class=HTMLResponse)
async def send(
    request: Request, conversation_id: str, session: SeekerOrEmployer, form: FormDep
) -> Response:
    cid = segment(conversation_id, "メッセージ")
    raw = form.get("body")
    body = raw.strip() if isinstance(raw, str) else ""
    key = field(form, "idempotency_key")
    if not IDEMPOTENCY_KEY.match(key):
        key = secrets.token_urlsafe(24)
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = ["本文を入力してください。"]
    elif len(body) > MESSAGE_MAX_CHARS:
        errors["body"] = [
            f"本文は{MESSAGE_MAX_CHARS}文字以内で入力してください（現在{len(body)}文字）。"
        ]
    if errors:
        return await _conversation_page(request, cid, errors=errors, body=body, status=422)
    try:
        sent = await _send_message(request, cid, body, key)
    except ApiError as exc:
        if exc.code == "maintenance" or exc.status >= 500:
            raise
        if _not_visible(exc):
            return await _not_visible_page(request, exc.status)
        field_errors = exc.field_errors()
        if exc.status == 422 and not field_errors:
            field_errors = {"body": [exc.detail]}
        return await _conversation_page(
            request,
            cid,
            errors={k: v for k, v in field_errors.items() if k == "body"},
            error=exc.detail,
            body=body,
            status=exc.status,
        )
    log.info("web.messages.sent", conversation_id=cid)
    anchor = segment(str(sent.get("message_id") or ""), "メッセージ")
    return RedirectResponse(f"/mypage/messages/{cid}?sent=1#m-{anchor}", status_code=303)


# --- notices (seekers) --------------------------------------------------------------------------


@router.get("/notices", response_class=HTMLResponse)
async def notices(
    request: Request,
    web: WebDep,
    session: SeekerOnly,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if cursor:
        params["cursor"] = cursor
    result = await api(request, "GET", "/api/v1/me/notices", params=params)
    return await render(
        request,
        "msg_notices.html",
        forms=False,
        items=result.get("items") or [],
        next_url=next_page_url("/mypage/notices", result),
        paged=bool(cursor),
    )


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice(request: Request, notice_id: str, session: SeekerOnly) -> Response:
    nid = segment(notice_id, "お知らせ")
    item = await api(request, "GET", f"/api/v1/me/notices/{nid}")
    if not item.get("read"):
        item = await api(request, "POST", f"/api/v1/me/notices/{nid}/read")
    return await render(request, "msg_notice.html", forms=False, notice=item)


# --- notifications ------------------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(
    request: Request,
    web: WebDep,
    session: SeekerOrEmployer,
    cursor: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if cursor:
        params["cursor"] = cursor
    result = await api(request, "GET", "/api/v1/me/notifications", params=params)
    role = role_of(session)
    items = [{**n, "href": _link(n, role)} for n in result.get("items") or []]
    return await render(
        request,
        "msg_notifications.html",
        items=items,
        next_url=next_page_url("/mypage/notifications", result),
        paged=bool(cursor),
        done=done if done in ("all", "one") else "",
    )


@router.post("/notifications/read-all")
async def read_all(request: Request, session: SeekerOrEmployer, form: FormDep) -> Response:
    await api(request, "POST", "/api/v1/me/notifications/read-all")
    return RedirectResponse("/mypage/notifications?done=all", status_code=303)


@router.post("/notifications/{notification_id}/read")
async def read_one(
    request: Request, notification_id: str, session: SeekerOrEmployer, form: FormDep
) -> Response:
    nid = segment(notification_id, "通知")
    await api(request, "POST", f"/api/v1/me/notifications/{nid}/read")
    return RedirectResponse("/mypage/notifications?done=one", status_code=303)


# --- live: counts and the event stream ------------------------------------------------------------


@router.get("/unread.json")
async def unread(request: Request, session: SeekerOrEmployer) -> Response:
    counts = await unread_counts(request, role_of(session))
    if counts is None:
        return JSONResponse({"detail": "unavailable"}, status_code=503)
    return JSONResponse(counts)


@router.get("/events")
async def events(request: Request, web: WebDep, session: SeekerOrEmployer) -> Response:
    """The API's event stream for this session. The stream ends when the API ends it (the access
    token expires, or after a while) or when the browser goes; EventSource then reconnects with
    Last-Event-ID, which is passed on, and gets a fresh token here."""
    last = request.headers.get("last-event-id") or ""
    headers = {"Accept": "text/event-stream"}
    if LAST_EVENT_ID.match(last):
        headers["Last-Event-ID"] = last
    try:
        token = await access_token(request)
    except ApiError as exc:  # the refresh could not be asked for now: later
        log.warning("web.events.unavailable", code=exc.code)
        return _retry_later()
    client = httpx.AsyncClient(
        base_url=web.settings.gateway_url.rstrip("/"),
        # the API sends a heartbeat every 15 s: a silent minute means the stream is broken
        timeout=httpx.Timeout(10.0, read=60.0),
        headers={"Accept-Language": "ja", "User-Agent": "hataraku-web"},
    )
    resp: httpx.Response | None = None
    try:
        for attempt in (1, 2):
            req = client.build_request(
                "GET", "/api/v1/me/events", headers=_headers(token, **headers)
            )
            resp = await client.send(req, stream=True)
            if resp.status_code == 401 and attempt == 1:
                await resp.aclose()
                token = await refreshed(request, token)
                continue
            break
    except (httpx.HTTPError, LoginRequired, ApiError) as exc:
        if resp is not None:
            await resp.aclose()
        await client.aclose()
        if isinstance(exc, LoginRequired):
            return Response(status_code=204)  # EventSource stops: the page asks for a login
        log.warning("web.events.unavailable", error=type(exc).__name__)
        return _retry_later()
    assert resp is not None
    kind = resp.headers.get("content-type", "")
    if resp.status_code != 200 or not kind.startswith("text/event-stream"):
        status = resp.status_code
        await resp.aclose()
        await client.aclose()
        log.info("web.events.refused", status=status)
        if status in (401, 403):
            return Response(status_code=204)
        return _retry_later()
    return StreamingResponse(
        _relay(resp, client),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _relay(resp: httpx.Response, client: httpx.AsyncClient) -> AsyncIterator[bytes]:
    """The upstream's bytes as they come; cancelled when the browser disconnects."""
    try:
        async for chunk in resp.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        log.info("web.events.upstream_ended", error=type(exc).__name__)
    finally:
        with anyio.CancelScope(shield=True):
            await resp.aclose()
            await client.aclose()
        log.info("web.events.closed")


def _retry_later() -> Response:
    return Response(
        RETRY_LATER, media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
