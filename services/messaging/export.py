"""The messaging service's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``messaging.export.part_ready.v1`` with the seeker's
conversations, each with its messages, and the notices from the office, read with the seeker's
own id through the same use cases, views and indexes as ``GET /api/v1/conversations``,
``…/{id}/messages`` and ``GET /api/v1/me/notices``. Newest first; conversations and notices
capped at ``item_limit``, messages at ``MAX_MESSAGES`` across all conversations (and at
``item_limit`` in one): a cut list is named in ``truncated``.

Sent by ``servicekit.export.responder`` (published at once, no outbox: it changes no state).
"""

from __future__ import annotations

from typing import Any

from contracts.export import MAX_MESSAGES, ExportRequested, MessagingExportPart
from servicekit.auth import Principal
from services.messaging import views
from services.messaging.deps import MessagingServices


class ExportPart:
    def __init__(self, services: MessagingServices) -> None:
        self.services = services

    async def __call__(self, event: ExportRequested, principal: Principal) -> MessagingExportPart:
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
        return MessagingExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=sorted(truncated),
            conversations=conversations,
            notices=[views.notice(d, read_at=r).model_dump(mode="json") for d, r in notices],
        )
