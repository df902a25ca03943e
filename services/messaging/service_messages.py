"""Use cases of people in conversations: list own conversations, read messages, send (once per
Idempotency-Key, rate-limited per account), mark read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import structlog

from contracts.messaging import ConversationRead, Party
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.outbox import OutboxRelay
from services.messaging import cursors
from services.messaging.domain import (
    Access,
    BodyTooLong,
    ConversationClosed,
    ConversationNotFound,
    EmptyBody,
    IdempotencyKeyReused,
    NotAParticipant,
    RateLimited,
    SeekerCancelled,
    access,
    body_hash,
    my_side,
    other_side,
    party_key,
    user_message_id,
)
from services.messaging.repository import Doc
from services.messaging.repository_conversations import ConversationsRepository
from services.messaging.repository_messages import MessagesRepository
from services.messaging.settings import MessagingSettings
from services.messaging.text import clean, to_ms
from services.messaging.writer import PRODUCER, MessageWriter, NewMessage

log = structlog.get_logger()


@dataclass(frozen=True)
class Visible:
    conversation: Doc
    access: Access


@dataclass(frozen=True)
class ConversationView:
    conversation: Doc
    access: Access
    last: Doc | None
    unread: int


class MessageService:
    def __init__(
        self,
        *,
        conversations: ConversationsRepository,
        messages: MessagesRepository,
        writer: MessageWriter,
        settings: MessagingSettings,
        clock: Clock,
        relay: OutboxRelay,
    ) -> None:
        self.conversations = conversations
        self.messages = messages
        self.writer = writer
        self.settings = settings
        self.clock = clock
        self.relay = relay

    def now(self) -> datetime:
        return to_ms(self.clock.now())

    async def visible(self, principal: Principal, conversation_id: str) -> Visible:
        conversation = await self.conversations.get(conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        office = None
        if principal.role == "staff":
            seeker = await self.conversations.seeker(conversation["seeker_id"])
            office = (seeker or {}).get("office_code")
        return Visible(conversation, access(principal, conversation, office))

    # --- lists ----------------------------------------------------------------------------------

    async def conversations_of(
        self,
        principal: Principal,
        *,
        seeker_id: str | None,
        status: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[ConversationView], str | None]:
        after = cursors.decode(cursor)  # a bad cursor is a 400 even where nothing is shown
        where: Doc
        if principal.role == "seeker" and principal.seeker_id:
            where = {"seeker_id": principal.seeker_id}
        elif principal.role == "employer" and principal.employer_id:
            where = {"employer_id": principal.employer_id}
        elif principal.is_staff and seeker_id:
            seeker = await self.conversations.seeker(seeker_id)
            if (
                not principal.is_admin
                and (seeker or {}).get("office_code") != principal.office_code
            ):
                return [], None
            where = {"seeker_id": seeker_id}
        else:
            return [], None
        if status:
            where["status"] = status
        docs = await self.conversations.page(where, after=after, limit=limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        side = my_side(principal)
        marks = (
            await self.messages.read_marks_of(
                party_key(side.role, side.id), [d["_id"] for d in docs]
            )
            if side
            else {}
        )

        async def view(doc: Doc) -> ConversationView:
            last = await self.messages.latest(doc["_id"])
            unread = 0
            if side is not None:
                unread = await self.messages.count_unread(
                    doc["_id"], party_key(side.role, side.id), marks.get(doc["_id"])
                )
            return ConversationView(doc, Access(True, side), last, unread)

        views = list(await asyncio.gather(*(view(d) for d in docs)))
        next_cursor = (
            cursors.encode(docs[-1]["activity_at"], docs[-1]["_id"]) if more and docs else None
        )
        return views, next_cursor

    async def conversation(self, principal: Principal, conversation_id: str) -> ConversationView:
        seen = await self.visible(principal, conversation_id)
        side = seen.access.side
        unread = 0
        if side is not None:
            key = party_key(side.role, side.id)
            unread = await self.messages.count_unread(
                conversation_id, key, await self.messages.read_up_to(conversation_id, key)
            )
        last = await self.messages.latest(conversation_id)
        return ConversationView(seen.conversation, seen.access, last, unread)

    async def messages_of(
        self, principal: Principal, conversation_id: str, *, cursor: str | None, limit: int
    ) -> tuple[Visible, list[Doc], str | None]:
        seen = await self.visible(principal, conversation_id)
        docs = await self.messages.page(
            conversation_id, before=cursors.decode(cursor), limit=limit + 1
        )
        more = len(docs) > limit
        docs = docs[:limit]
        next_cursor = cursors.encode(docs[-1]["created_at"], docs[-1]["_id"]) if more else None
        return seen, docs, next_cursor

    # --- send -----------------------------------------------------------------------------------

    async def send(
        self,
        principal: Principal,
        conversation_id: str,
        *,
        body: str,
        idempotency_key: str | None,
    ) -> tuple[Visible, Doc, bool]:
        """(conversation, message, created now?). A replay of an Idempotency-Key returns the
        original message and stores nothing."""
        seen = await self.visible(principal, conversation_id)
        side = seen.access.side
        if side is None:
            raise NotAParticipant()
        conversation = seen.conversation
        if side.role == "seeker" and await self.conversations.cancelled(side.id):
            raise SeekerCancelled()
        if conversation["status"] == "closed":
            raise ConversationClosed()
        text = clean(body)
        if not text:
            raise EmptyBody()
        if len(text) > self.settings.message_max_chars:
            raise BodyTooLong(
                errors=[
                    {
                        "field": "body",
                        "code": "string_too_long",
                        "message": f"{self.settings.message_max_chars}文字以内で入力してください。",
                    }
                ]
            )
        message_id = user_message_id(conversation_id, principal.account_id, idempotency_key)
        digest = body_hash(text)
        if idempotency_key is not None:
            earlier = await self.messages.get(message_id)
            if earlier is not None:
                return seen, _same_or_refuse(earlier, digest), False
        now = self.now()
        await self._take_slot(principal.account_id, now)
        doc, created = await self.writer.store(
            conversation,
            NewMessage(
                message_id=message_id,
                kind="user",
                sender_role=side.role,
                sender_id=side.id,
                body=text,
                recipients=[other_side(conversation, side.role)],
                created_at=now,
                sender_account=principal.account_id,
                body_hash=digest,
            ),
        )
        if not created:
            doc = _same_or_refuse(doc, digest)
        return seen, doc, created

    async def _take_slot(self, account: str, now: datetime) -> None:
        """At most ``send_limit_per_minute`` sends per account and minute: one conditional
        ``$inc`` of the (account, minute) window, so replicas together never exceed it."""
        limit = self.settings.send_limit_per_minute
        if await self.messages.count_send(account, now.replace(second=0, microsecond=0), limit):
            return
        retry_after = max(1, 60 - now.second)
        log.info("messaging.send.rate_limited", account_id=account)
        raise RateLimited(headers={"Retry-After": str(retry_after)})

    # --- read -----------------------------------------------------------------------------------

    async def mark_read(self, principal: Principal, conversation_id: str) -> tuple[datetime, int]:
        """Everything sent to the caller's side up to now is read. Works on closed conversations
        too (it changes nothing in them)."""
        seen = await self.visible(principal, conversation_id)
        side = seen.access.side
        if side is None:
            raise NotAParticipant()
        key = party_key(side.role, side.id)
        now = self.now()
        latest = await self.messages.latest(conversation_id)
        up_to = max(now, latest["created_at"]) if latest else now
        previous = await self.messages.read_up_to(conversation_id, key)
        if previous is not None and previous >= up_to:
            return previous, await self.messages.count_unread(conversation_id, key, previous)
        event = ConversationRead(
            conversation_id=conversation_id,
            reader=Party(role=side.role, id=side.id),
            read_up_to=up_to,
            read_at=now,
        )
        env = outbox.envelope(event, producer=PRODUCER, subject=conversation_id)
        mark_id = await self.messages.advance_read_mark(
            conversation_id, key, up_to, at=now, event=env
        )
        if mark_id is not None:
            self.relay.kick("read_marks", mark_id)
        return up_to, await self.messages.count_unread(conversation_id, key, up_to)


def _same_or_refuse(message: Doc, digest: str) -> Doc:
    if message.get("body_hash") not in (None, digest):
        raise IdempotencyKeyReused()
    return message
