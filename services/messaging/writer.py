"""Storing one message with its ``messaging.message.sent.v1`` event (one insert, the event in the
message's own outbox), used by people's sends and by system messages alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from contracts.messaging import MessageSent, Party
from servicekit import outbox
from servicekit.outbox import OutboxRelay
from services.messaging.domain import party_key
from services.messaging.repository import Doc
from services.messaging.repository_conversations import ConversationsRepository
from services.messaging.repository_messages import MessagesRepository

log = structlog.get_logger()
PRODUCER = "messaging"


@dataclass(frozen=True)
class NewMessage:
    message_id: str
    kind: str  # user | system
    sender_role: str  # seeker | employer | system
    sender_id: str | None
    body: str
    recipients: list[Party]
    created_at: datetime
    sender_account: str | None = None
    system_code: str | None = None
    body_hash: str | None = None


def sender_name(conversation: Doc, role: str) -> str | None:
    if role == "employer":
        return conversation.get("employer_name")
    if role == "seeker":
        return conversation.get("seeker_number")
    return None


class MessageWriter:
    def __init__(
        self,
        *,
        messages: MessagesRepository,
        conversations: ConversationsRepository,
        relay: OutboxRelay,
    ) -> None:
        self.messages = messages
        self.conversations = conversations
        self.relay = relay

    async def store(self, conversation: Doc, new: NewMessage) -> tuple[Doc, bool]:
        """(the stored message, created now?). A second store of the same id returns the first."""
        event = MessageSent(
            message_id=new.message_id,
            conversation_id=conversation["_id"],
            kind=new.kind,
            sender_role=new.sender_role,
            sender_id=new.sender_id,
            recipients=tuple(new.recipients),
            sent_at=new.created_at,
            sender_name=sender_name(conversation, new.sender_role),
            title=conversation.get("title"),
        )
        doc: Doc = {
            "_id": new.message_id,
            "conversation_id": conversation["_id"],
            "kind": new.kind,
            "sender_role": new.sender_role,
            "sender_id": new.sender_id,
            "sender_account": new.sender_account,
            "body": new.body,
            "body_hash": new.body_hash,
            "system_code": new.system_code,
            "recipients": [party_key(p.role, p.id) for p in new.recipients],
            "created_at": new.created_at,
        }
        env = outbox.envelope(event, producer=PRODUCER, subject=conversation["_id"])
        created = await self.messages.insert(doc, env)
        if created:
            self.relay.kick("messages", new.message_id)
            await self.conversations.touch(conversation["_id"], new.created_at)
            log.info(
                "messaging.message.sent",
                conversation_id=conversation["_id"],
                message_id=new.message_id,
                kind=new.kind,
            )
            return doc, True
        existing = await self.messages.get(new.message_id)
        return (existing or doc), False
