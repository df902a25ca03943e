"""Consumers of other services' events (queue ``notifier.events``): in-app notifications, the
facts behind unread counts, and the seekers' offices for notices. Idempotent: every document is
inserted with an ``_id`` derived from the event (and recipient)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from contracts import Envelope, Message
from contracts.identity import SeekerConfirmed, SeekerRegistered
from contracts.messaging import ConversationRead, MessageSent, NoticePublished, NoticeRead
from services.notifier import inapp_texts
from services.notifier.inapp_repository import InAppRepository
from services.notifier.inapp_service import InAppService

M = TypeVar("M", bound=Message)
Handler = Callable[[Any, Envelope], Awaitable[None]]


class InAppHandlers:
    def __init__(self, *, service: InAppService, repo: InAppRepository) -> None:
        self.service = service
        self.repo = repo

    def notifying(self, texts: Callable[[M], list[inapp_texts.Spec]]) -> Handler:
        """A handler that turns the event into notifications with ``texts``."""

        async def handle(event: M, envelope: Envelope) -> None:
            await self.service.notify(
                texts(event), event_id=str(envelope.id), occurred_at=envelope.occurred_at
            )

        return handle

    async def on_message_sent(self, event: MessageSent, envelope: Envelope) -> None:
        recipients = [f"{p.role}:{p.id}" for p in event.recipients]
        await self.service.message_to(
            recipients,
            message_id=event.message_id,
            conversation_id=event.conversation_id,
            at=event.sent_at,
        )
        notified = await self.service.notify(
            inapp_texts.message_sent(event),
            event_id=str(envelope.id),
            occurred_at=envelope.occurred_at,
        )
        for r in recipients:
            if r not in notified:  # a system message: no notification, new counts all the same
                await self.service.unread_changed(r)

    async def on_conversation_read(self, event: ConversationRead, _: Envelope) -> None:
        await self.service.conversation_read(
            f"{event.reader.role}:{event.reader.id}", event.conversation_id, event.read_up_to
        )

    async def on_notice_published(self, event: NoticePublished, _: Envelope) -> None:
        await self.service.notice_published(
            notice_id=event.notice_id,
            title=event.title,
            audience=event.audience.model_dump(mode="json"),
            published_at=event.published_at,
        )

    async def on_notice_read(self, event: NoticeRead, _: Envelope) -> None:
        await self.service.notice_read(event.notice_id, event.seeker_id, event.read_at)

    async def on_seeker_registered(self, event: SeekerRegistered, _: Envelope) -> None:
        await self.repo.apply_seeker(
            event.seeker_id, event.version, {"office_code": event.office_code}, "office"
        )
        await self.repo.apply_seeker(
            event.seeker_id,
            event.version,
            {"registered_on": event.registered_on.isoformat()},
            "registered_on",
        )

    async def on_seeker_confirmed(self, event: SeekerConfirmed, _: Envelope) -> None:
        await self.repo.apply_seeker(
            event.seeker_id, event.version, {"office_code": event.office_code}, "office"
        )
