"""The applications service's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``applications.export.part_ready.v1`` with the
seeker's applications — each with its status timeline and referral letter, as
``GET /api/v1/me/applications`` shows them — and the direct requests received, read with the
seeker's own id through the same views and indexes, newest first, capped at ``item_limit``.

Sent by ``servicekit.export.responder`` (published at once, no outbox: it changes no state).
"""

from __future__ import annotations

from contracts.export import ApplicationsExportPart, ExportRequested
from servicekit.auth import Principal
from servicekit.export import truncated
from services.applications.deps import ApplicationServices


class ExportPart:
    def __init__(self, services: ApplicationServices) -> None:
        self.services = services

    async def __call__(
        self, event: ExportRequested, principal: Principal
    ) -> ApplicationsExportPart:
        limit = event.item_limit
        views = self.services.views
        applications = await views.mine(principal, cursor=None, limit=limit)
        requests = await views.my_requests(principal, cursor=None, limit=limit)
        return ApplicationsExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=truncated(applications=applications, requests=requests),
            applications=applications["items"],
            requests=requests["items"],
        )
