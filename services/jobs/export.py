"""The jobs service's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``jobs.export.part_ready.v1`` with the seeker's
favourites, saved searches and the recommendations the office sent, read as the seeker's own API
reads them (the same views and indexes), each list capped at the request's ``item_limit``.

Sent by ``servicekit.export.responder`` (published at once, no outbox: it changes no state).
"""

from __future__ import annotations

from typing import Any

from contracts.export import ExportRequested, JobsExportPart
from servicekit.auth import Principal
from services.jobs.deps import JobsServices


class ExportPart:
    def __init__(self, services: JobsServices) -> None:
        self.services = services

    async def __call__(self, event: ExportRequested, principal: Principal) -> JobsExportPart:
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
        return JobsExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=truncated,
            favorites=favorites["items"],
            saved_searches=saved[:limit],
            recommendations=received["items"][:limit],
        )
