"""The applications service's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``applications.export.part_ready.v1`` with the
seeker's applications — each with its status timeline and referral letter, as
``GET /api/v1/me/applications`` shows them — and the direct requests received, read with the
seeker's own id through the same views and indexes, newest first, capped at ``item_limit``.

The reply changes no state here, so it is published at once with the broker's confirm rather
than through an outbox: a failed publish fails the handler, which the consumer retries; identity
takes a part once, so a repeated reply is harmless.
"""

from __future__ import annotations

import structlog

from contracts import Envelope
from contracts.export import ApplicationsExportPart, ExportRequested
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.bus import Bus
from services.applications.deps import ApplicationServices

log = structlog.get_logger()


class ExportResponder:
    def __init__(self, services: ApplicationServices, bus: Bus, producer: str) -> None:
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
        views = self.services.views
        applications = await views.mine(principal, cursor=None, limit=limit)
        requests = await views.my_requests(principal, cursor=None, limit=limit)
        truncated = [
            name
            for name, found in (("applications", applications), ("requests", requests))
            if found["next_cursor"] is not None
        ]
        part = ApplicationsExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=truncated,
            applications=applications["items"],
            requests=requests["items"],
        )
        envelope = outbox.envelope(part, producer=self.producer, subject=event.export_id)
        await self.bus.publish(envelope)
        log.info("applications.export.part_sent", export_id=event.export_id)
