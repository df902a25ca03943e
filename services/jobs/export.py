"""The jobs service's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``jobs.export.part_ready.v1`` with the seeker's
favourites, saved searches and the recommendations the office sent, read as the seeker's own API
reads them (the same views and indexes), each list capped at the request's ``item_limit``.

The reply changes no state here, so it is published at once with the broker's confirm rather
than through an outbox: a failed publish fails the handler, which the consumer retries; identity
takes a part once, so a repeated reply is harmless.
"""

from __future__ import annotations

from typing import Any

import structlog

from contracts import Envelope
from contracts.export import ExportRequested, JobsExportPart
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.bus import Bus
from services.jobs.deps import JobsServices

log = structlog.get_logger()


class ExportResponder:
    def __init__(self, services: JobsServices, bus: Bus, producer: str) -> None:
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
        lists = self.services.lists
        favorites = await lists.favorites(principal=principal, limit=limit, cursor=None)
        saved: list[dict[str, Any]] = (await lists.saved_searches(principal=principal))["items"]
        received = await self.services.recommendations.received(
            principal=principal, source="office", limit=limit, cursor=None, english=False
        )
        truncated = [
            name
            for name, cut in (
                ("favorites", favorites["next_cursor"] is not None),
                ("saved_searches", len(saved) > limit),
                ("recommendations", received["next_cursor"] is not None),
            )
            if cut
        ]
        part = JobsExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=truncated,
            favorites=favorites["items"],
            saved_searches=saved[:limit],
            recommendations=received["items"][:limit],
        )
        await self.bus.publish(
            outbox.envelope(part, producer=self.producer, subject=event.export_id)
        )
        log.info("jobs.export.part_sent", export_id=event.export_id)
