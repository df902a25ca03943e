"""Routes: notices (お知らせ) — staff publish, seekers read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from servicekit.auth import SeekerPrincipal, StaffPrincipal
from services.messaging import views
from services.messaging.deps import Cursor, Limit, Services, problems
from services.messaging.schemas import NoticeCreate, NoticePage, NoticePublic

staff_router = APIRouter(prefix="/api/v1/staff/notices", tags=["notices"])
me_router = APIRouter(prefix="/api/v1/me/notices", tags=["notices"])

NoticeId = Annotated[str, Path(min_length=1, max_length=64)]


@staff_router.post(
    "",
    response_model=NoticePublic,
    status_code=201,
    summary="Publish a notice: to the own office's seekers or listed seekers of the own office "
    '(staff); to {"kind": "all"} or any office (admin only)',
    responses=problems(401, 403, 422),
)
async def publish(
    body: NoticeCreate, principal: StaffPrincipal, services: Services
) -> NoticePublic:
    doc = await services.notices.publish(
        principal, title=body.title, body=body.body, audience=body.audience
    )
    return views.notice(doc, staff=True)


@staff_router.get(
    "",
    response_model=NoticePage,
    summary="Notices the own office published (admin: all)",
    responses=problems(400, 401, 403, 422),
)
async def published(
    principal: StaffPrincipal, services: Services, limit: Limit = 20, cursor: Cursor = None
) -> NoticePage:
    docs, next_cursor = await services.notices.published_by_office(
        principal, cursor=cursor, limit=limit
    )
    return NoticePage(items=[views.notice(d, staff=True) for d in docs], next_cursor=next_cursor)


@staff_router.get(
    "/{notice_id}", response_model=NoticePublic, summary="One notice", responses=problems(404)
)
async def staff_get(
    notice_id: NoticeId, principal: StaffPrincipal, services: Services
) -> NoticePublic:
    return views.notice(await services.notices.staff_get(principal, notice_id), staff=True)


@me_router.get(
    "",
    response_model=NoticePage,
    summary="Notices to me (published since my registration), newest first, with read state",
    responses=problems(400, 401, 403, 422),
)
async def my_notices(
    principal: SeekerPrincipal,
    services: Services,
    limit: Limit = 20,
    cursor: Cursor = None,
    unread: Annotated[bool, Query(description="only the ones not read yet")] = False,
) -> NoticePage:
    items, next_cursor = await services.notices.for_seeker(
        principal, cursor=cursor, limit=limit, unread_only=unread
    )
    return NoticePage(items=[views.notice(d, read_at=r) for d, r in items], next_cursor=next_cursor)


@me_router.get(
    "/{notice_id}", response_model=NoticePublic, summary="One notice", responses=problems(404)
)
async def my_notice(
    notice_id: NoticeId, principal: SeekerPrincipal, services: Services
) -> NoticePublic:
    doc, read_at = await services.notices.seeker_get(principal, notice_id)
    return views.notice(doc, read_at=read_at)


@me_router.post(
    "/{notice_id}/read",
    response_model=NoticePublic,
    summary="Mark a notice read",
    responses=problems(404),
)
async def read_notice(
    notice_id: NoticeId, principal: SeekerPrincipal, services: Services
) -> NoticePublic:
    read_at = await services.notices.mark_read(principal, notice_id)
    doc, _ = await services.notices.seeker_get(principal, notice_id)
    return views.notice(doc, read_at=read_at)
