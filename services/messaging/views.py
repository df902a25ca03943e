"""Stored documents → public response models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from servicekit.auth import Principal
from services.messaging.domain import Access, my_side
from services.messaging.repository import Doc
from services.messaging.schemas import (
    AudiencePublic,
    ConversationPublic,
    Counterpart,
    LastMessage,
    MessagePublic,
    NoticePublic,
    Sender,
)
from services.messaging.service_messages import ConversationView
from services.messaging.text import preview


def message(doc: Doc, conversation: Doc, access: Access) -> MessagePublic:
    role = doc["sender_role"]
    name = None
    if role == "employer":
        name = conversation.get("employer_name")
    elif role == "seeker":
        name = conversation.get("seeker_number")
    mine = access.side is not None and role == access.side.role
    return MessagePublic(
        message_id=doc["_id"],
        conversation_id=doc["conversation_id"],
        kind=doc["kind"],
        sender=Sender(role=role, id=doc.get("sender_id"), name=name),
        mine=mine,
        body=doc["body"],
        system_code=doc.get("system_code"),
        created_at=doc["created_at"],
    )


def conversation(view: ConversationView, principal: Principal) -> ConversationPublic:
    c = view.conversation
    side = my_side(principal)
    counterpart: Counterpart | None
    if side is not None and side.role == "employer":
        counterpart = Counterpart(
            role="seeker", id=c["seeker_id"], seeker_number=c.get("seeker_number")
        )
    else:
        counterpart = Counterpart(role="employer", id=c["employer_id"], name=c.get("employer_name"))
    last = view.last
    return ConversationPublic(
        conversation_id=c["_id"],
        kind=c["kind"],
        status=c["status"],
        application_id=c.get("application_id"),
        request_id=c.get("request_id"),
        job_id=c["job_id"],
        title=c["title"],
        counterpart=counterpart,
        seeker_id=c["seeker_id"],
        employer_id=c["employer_id"],
        last_message=LastMessage(
            message_id=last["_id"],
            kind=last["kind"],
            sender_role=last["sender_role"],
            preview=preview(last["body"]),
            created_at=last["created_at"],
        )
        if last
        else None,
        unread=view.unread,
        can_write=view.access.write and c["status"] == "open",
        opened_at=c["opened_at"],
        closed_at=c.get("closed_at"),
        closed_reason=c.get("closed_reason"),
    )


def notice(doc: Doc, *, read_at: datetime | None = None, staff: bool = False) -> NoticePublic:
    audience: Any = doc["audience"]
    return NoticePublic(
        notice_id=doc["_id"],
        title=doc["title"],
        body=doc["body"],
        office_code=doc["office_code"],
        published_at=doc["published_at"],
        read=None if staff else read_at is not None,
        read_at=read_at,
        audience=AudiencePublic(
            kind=audience["kind"],
            office_code=audience.get("office_code"),
            seeker_count=len(audience.get("seeker_ids") or [])
            if audience["kind"] == "seekers"
            else None,
        )
        if staff
        else None,
    )
