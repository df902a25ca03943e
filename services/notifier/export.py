"""The notifier's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``notifier.export.part_ready.v1`` with the seeker's
in-app notifications, read with the seeker's own id through the same use case and indexes as
``GET /api/v1/me/notifications``, newest first, capped at ``item_limit`` (``truncated`` says when
there were more).

The reply changes no state here, so it is published at once with the broker's confirm rather
than through an outbox: a failed publish fails the handler, which the consumer retries; identity
takes a part once, so a repeated reply is harmless.
"""

from __future__ import annotations

import structlog

from contracts import Envelope
from contracts.export import ExportRequested, NotifierExportPart
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.bus import Bus
from services.notifier.inapp_service import InAppService
from services.notifier.schemas_inapp import NotificationPublic

log = structlog.get_logger()


class ExportResponder:
    def __init__(self, inapp: InAppService, bus: Bus, producer: str) -> None:
        self.inapp = inapp
        self.bus = bus
        self.producer = producer

    async def on_export_requested(self, event: ExportRequested, env: Envelope) -> None:
        principal = Principal(
            account_id=event.account_id,
            role="seeker",
            seeker_id=event.seeker_id,
            office_code=event.office_code,
        )
        items, more = await self.inapp.page(
            principal, before=None, limit=event.item_limit, unread_only=False
        )
        part = NotifierExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=["notifications"] if more else [],
            notifications=[
                NotificationPublic.model_validate(i).model_dump(mode="json") for i in items
            ],
        )
        envelope = outbox.envelope(part, producer=self.producer, subject=event.export_id)
        await self.bus.publish(envelope)
        log.info("notifier.export.part_sent", export_id=event.export_id)
