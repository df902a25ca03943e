"""Consumers of other services' events: applying or being referred in the registration's last
month extends it (求職登録の有効期限の延長); applications, referrals, interviews and the
applications' later statuses make the seeker's activity record (求職活動実績, service_activity).
Every handler is idempotent (a redelivery records nothing twice)."""

from __future__ import annotations

from contracts import Envelope
from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
)
from services.identity import service_activity
from services.identity.service import Identity
from services.identity.service_lifecycle import record_activity


class Handlers:
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    async def on_application_submitted(
        self, event: ApplicationSubmitted, envelope: Envelope
    ) -> None:
        await service_activity.on_submitted(self.identity, event)
        await record_activity(self.identity, event.seeker_id, "application", event.submitted_on)

    async def on_referral_issued(self, event: ReferralIssued, envelope: Envelope) -> None:
        await service_activity.on_referral(self.identity, event)
        await record_activity(self.identity, event.seeker_id, "referral", event.issued_on)

    async def on_status_changed(self, event: ApplicationStatusChanged, envelope: Envelope) -> None:
        await service_activity.on_status(self.identity, event, envelope)

    async def on_withdrawn(self, event: ApplicationWithdrawn, envelope: Envelope) -> None:
        await service_activity.on_withdrawn(self.identity, event)

    async def on_referral_declined(self, event: ReferralDeclined, envelope: Envelope) -> None:
        await service_activity.on_declined(self.identity, event)
