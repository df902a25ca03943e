"""Routes: conversations and their messages. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from services.messaging import views
from services.messaging.deps import Cursor, Limit, Participant, Services, problems
from services.messaging.schemas import (
    ConversationPage,
    ConversationPublic,
    MessageCreate,
    MessagePage,
    MessagePublic,
    ReadResult,
)

router = APIRouter(prefix="/api/v1/conversations", tags=["messages"])

ConversationId = Annotated[str, Path(min_length=1, max_length=100)]


@router.get(
    "",
    response_model=ConversationPage,
    summary="Own conversations (seeker, employer); staff: a seeker of their office's",
    responses=problems(400, 401, 403, 422),
)
async def list_conversations(
    principal: Participant,
    services: Services,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    seeker_id: Annotated[
        str | None, Query(max_length=64, description="staff: whose conversations")
    ] = None,
) -> ConversationPage:
    items, next_cursor = await services.messages.conversations_of(
        principal, seeker_id=seeker_id, status=status, cursor=cursor, limit=limit
    )
    return ConversationPage(
        items=[views.conversation(v, principal) for v in items], next_cursor=next_cursor
    )


@router.get(
    "/{conversation_id}",
    response_model=ConversationPublic,
    summary="One conversation",
    responses=problems(401, 403, 404),
)
async def get_conversation(
    conversation_id: ConversationId, principal: Participant, services: Services
) -> ConversationPublic:
    view = await services.messages.conversation(principal, conversation_id)
    return views.conversation(view, principal)


@router.get(
    "/{conversation_id}/messages",
    response_model=MessagePage,
    summary="Messages, newest first (participants; staff of the seeker's office read only)",
    responses=problems(400, 401, 403, 404, 422),
)
async def list_messages(
    conversation_id: ConversationId,
    principal: Participant,
    services: Services,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> MessagePage:
    seen, docs, next_cursor = await services.messages.messages_of(
        principal, conversation_id, cursor=cursor, limit=limit
    )
    return MessagePage(
        items=[views.message(d, seen.conversation, seen.access) for d in docs],
        next_cursor=next_cursor,
    )


@router.post(
    "/{conversation_id}/messages",
    response_model=MessagePublic,
    status_code=201,
    summary="Send a message (201; 200 with the original message when the Idempotency-Key "
    "was used before)",
    responses=problems(401, 403, 404, 409, 422, 429),
)
async def send_message(
    conversation_id: ConversationId,
    body: MessageCreate,
    principal: Participant,
    services: Services,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=200, description="retry-safe sending"),
    ] = None,
) -> MessagePublic:
    seen, doc, created = await services.messages.send(
        principal, conversation_id, body=body.body, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = 200
    return views.message(doc, seen.conversation, seen.access)


@router.post(
    "/{conversation_id}/read",
    response_model=ReadResult,
    summary="Mark everything sent to me in this conversation read (up to now)",
    responses=problems(401, 403, 404),
)
async def mark_read(
    conversation_id: ConversationId, principal: Participant, services: Services
) -> ReadResult:
    up_to, unread = await services.messages.mark_read(principal, conversation_id)
    return ReadResult(conversation_id=conversation_id, read_up_to=up_to, unread=unread)
