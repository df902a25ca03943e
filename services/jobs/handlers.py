"""Consumers (queues ``jobs.events`` and ``jobs.matching``): each validates nothing itself (the consumer machinery did)
and calls one use case. Every handler is idempotent and order-safe."""

from __future__ import annotations

from contracts import Envelope
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
    SeekerVisibilityChanged,
)
from contracts.jobs import PostingPublished
from services.jobs.service_matches import MatchService
from services.jobs.service_projections import ProjectionService


class EventHandlers:
    def __init__(self, *, projections: ProjectionService, matches: MatchService) -> None:
        self.projections = projections
        self.matches = matches

    async def on_employer_registered(self, event: EmployerRegistered, _: Envelope) -> None:
        await self.projections.employer_registered(event)

    async def on_mypage_opened(self, event: MypageOpened, _: Envelope) -> None:
        await self.projections.mypage_opened(event)

    async def on_seeker_registered(self, event: SeekerRegistered, _: Envelope) -> None:
        await self.projections.seeker_registered(event)

    async def on_seeker_confirmed(self, event: SeekerConfirmed, _: Envelope) -> None:
        await self.projections.seeker_confirmed(event)

    async def on_profile_updated(self, event: SeekerProfileUpdated, _: Envelope) -> None:
        await self.projections.profile_updated(event)

    async def on_visibility_changed(self, event: SeekerVisibilityChanged, _: Envelope) -> None:
        await self.projections.visibility_changed(event)

    async def on_seeker_cancelled(self, event: SeekerCancelled, _: Envelope) -> None:
        await self.projections.seeker_cancelled(event)

    async def on_posting_published(self, event: PostingPublished, _: Envelope) -> None:
        """Our own event: matching runs after the posting is safely stored and announced."""
        await self.matches.posting_published(job_id=event.job_id)
