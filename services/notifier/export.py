"""The notifier's part of a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` it answers ``notifier.export.part_ready.v1`` with the seeker's
in-app notifications, read with the seeker's own id through the same use case and indexes as
``GET /api/v1/me/notifications``, newest first, capped at ``item_limit`` (``truncated`` says when
there were more).

Sent by ``servicekit.export.responder`` (published at once, no outbox: it changes no state).
"""

from __future__ import annotations

from contracts.export import ExportRequested, NotifierExportPart
from servicekit.auth import Principal
from services.notifier.inapp_service import InAppService
from services.notifier.schemas_inapp import NotificationPublic


class ExportPart:
    def __init__(self, inapp: InAppService) -> None:
        self.inapp = inapp

    async def __call__(self, event: ExportRequested, principal: Principal) -> NotifierExportPart:
        items, more = await self.inapp.page(
            principal, before=None, limit=event.item_limit, unread_only=False
        )
        return NotifierExportPart(
            export_id=event.export_id,
            account_id=event.account_id,
            seeker_id=event.seeker_id,
            truncated=["notifications"] if more else [],
            notifications=[
                NotificationPublic.model_validate(i).model_dump(mode="json") for i in items
            ],
        )
