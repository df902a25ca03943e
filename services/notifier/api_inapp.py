"""Routes: in-app notifications, unread counts and live updates (Server-Sent Events).

The event stream authenticates like every other route, with ``Authorization: Bearer`` (the
gateway checks that header and forwards it). Browsers' ``EventSource`` cannot set headers: web
clients read the stream with ``fetch`` (or a polyfill that sets the header) for now; accepting
an ``access_token`` query parameter would need the gateway to check it too and would put tokens
in access logs, so it is not offered. A stream ends when its token expires (or after
``sse_max_seconds``); the client reconnects with a fresh token and ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import jwt
import structlog
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse

from servicekit import cursors
from servicekit.auth import CurrentPrincipal, Principal, bearer_token
from servicekit.errors import PROBLEM, DomainError, NotFound
from services.notifier.inapp_service import (
    InAppService,
    parse_sse_id,
    recipient_of,
    registered_since,
)
from services.notifier.live import CLOSE, Hub, Outgoing, Stream
from services.notifier.schemas_inapp import NotificationPage, NotificationPublic, ReadAll, Unread
from services.notifier.settings import NotifierSettings
from services.notifier.unread import UnreadService

log = structlog.get_logger()
router = APIRouter(prefix="/api/v1/me", tags=["notifications"])


@dataclass(frozen=True)
class InApp:
    service: InAppService
    unread: UnreadService
    hub: Hub
    settings: NotifierSettings


def get_inapp(request: Request) -> InApp:
    inapp: InApp = request.app.state.inapp
    return inapp


Services = Annotated[InApp, Depends(get_inapp)]


class InvalidLastEventId(DomainError):
    status, code = 400, "invalid_last_event_id"
    ja = "Last-Event-ID が正しくありません。ヘッダーを付けずに接続し直してください。"
    en = "The Last-Event-ID is not valid. Reconnect without it."


Position = tuple[cursors.Instant, cursors.Id]


def encode_cursor(at: datetime, item_id: str) -> str:
    return cursors.encode([at, item_id])


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The (time, notification_id) a page ends at; 400 ``invalid_cursor`` for a bad one."""
    position: tuple[datetime, str] | None = cursors.decode(Position, cursor)
    return position


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"description": "problem+json", "content": {PROBLEM: {}}} for s in statuses}


@router.get(
    "/notifications",
    response_model=NotificationPage,
    summary="My notifications, newest first (notices from the office included for seekers)",
    responses=problems(400, 401, 422),
)
async def notifications(
    principal: CurrentPrincipal,
    inapp: Services,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: cursors.CursorParam = None,
    unread: Annotated[bool, Query(description="only unread ones")] = False,
) -> NotificationPage:
    items, more = await inapp.service.page(
        principal, before=decode_cursor(cursor), limit=limit, unread_only=unread
    )
    last = items[-1] if items else None
    return NotificationPage(
        items=[NotificationPublic.model_validate(i) for i in items],
        next_cursor=encode_cursor(last["created_at"], last["notification_id"])
        if more and last
        else None,
    )


@router.post(
    "/notifications/read-all",
    response_model=ReadAll,
    summary="Mark every notification up to now read",
    responses=problems(401),
)
async def read_all(principal: CurrentPrincipal, inapp: Services) -> ReadAll:
    return ReadAll(read_up_to=await inapp.service.read_all(principal))


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationPublic,
    summary="Mark one notification read",
    responses=problems(401, 404),
)
async def read_one(
    notification_id: Annotated[str, Path(min_length=1, max_length=100)],
    principal: CurrentPrincipal,
    inapp: Services,
) -> NotificationPublic:
    item = await inapp.service.mark_read(principal, notification_id)
    if item is None:
        raise NotFound(ja="お知らせが見つかりません。", en="Notification not found.")
    return NotificationPublic.model_validate(item)


@router.get(
    "/unread",
    response_model=Unread,
    summary="Unread counts, consistent with the lists (eventually: they follow the events)",
    responses=problems(401),
)
async def unread(principal: CurrentPrincipal, inapp: Services) -> Unread:
    return Unread.model_validate(await inapp.unread.counts(principal))


@router.get(
    "/events",
    summary="Live updates as Server-Sent Events: `message` and `notification` events (with "
    "ids; send Last-Event-ID to replay what was missed), `unread` counts, comment heartbeats",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **problems(400, 401)},
)
async def events(
    request: Request,
    principal: CurrentPrincipal,
    inapp: Services,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="the id of the last event received; one this stream did not write "
            "is refused with 400 `invalid_last_event_id` (reconnect without it)",
        ),
    ] = None,
) -> StreamingResponse:
    try:  # checked before the stream starts: a bad id is a 400, never a broken stream
        parse_sse_id(last_event_id)
    except ValueError:
        raise InvalidLastEventId() from None
    seeker: dict[str, Any] | None = None
    if principal.role == "seeker" and principal.seeker_id:
        seeker = await inapp.service.repo.seeker(principal.seeker_id)
    stream = Stream(
        recipient=recipient_of(principal),
        seeker_id=principal.seeker_id if seeker else None,
        office_code=(seeker or {}).get("office_code"),
        since=registered_since(seeker) if seeker else None,
        principal=principal,
    )
    ends_at = min(_token_expiry(request), time.time() + inapp.settings.sse_max_seconds)
    log.info("notifier.live.opened", recipient_kind=stream.recipient.split(":")[0])
    return StreamingResponse(
        _frames(inapp, principal, stream, last_event_id, ends_at),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _frames(
    inapp: InApp, principal: Principal, stream: Stream, last_event_id: str | None, ends_at: float
) -> AsyncIterator[str]:
    s = inapp.settings
    sent: set[str] = set()
    # registered before the replay is read: nothing falls between the two (duplicates are
    # skipped by id)
    inapp.hub.open(stream)
    try:
        yield "retry: 3000\n: connected\n\n"
        missed, truncated = await inapp.service.replay(
            principal, last_event_id, s.sse_replay_limit, s.sse_replay_days
        )
        for item in missed:
            sent.add(item.id or "")
            yield frame(item)
        if truncated:
            yield frame(Outgoing("resync", {"reason": "too_many_missed"}))
        yield frame(Outgoing("unread", await inapp.unread.counts(principal)))
        while True:
            wait = min(s.sse_heartbeat_seconds, ends_at - time.time())
            if wait <= 0:
                return  # token expired or the stream is old: the client reconnects
            try:
                item = await asyncio.wait_for(stream.queue.get(), timeout=wait)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if item is CLOSE:
                return
            if item.event == "unread":
                yield frame(Outgoing("unread", await inapp.unread.counts(principal)))
                continue
            if item.id is not None and item.id in sent:
                continue  # replayed already
            yield frame(item)
    finally:
        inapp.hub.close(stream)


def frame(item: Outgoing) -> str:
    lines = [f"id: {item.id}"] if item.id else []
    lines.append(f"event: {item.event}")
    lines.append("data: " + json.dumps(item.data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def _token_expiry(request: Request) -> float:
    """The (already verified) access token's ``exp``: the stream ends with it."""
    token = bearer_token(request) or ""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims.get("exp", 0)) or time.time()
    except jwt.PyJWTError:
        return time.time()
