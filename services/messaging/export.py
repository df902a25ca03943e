"""The messaging service's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``messaging.export.part_ready.v1`` with the seeker's
conversations, each with its messages, and the notices from the office, read with the seeker's
own id through the same use cases, views and indexes as ``GET /api/v1/conversations``,
``…/{id}/messages`` and ``GET /api/v1/me/notices``. Newest first; conversations and notices
capped at ``item_limit``, messages at ``MAX_MESSAGES`` across all conversations (and at
``item_limit`` in one): a cut list is named in ``truncated``.

The reply changes no state here, so it is published at once with the broker's confirm rather
than through an outbox: a failed publish fails the handler, which the consumer retries; identity
takes a part once, so a repeated reply is harmless.
"""

from __future__ import annotations

from typing import Any

import structlog

from contracts import Envelope
from contracts.export import MAX_MESSAGES, ExportRequested, MessagingExportPart
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.bus import Bus
from services.messaging import views
from services.messaging.deps import MessagingServices

log = structlog.get_logger()


class ExportResponder:
    def __init__(self, services: MessagingServices, bus: Bus, producer: str) -> None:
        self.services = services
        self.bus = bus
        self.producer = producer

    async def on_export_requested(self, event: ExportRequested, env: Envelope) -> None:
        principal = Principal(
            account_id=event.account_id,
            role="seeker",
            seeker_id=event.seeker_id,
            office_code=event.office_code,
        )
        limit = event.item_limit
        messages = self.services.messages
        found, more_conversations = await messages.conversations_of(
            principal, seeker_id=None, status=None, cursor=None, limit=limit
        )
        truncated: set[str] = {"conversations"} if more_conversations else set()
        budget = MAX_MESSAGES
        conversations: list[dict[str, Any]] = []
        for found_view in found:
            item = views.conversation(found_view, principal).model_dump(mode="json")
            item["messages"] = []
            if budget > 0:
                seen, docs, more = await messages.messages_of(
                    principal, item["conversation_id"], cursor=None, limit=min(limit, budget)
                )
                item["messages"] = [
                    views.message(d, seen.conversation, seen.access).model_dump(mode="json")
                    for d in docs
                ]
                budget -= len(docs)
                if more:
                    truncated.add("messages")
            else:
                truncated.add("messages")
            conversations.append(item)
        notices, more_notices = await self.services.notices.for_seeker(
            principal, cursor=None, limit=limit
        )
        if more_notices:
            truncated.add("notices")
        part = MessagingExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=sorted(truncated),
            conversations=conversations,
            notices=[views.notice(d, read_at=r).model_dump(mode="json") for d, r in notices],
        )
        envelope = outbox.envelope(part, producer=self.producer, subject=event.export_id)
        await self.bus.publish(envelope)
        log.info("messaging.export.part_sent", export_id=event.export_id)
