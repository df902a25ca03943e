"""Consumers of other services' events: applying or being referred in the registration's last
month extends it (求職登録の有効期限の延長)."""

from __future__ import annotations

from contracts import Envelope
from contracts.applications import ApplicationSubmitted, ReferralIssued
from services.identity.service import Identity
from services.identity.service_lifecycle import record_activity


class Handlers:
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    async def on_application_submitted(
        self, event: ApplicationSubmitted, envelope: Envelope
    ) -> None:
        await record_activity(self.identity, event.seeker_id, "application", event.submitted_on)

    async def on_referral_issued(self, event: ReferralIssued, envelope: Envelope) -> None:
        await record_activity(self.identity, event.seeker_id, "referral", event.issued_on)
